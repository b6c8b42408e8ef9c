package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// TransformResponse returns the APIv2 "transform_response" step. For a 2xx
// answer it:
//   - parses the XML (JSON for appauth/getaccesstoken); a body that is
//     neither, such as the CSV or gzip of a successful downloadbill, passes
//     as is;
//   - fails with a *V2Error when return_code is not SUCCESS (such answers are
//     never signed);
//   - checks the sign, HMAC-SHA256 when it is 64 hex digits and MD5
//     otherwise, keyed with secret, except on the endpoints WeChat Pay
//     answers unsigned (see UnsignedV2);
//   - fails with a *V2Error when result_code is present and not SUCCESS.
//
// When the request has a Sink (downloadbill, downloadfundflow), an XML
// answer is kept in memory and checked instead of being written to the sink:
// on those endpoints WeChat Pay answers a file on success and XML on failure.
func TransformResponse(secret crypto.Secret) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			var guard *xmlGuard
			if req.Sink != nil {
				guard = &xmlGuard{w: req.Sink}
				req.Sink = guard
			}
			resp, err := next.Handle(ctx, req)
			if guard != nil {
				req.Sink = guard.w
				if ferr := guard.finish(); err == nil && ferr != nil {
					return nil, ferr
				}
			}
			if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
				return resp, err
			}
			if guard != nil && guard.xml {
				resp.Body = guard.buf.Bytes()
				resp.Written = 0
			}
			if req.Pathname == "/appauth/getaccesstoken" {
				return checkAccessToken(resp)
			}
			if !looksLikeXML(resp.Body) {
				return resp, nil
			}
			fields, err := transformer.ToMap(resp.Body)
			if err != nil {
				return nil, fmt.Errorf("wechatpay: parsing the APIv2 answer: %w", err)
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
// non-empty string fields, keyed with the APIv2 key, compared in constant
// time. The error wraps ErrMissingSign or ErrBadSignature.
func VerifyV2Sign(fields map[string]any, signType string, key []byte) error {
	sign := str(fields["sign"])
	if sign == "" {
		return ErrMissingSign
	}
	flat := make(map[string]string, len(fields))
	for k, v := range fields {
		if s, ok := v.(string); ok {
			flat[k] = s
		}
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
	d := json.NewDecoder(bytes.NewReader(resp.Body))
	d.UseNumber()
	if err := d.Decode(&body); err != nil {
		return nil, fmt.Errorf("wechatpay: parsing the answer: %w", err)
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

// xmlGuard sits in front of a download sink: when the answer starts like an
// XML document it keeps it in memory instead, up to a bound.
type xmlGuard struct {
	w       io.Writer
	head    []byte
	decided bool
	xml     bool
	buf     bytes.Buffer
}

const (
	xmlGuardPeek  = 16
	xmlGuardLimit = 1 << 20
)

func (g *xmlGuard) Write(p []byte) (int, error) {
	n := len(p)
	if !g.decided {
		need := xmlGuardPeek - len(g.head)
		if len(p) < need {
			g.head = append(g.head, p...)
			return n, nil
		}
		g.head = append(g.head, p[:need]...)
		p = p[need:]
		if err := g.decide(); err != nil {
			return 0, err
		}
	}
	if err := g.write(p); err != nil {
		return 0, err
	}
	return n, nil
}

func (g *xmlGuard) decide() error {
	g.decided = true
	g.xml = looksLikeXML(g.head)
	head := g.head
	g.head = nil
	return g.write(head)
}

func (g *xmlGuard) write(p []byte) error {
	if !g.xml {
		_, err := g.w.Write(p)
		return err
	}
	if g.buf.Len()+len(p) > xmlGuardLimit {
		return fmt.Errorf("wechatpay: APIv2 XML answer larger than %d bytes", xmlGuardLimit)
	}
	g.buf.Write(p)
	return nil
}

// ExpectSize passes the answer's length on to the sink.
func (g *xmlGuard) ExpectSize(n int64) {
	if s, ok := g.w.(interface{ ExpectSize(int64) }); ok {
		s.ExpectSize(n)
	}
}

// finish flushes a body shorter than the peek window.
func (g *xmlGuard) finish() error {
	if g.decided {
		return nil
	}
	return g.decide()
}
