package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// TransformResponse returns the APIv2 "transform_response" step. For a 2xx
// answer it:
//   - decides what the body is on its first byte that is not whitespace
//     (space, tab, CR, LF, byte order mark): an XML document is parsed;
//     appauth/getaccesstoken answers JSON; on the file downloads
//     (downloadbill, downloadfundflow) the file itself, gzip or a bill's
//     CSV text, is returned unchecked, as WeChat Pay does not sign it.
//     Anything else (JSON, an empty body, malformed XML, junk before the
//     XML) fails with a *VerifyError wrapping ErrUnexpectedFormat, never a
//     success;
//   - fails with a *V2Error when return_code is not SUCCESS (such answers are
//     never signed);
//   - checks the sign, HMAC-SHA256 when it is 64 hex digits and MD5
//     otherwise, keyed with secret, except on the endpoints WeChat Pay
//     answers unsigned (see UnsignedV2); a nested or repeated element,
//     which the sign does not cover, fails it (ErrUnsignedFields);
//   - fails with a *V2Error when result_code is present and not SUCCESS;
//   - on a file download, fails with ErrNoFile when the XML reports no
//     failure, or the body is empty: there is no file.
//
// When the request has a Sink, only a download's file is written to it: an
// XML answer is kept in memory and checked instead, and any other answer is
// refused without reaching the sink.
func TransformResponse(secret crypto.Secret) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			download := v2FileDownloads[req.Pathname]
			var guard *v2Sink
			if req.Sink != nil {
				guard = &v2Sink{w: req.Sink, download: download}
				req.Sink = guard
			}
			resp, err := next.Handle(ctx, req)
			if guard != nil {
				req.Sink = guard.w
				if err != nil && guard.err != nil {
					// The guard stopped the answer: that, not the
					// transport, is the reason.
					return nil, &VerifyError{Err: guard.err}
				}
				if err == nil {
					if ferr := guard.finish(); ferr != nil {
						if guard.err != nil {
							return nil, &VerifyError{Err: guard.err, Response: resp}
						}
						return nil, ferr
					}
				}
			}
			if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
				return resp, err
			}
			var kind v2Body
			if guard != nil {
				kind = guard.kind
				if kind != v2File {
					resp.Body = guard.buf.Bytes()
					resp.Written = 0
				}
			} else {
				kind = classifyV2Body(resp.Body, download, true)
			}
			if req.Pathname == "/appauth/getaccesstoken" {
				return checkAccessToken(resp)
			}
			switch kind {
			case v2File:
				return resp, nil
			case v2Empty:
				if download {
					return nil, &VerifyError{Err: fmt.Errorf("%w: an empty body", ErrNoFile), Response: resp}
				}
				return nil, &VerifyError{Err: fmt.Errorf("%w: an empty body", ErrUnexpectedFormat), Response: resp}
			case v2Other:
				return nil, &VerifyError{Err: fmt.Errorf("%w: %s", ErrUnexpectedFormat, describeBody(resp.Body)), Response: resp}
			}
			fields, err := transformer.ToMap(resp.Body[skipXMLSpace(resp.Body):])
			if err != nil {
				return nil, &VerifyError{Err: fmt.Errorf("%w: %w", ErrUnexpectedFormat, err), Response: resp}
			}
			resp.setFields(fields)
			if s := str(fields["return_code"]); s != "SUCCESS" {
				return nil, newV2Error(resp, fields)
			}
			if !UnsignedV2(req.Pathname) {
				if err := checkV2Sign(fields, secret); err != nil {
					return nil, &VerifyError{Err: err, Response: resp}
				}
			}
			if rc, ok := fields["result_code"]; ok && str(rc) != "SUCCESS" {
				return nil, newV2Error(resp, fields)
			}
			if download {
				return nil, &VerifyError{Err: fmt.Errorf("%w: an XML answer that reports no failure", ErrNoFile), Response: resp}
			}
			return resp, nil
		})
	}
}

func checkV2Sign(fields map[string]any, secret crypto.Secret) error {
	// WeChat Pay answers with the hash of the request; its length tells.
	signType := crypto.SignTypeMD5
	if len(str(fields["sign"])) == 64 {
		signType = crypto.SignTypeHMACSHA256
	}
	key := secret.Reveal()
	defer clear(key)
	return VerifyV2Sign(fields, signType, key)
}

