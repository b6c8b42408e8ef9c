package middleware

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// fuzzSecret is the APIv2 key of the fuzz targets; the seed corpus under
// testdata/fuzz holds answers signed with it.
const fuzzSecret = "fuzzfuzzfuzzfuzzfuzzfuzzfuzz0123"

// fuzzPaths are the kinds of APIv2 endpoint an answer is tried on: signed,
// a file download, unsigned, the JSON one.
var fuzzPaths = []string{"/pay/micropay", "/pay/downloadbill", "/mchrisk/setmchriskcallback", "/appauth/getaccesstoken"}

// signV2Fields signs fields as WeChat Pay does and writes them as XML.
func signV2Fields(t testing.TB, fields map[string]string, signType string) []byte {
	t.Helper()
	f := map[string]string{}
	for k, v := range fields {
		f[k] = v
	}
	sign, err := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.Ksort(f))), []byte(fuzzSecret))
	if err != nil {
		t.Fatal(err)
	}
	f["sign"] = sign
	b, err := transformer.ToXML(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// runTransform passes body through the transform_response step as the
// transport would: in memory, or into a sink in chunks of chunk bytes.
func runTransform(pathname string, body []byte, chunk int, sink *bytes.Buffer) (*Response, error) {
	next := HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
		resp := &Response{StatusCode: 200, Header: http.Header{}, Request: req}
		if req.Sink == nil {
			resp.Body = append([]byte(nil), body...)
			return resp, nil
		}
		for b := body; len(b) > 0; {
			n := min(chunk, len(b))
			w, err := req.Sink.Write(b[:n])
			resp.Written += int64(w)
			if err != nil {
				return nil, &TransportError{Op: "read", Sent: true, Err: err}
			}
			b = b[n:]
		}
		return resp, nil
	})
	req := &Request{Method: http.MethodPost, Pathname: pathname}
	if sink != nil {
		req.Sink = sink
	}
	return TransformResponse(crypto.NewSecret(fuzzSecret))(next).Handle(context.Background(), req)
}

// errorClass names what kind of failure err is, for comparing outcomes.
func errorClass(err error) string {
	var v2 *V2Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &v2):
		return "V2Error"
	}
	for _, e := range []error{ErrUnexpectedFormat, ErrNoFile, ErrUnsignedFields, ErrMissingSign, ErrBadSignature} {
		if errors.Is(err, e) {
			var ve *VerifyError
			if !errors.As(err, &ve) {
				return "untyped " + e.Error()
			}
			return e.Error()
		}
	}
	return "other: " + err.Error()
}

// FuzzTransformResponse feeds any body to the APIv2 response step, in
// memory and through a sink in small chunks. Nothing unverified passes:
// a success is a download's file (only ever written to the sink), the JSON
// object of getaccesstoken, an unsigned endpoint's SUCCESS XML, or XML
// whose sign is recomputed here and matches. Both ways agree, every
// failure is typed and leaves the sink empty, and whitespace in front of
// an XML document changes nothing.
func FuzzTransformResponse(f *testing.F) {
	signed := signV2Fields(f, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "total_fee": "1", "nonce_str": "n"}, crypto.SignTypeMD5)
	for _, s := range []string{
		string(signed),
		"  \r\n" + string(signed),
		"\ufeff" + string(signed),
		"x" + string(signed),
		strings.Replace(string(signed), "</xml>", "<coupon><v>1</v></coupon></xml>", 1),
		strings.Replace(string(signed), "</xml>", "<total_fee>2</total_fee></xml>", 1),
		string(signV2Fields(f, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "nonce_str": "n"}, crypto.SignTypeHMACSHA256)),
		`{"return_code":"SUCCESS","result_code":"SUCCESS","trade_state":"SUCCESS"}`,
		"", " ", "<xml><return_code>FAIL</return_code><return_msg>No Bill Exist</return_msg></xml>",
		strings.Repeat(" ", 20) + "<xml><return_code>FAIL</return_code></xml>",
		"<xml><return_code>SUCCESS</return_code></xml>",
		"\ufeff交易时间,公众账号ID\r\n`2014-06-03 10:00:00,`wx2421b1c4370ec43b\r\n",
		"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff", "junk,\n<xml/>", `{"retcode":0,"access_token":"T"}`, "<html><body>502</body></html>",
	} {
		for i := range fuzzPaths {
			f.Add([]byte(s), uint8(i), uint8(3))
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, path, chunk uint8) {
		pathname := fuzzPaths[int(path)%len(fuzzPaths)]
		n := int(chunk)%16 + 1
		r1, e1 := runTransform(pathname, body, n, nil)
		var sink bytes.Buffer
		r2, e2 := runTransform(pathname, body, n, &sink)
		if c1, c2 := errorClass(e1), errorClass(e2); c1 != c2 {
			t.Fatalf("%s: in memory %s (%v), through a sink %s (%v)", pathname, c1, e1, c2, e2)
		}
		if c := errorClass(e1); strings.HasPrefix(c, "other") || strings.HasPrefix(c, "untyped") {
			t.Fatalf("%s: an untyped failure: %v", pathname, e1)
		}
		if e1 != nil {
			if r1 != nil || r2 != nil || sink.Len() != 0 {
				t.Fatalf("%s: failed (%v), yet an answer came back or %d bytes reached the sink", pathname, e1, sink.Len())
			}
		} else {
			checkAccepted(t, pathname, body, r1, r2, &sink)
		}
		// Whitespace in front of an XML document changes nothing.
		if lead := skipXMLSpace(body); lead < len(body) && body[lead] == '<' {
			_, e3 := runTransform(pathname, append([]byte(" \r\n\t\ufeff"), body...), n, nil)
			if errorClass(e3) != errorClass(e1) {
				t.Fatalf("%s: %v, but %v behind whitespace", pathname, e1, e3)
			}
		}
	})
}

