package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Reasons an answer fails verification. A *VerifyError wraps one of them, so
// errors.Is(err, ErrBadSignature) tells why.
var (
	// ErrMissingHeaders: an APIv3 answer lacks one of Wechatpay-Nonce,
	// Wechatpay-Serial, Wechatpay-Signature and Wechatpay-Timestamp.
	ErrMissingHeaders = errors.New("missing Wechatpay-Nonce, Wechatpay-Serial, Wechatpay-Signature or Wechatpay-Timestamp header")
	// ErrClockSkew: Wechatpay-Timestamp is more than MaxClockOffset away
	// from the local clock (a replayed answer, or a wrong local clock).
	ErrClockSkew = errors.New("Wechatpay-Timestamp too far from the local clock")
	// ErrUnknownSerial: no configured certificate or public key has the
	// serial in Wechatpay-Serial.
	ErrUnknownSerial = errors.New("no platform certificate or public key for Wechatpay-Serial")
	// ErrCertificateExpired: the platform certificate named by
	// Wechatpay-Serial was not valid when the answer was signed. WeChat Pay
	// stops signing with a certificate before it expires; a signature by an
	// expired one is a replay or a stolen key.
	ErrCertificateExpired = errors.New("the platform certificate for Wechatpay-Serial is outside its validity period")
	// ErrBadSignature: the signature does not match the answer.
	ErrBadSignature = errors.New("signature does not match")
	// ErrSignTest: the signature is a WECHATPAY/SIGNTEST/ probe, which WeChat
	// Pay sends to check that merchants do verify; it never verifies.
	ErrSignTest = errors.New("WECHATPAY/SIGNTEST probe signature")
	// ErrDigestMismatch: the body's SHA-1 differs from
	// Wechatpay-Statement-Sha1 (overseas statements).
	ErrDigestMismatch = errors.New("body SHA-1 differs from Wechatpay-Statement-Sha1")
	// ErrMissingSign: a signed APIv2 answer has no sign field.
	ErrMissingSign = errors.New("APIv2 answer has no sign field")
	// ErrUnsignedFields: APIv2 fields the sign does not cover. The sign
	// covers flat text fields only, so an answer or notification holding a
	// nested or repeated element (<coupon_fee><v>1</v></coupon_fee>) is
	// refused, and so is a refund notification (退款结果通知) holding, outside
	// its encrypted req_info, a field WeChat Pay does not send there.
	ErrUnsignedFields = errors.New("APIv2 fields outside what is signed")
	// ErrUnexpectedFormat: a 2xx APIv2 answer is not in a format the
	// endpoint answers in: not an XML document (JSON, HTML, an empty body,
	// bytes other than whitespace before the XML, malformed XML), or, on a
	// file download (downloadbill, downloadfundflow), neither XML nor the
	// file (gzip, or a bill's CSV text). Nothing in it was checked.
	ErrUnexpectedFormat = errors.New("APIv2 answer not in the endpoint's format")
	// ErrNoFile: an APIv2 file download (downloadbill, downloadfundflow)
	// answered without the file: an empty body, or an XML document that
	// reports no failure. Nothing was written to the destination.
	ErrNoFile = errors.New("APIv2 file download answered no file")
)

// VerifyError reports an answer whose signature could not be verified.
//
// The call may have reached WeChat Pay and taken effect even so: Response
// holds what was received, for reconciliation. Never act on its content as
// if it came from WeChat Pay.
type VerifyError struct {
	// Err is the reason: one of ErrMissingHeaders, ErrClockSkew,
	// ErrUnknownSerial, ErrCertificateExpired, ErrBadSignature, ErrSignTest,
	// ErrDigestMismatch, ErrMissingSign, ErrUnsignedFields,
	// ErrUnexpectedFormat, ErrNoFile, possibly wrapped with details.
	Err error
	// Response is the unverified answer; nil when it could not be kept
	// (an answer cut short because it grew past a bound, a notification).
	Response *Response
}

func (e *VerifyError) Error() string {
	msg := "wechatpay: answer not verified: " + e.Err.Error()
	if e.Response != nil {
		if id := e.Response.RequestID(); id != "" {
			msg += " (Request-ID " + id + ")"
		}
	}
	return msg
}