// VerifyV2Sign checks the sign field of APIv2 fields (an answer or a
// notification): signType over the byte-sorted k=v&… string of the other
// non-empty fields, keyed with the APIv2 key, compared in constant time.
// The sign covers text fields only: fields holding a nested or repeated
// element (a map or a slice, as transformer.ToMap reads them) are refused
// rather than passed unsigned. The error wraps ErrMissingSign,
// ErrUnsignedFields or ErrBadSignature.
func VerifyV2Sign(fields map[string]any, signType string, key []byte) error {
	sign := str(fields["sign"])
	if sign == "" {
		return ErrMissingSign
	}
	flat := make(map[string]string, len(fields))
	for k, v := range fields {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("%w: <%s> is nested or repeated", ErrUnsignedFields, clipName(firstNonString(fields)))
		}
		flat[k] = s
	}
	want, err := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.Ksort(flat))), key)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrBadSignature, err)
	}
	if !crypto.Equal(want, sign) {
		return fmt.Errorf("%w (%s)", ErrBadSignature, signType)
	}
	return nil
}

func checkAccessToken(resp *Response) (*Response, error) {
	var body struct {
		Retcode *json.Number `json:"retcode"`
		Retmsg  string       `json:"retmsg"`
	}
	b := bytes.TrimSpace(resp.Body)
	if len(b) == 0 || b[0] != '{' || !json.Valid(b) {
		return nil, &VerifyError{Err: fmt.Errorf("%w: %s, not a JSON object", ErrUnexpectedFormat, describeBody(resp.Body)), Response: resp}
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&body); err != nil {
		return nil, &VerifyError{Err: fmt.Errorf("%w: %w", ErrUnexpectedFormat, err), Response: resp}
	}
	if body.Retcode != nil && body.Retcode.String() != "0" {
		return nil, &V2Error{ResultCode: "FAIL", ErrCode: body.Retcode.String(), ErrCodeDes: body.Retmsg, Response: resp}
	}
	return resp, nil
}

func newV2Error(resp *Response, f map[string]any) *V2Error {
	return &V2Error{
		ReturnCode: str(f["return_code"]), ReturnMsg: str(f["return_msg"]),
		ResultCode: str(f["result_code"]), ErrCode: str(f["err_code"]), ErrCodeDes: str(f["err_code_des"]),
		Response: resp,
	}
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// unsignedV2 lists the APIv2 endpoints whose answers WeChat Pay does not
// sign: the union of the lists the reference SDKs keep (with the bank
// transfer paths under /mmpaysptrans/, where they really are) and the
// endpoints whose documented answer has no sign field.
var unsignedV2 = map[string]bool{
	"/appauth/getaccesstoken":                            true,
	"/applyment/micro/signcontract":                      true,
	"/billcommentsp/batchquerycomment":                   true,
	"/mchrisk/querymchrisk":                              true,
	"/mchrisk/setmchriskcallback":                        true,
	"/mchrisk/syncmchriskresult":                         true,
	"/mmpaymkttransfers/gethbinfo":                       true,
	"/mmpaymkttransfers/gettransferinfo":                 true,
	"/mmpaymkttransfers/promotion/paywwsptrans2pocket":   true,
	"/mmpaymkttransfers/promotion/querywwsptrans2pocket": true,
	"/mmpaymkttransfers/promotion/transfers":             true,
	"/mmpaymkttransfers/sendgroupredpack":                true,
	"/mmpaymkttransfers/sendminiprogramhb":               true,
	"/mmpaymkttransfers/sendredpack":                     true,
	"/mmpaysptrans/pay_bank":                             true,
	"/mmpaysptrans/query_bank":                           true,
	"/papay/entrustweb":                                  true,
	"/papay/h5entrustweb":                                true,
	"/papay/partner/entrustweb":                          true,
	"/papay/partner/h5entrustweb":                        true,
	"/pay/downloadbill":                                  true,
	"/pay/downloadfundflow":                              true,
	"/payitil/report":                                    true,
	"/risk/getpublickey":                                 true,
	"/risk/getviolation":                                 true,
	"/sandboxnew/pay/downloadbill":                       true,
	"/sandboxnew/pay/getsignkey":                         true,
	"/secapi/mch/submchmanage":                           true,
	"/xdc/apiv2getsignkey/sign/getsignkey":               true,
	"/xdc/apiv2sandbox/pay/micropay":                     true,
	"/xdc/apiv2sandbox/pay/orderquery":                   true,
}

// UnsignedV2 reports whether WeChat Pay answers the APIv2 endpoint pathname
// (e.g. "/mmpaymkttransfers/sendredpack") without a sign.
func UnsignedV2(pathname string) bool { return unsignedV2[pathname] }

// firstNonString returns the smallest name of a field that is not a string,
// so that an error names the same one each time.
func firstNonString(fields map[string]any) string {
	name, found := "", false
	for k, v := range fields {
		if _, ok := v.(string); !ok && (!found || k < name) {
			name, found = k, true
		}
	}
	return name
}

// clipName shortens an element name a peer chose before it goes into an
// error message.
func clipName(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}
