package wechatpay

import (
	"github.com/tidwall/gjson"

	"github.com/wechatpay-go/wechatpay/internal/transport"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Result is a value read from a JSON document by a gjson path
// (github.com/tidwall/gjson): res.Get("amount.total").Int().
type Result = gjson.Result

func getJSON(doc []byte, path string) Result { return gjson.GetBytes(doc, path) }

// Response is a verified answer: status, headers, body, and accessors for
// JSON (gjson) and APIv2 XML. See middleware.Response.
type Response = middleware.Response

// The error types a call returns; see package middleware for their fields.
type (
	// APIError is a non-2xx answer (code, message, detail, Request-ID).
	APIError = middleware.APIError
	// ErrorDetail is the "detail" of an APIError.
	ErrorDetail = middleware.ErrorDetail
	// V2Error is an APIv2 answer whose return_code or result_code is FAIL.
	V2Error = middleware.V2Error
	// VerifyError is an answer whose signature did not verify; it holds the
	// answer for reconciliation.
	VerifyError = middleware.VerifyError
	// TransportError is a failure below HTTP; Sent tells whether the
	// request may have reached WeChat Pay.
	TransportError = middleware.TransportError
	// SignError is a request that could not be signed; nothing was sent.
	SignError = middleware.SignError
)

// Reasons wrapped by a *VerifyError.
var (
	ErrMissingHeaders     = middleware.ErrMissingHeaders
	ErrClockSkew          = middleware.ErrClockSkew
	ErrUnknownSerial      = middleware.ErrUnknownSerial
	ErrCertificateExpired = middleware.ErrCertificateExpired
	ErrBadSignature       = middleware.ErrBadSignature
	ErrSignTest           = middleware.ErrSignTest
	ErrDigestMismatch     = middleware.ErrDigestMismatch
	ErrMissingSign        = middleware.ErrMissingSign
	ErrUnsignedFields     = middleware.ErrUnsignedFields
	ErrUnexpectedFormat   = middleware.ErrUnexpectedFormat
	ErrNoFile             = middleware.ErrNoFile
)

// ErrMerchantCertRejected is wrapped by the *TransportError of a security
// call whose merchant TLS certificate (Config.Merchant: apiclient_cert.pem
// or apiclient_cert.p12) the server refused during the TLS handshake: it
// has expired, was revoked or replaced, or is not this merchant's. The
// server processed nothing: TransportError.Sent is false.
var ErrMerchantCertRejected = transport.ErrMerchantCertRejected

// ErrClosed is wrapped by the *TransportError of a call made after
// Client.Close, or waiting for a connection (Config.MaxConnsPerHost) when
// Close was called: nothing was sent, TransportError.Sent is false.
var ErrClosed = transport.ErrClosed