func (e *VerifyError) Unwrap() error { return e.Err }

// APIError is a non-2xx answer: WeChat Pay refused or failed the call.
type APIError struct {
	// StatusCode is the HTTP status, e.g. 400, 401, 403, 404, 429, 500.
	StatusCode int
	// Code is WeChat Pay's error code, e.g. "PARAM_ERROR", "SIGN_ERROR",
	// "ORDER_NOT_EXIST"; empty when the body was not WeChat Pay JSON (a
	// gateway's HTML page, say).
	Code string
	// Message is WeChat Pay's error message.
	Message string
	// Detail points at the offending field, when WeChat Pay says which.
	Detail *ErrorDetail
	// RequestID is the answer's Request-ID header.
	RequestID string
	// Response is the whole answer.
	Response *Response
}

// ErrorDetail is the "detail" object of an APIv3 error answer.
type ErrorDetail struct {
	Field    string `json:"field"`
	Value    any    `json:"value"`
	Issue    string `json:"issue"`
	Location string `json:"location"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wechatpay: %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	if d := e.Detail; d != nil && (d.Field != "" || d.Issue != "") {
		b.WriteString(" [")
		if d.Field != "" {
			b.WriteString("field " + d.Field)
			if d.Location != "" {
				b.WriteString(" in " + d.Location)
			}
		}
		if d.Issue != "" {
			if d.Field != "" {
				b.WriteString(": ")
			}
			b.WriteString(d.Issue)
		}
		b.WriteString("]")
	}
	if e.RequestID != "" {
		b.WriteString(" (Request-ID " + e.RequestID + ")")
	}
	return b.String()
}

// V2Error is an APIv2 answer whose return_code or result_code is not SUCCESS
// (or, for appauth/getaccesstoken, whose retcode is not 0).
type V2Error struct {
	// ReturnCode and ReturnMsg report on the communication (通信标识).
	ReturnCode, ReturnMsg string
	// ResultCode, ErrCode and ErrCodeDes report on the business call (业务结果).
	ResultCode, ErrCode, ErrCodeDes string
	// Response is the whole answer; Response.XML() gives every field.
	Response *Response
}

func (e *V2Error) Error() string {
	var b strings.Builder
	b.WriteString("wechatpay: APIv2 ")
	switch {
	case e.ReturnCode != "" && e.ReturnCode != "SUCCESS":
		b.WriteString("return_code " + e.ReturnCode)
		if e.ReturnMsg != "" {
			b.WriteString(": " + e.ReturnMsg)
		}
	default:
		b.WriteString("result_code " + e.ResultCode)
		if e.ErrCode != "" {
			b.WriteString(": " + e.ErrCode)
		}
		if e.ErrCodeDes != "" {
			b.WriteString(": " + e.ErrCodeDes)
		}
	}
	return b.String()
}

// TransportError reports a call that failed below HTTP: the connection could
// not be made, or broke, or timed out.
type TransportError struct {
	// Op is what failed: "dial", "write" or "read".
	Op string
	// Addr is the scheme and host called.
	Addr string
	// Sent tells whether any byte of the request may have reached the
	// server. When it is false, the call certainly did not happen and may be
	// retried; when it is true, the call may have taken effect, and must be
	// reconciled (query it) before any retry.
	Sent bool
	// Err is the cause; errors.Is(err, context.DeadlineExceeded) and
	// errors.Is(err, context.Canceled) see through it.
	Err error
}

func (e *TransportError) Error() string {
	sent := "not sent"
	if e.Sent {
		sent = "may have been sent"
	}
	return fmt.Sprintf("wechatpay: %s %s: %v (request %s)", e.Op, e.Addr, e.Err, sent)
}

func (e *TransportError) Unwrap() error { return e.Err }

// SignError reports that the request could not be signed. Nothing was sent.
type SignError struct {
	Err error
}

func (e *SignError) Error() string { return "wechatpay: signing the request: " + e.Err.Error() }

func (e *SignError) Unwrap() error { return e.Err }