// checkAccepted asserts that an accepted answer is one that may be.
func checkAccepted(t *testing.T, pathname string, body []byte, mem, sunk *Response, sink *bytes.Buffer) {
	t.Helper()
	switch pathname {
	case "/pay/downloadbill":
		gz := len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b
		if !gz && !bytes.Contains(body, []byte("\n")) || len(body) == 0 {
			t.Fatalf("accepted as a bill: %q", body)
		}
		if !bytes.Equal(sink.Bytes(), body) || len(sunk.Body) != 0 {
			t.Fatalf("the sink got %q of %q", sink.Bytes(), body)
		}
		return
	case "/appauth/getaccesstoken":
		if b := bytes.TrimSpace(body); len(b) == 0 || b[0] != '{' {
			t.Fatalf("accepted as JSON: %q", body)
		}
		return
	}
	if sink.Len() != 0 {
		t.Fatalf("an XML answer reached the sink: %q", sink.Bytes())
	}
	fields, err := transformer.ToMap(body[skipXMLSpace(body):])
	if err != nil {
		t.Fatalf("accepted, yet not XML: %v", err)
	}
	if fields["return_code"] != "SUCCESS" || fields["result_code"] != nil && fields["result_code"] != "SUCCESS" {
		t.Fatalf("accepted a failure: %v", fields)
	}
	if got := mem.Get("return_code").String(); got != "SUCCESS" {
		t.Fatalf("the answer reads return_code %q", got)
	}
	if UnsignedV2(pathname) {
		return
	}
	// Recompute the sign independently of VerifyV2Sign.
	flat := map[string]string{}
	for k, v := range fields {
		s, ok := v.(string)
		if !ok {
			t.Fatalf("accepted a nested or repeated <%s>", k)
		}
		flat[k] = s
	}
	signType := crypto.SignTypeMD5
	if len(flat["sign"]) == 64 {
		signType = crypto.SignTypeHMACSHA256
	}
	want, _ := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.Ksort(flat))), []byte(fuzzSecret))
	if want == "" || want != flat["sign"] {
		t.Fatalf("accepted with sign %q, want %q", flat["sign"], want)
	}
}

// fuzzNow is the local time of FuzzVerifySignature.
var fuzzNow = time.Unix(1700000000, 0)

const fuzzSerial = "PUB_KEY_ID_0100000000000000000000000001"

func fuzzKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := crypto.LoadPrivateKey("../crypto/testdata/apiclient_key.pem")
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func signAnswer(t testing.TB, key *rsa.PrivateKey, ts, nonce string, body []byte) string {
	t.Helper()
	d := sha256.Sum256(formatter.AppendResponse(nil, ts, nonce, body))
	sig, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// FuzzVerifySignature checks any Wechatpay-* headers over any body: a
// success only ever comes with a known serial, a timestamp within
// MaxClockOffset (compared here in arbitrary precision), and a signature
// the standard library verifies; every failure is one of the documented
// reasons.
func FuzzVerifySignature(f *testing.F) {
	key := fuzzKey(f)
	body := []byte(`{"trade_state":"SUCCESS"}`)
	for _, ts := range []int64{fuzzNow.Unix(), fuzzNow.Unix() - 300, fuzzNow.Unix() + 301, fuzzNow.Unix() + math.MinInt64, math.MinInt64, math.MaxInt64} {
		s := strconv.FormatInt(ts, 10)
		f.Add(s, "n0nce", fuzzSerial, signAnswer(f, key, s, "n0nce", body), body)
	}
	f.Add("1700000000", "n", fuzzSerial, "WECHATPAY/SIGNTEST/"+signAnswer(f, key, "1700000000", "n", body), body)
	f.Add("+1700000000", "n", "other", "", []byte{})
	keys := NewKeys(map[string]*rsa.PublicKey{fuzzSerial: &key.PublicKey})
	f.Fuzz(func(t *testing.T, ts, nonce, serial, signature string, body []byte) {
		h := http.Header{}
		for k, v := range map[string]string{HeaderTimestamp: ts, HeaderNonce: nonce, HeaderSerial: serial, HeaderSignature: signature} {
			h[k] = []string{v}
		}
		err := VerifySignature(keys, h, body, fuzzNow)
		if err != nil {
			for _, reason := range []error{ErrMissingHeaders, ErrSignTest, ErrClockSkew, ErrUnknownSerial, ErrCertificateExpired, ErrBadSignature} {
				if errors.Is(err, reason) {
					return
				}
			}
			t.Fatalf("an undocumented failure: %v", err)
		}
		if serial != fuzzSerial || strings.HasPrefix(signature, "WECHATPAY/SIGNTEST/") {
			t.Fatalf("verified with serial %q, signature %q", serial, signature)
		}
		n, ok := new(big.Int).SetString(ts, 10)
		if !ok {
			t.Fatalf("verified with timestamp %q", ts)
		}
		if d := new(big.Int).Sub(n, big.NewInt(fuzzNow.Unix())); d.CmpAbs(big.NewInt(int64(MaxClockOffset/time.Second))) > 0 {
			t.Fatalf("verified with timestamp %s, %s s from now", ts, d)
		}
		sig, err := base64.StdEncoding.DecodeString(signature)
		d := sha256.Sum256(formatter.AppendResponse(nil, ts, nonce, body))
		if err != nil || rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, d[:], sig) != nil {
			t.Fatalf("verified a signature the standard library refuses: %q", signature)
		}
	})
}

// The clock check, on its own: a timestamp 2^63 s away does not wrap.
func TestVerifySignatureClockWrap(t *testing.T) {
	key := fuzzKey(t)
	keys := NewKeys(map[string]*rsa.PublicKey{fuzzSerial: &key.PublicKey})
	body := []byte("{}")
	for _, ts := range []int64{fuzzNow.Unix() + math.MinInt64, math.MinInt64, math.MaxInt64, fuzzNow.Unix() + 301, fuzzNow.Unix() - 301} {
		s := strconv.FormatInt(ts, 10)
		h := http.Header{HeaderTimestamp: {s}, HeaderNonce: {"n"}, HeaderSerial: {fuzzSerial}, HeaderSignature: {signAnswer(t, key, s, "n", body)}}
		if err := VerifySignature(keys, h, body, fuzzNow); !errors.Is(err, ErrClockSkew) {
			t.Errorf("Wechatpay-Timestamp %s at %d: %v", s, fuzzNow.Unix(), err)
		}
	}
	for _, ts := range []int64{fuzzNow.Unix() + 300, fuzzNow.Unix() - 300, fuzzNow.Unix()} {
		s := strconv.FormatInt(ts, 10)
		h := http.Header{HeaderTimestamp: {s}, HeaderNonce: {"n"}, HeaderSerial: {fuzzSerial}, HeaderSignature: {signAnswer(t, key, s, "n", body)}}
		if err := VerifySignature(keys, h, body, fuzzNow); err != nil {
			t.Errorf("Wechatpay-Timestamp %s at %d: %v", s, fuzzNow.Unix(), err)
		}
	}
	if within(math.MinInt64, math.MaxInt64, math.MaxInt64) || within(math.MinInt64, 0, math.MaxInt64) || !within(math.MinInt64, -1, math.MaxInt64) {
		t.Error("within is wrong at the extremes")
	}
}
