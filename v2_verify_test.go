package wechatpay_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// v2Calls are the APIv2 calls the non-XML answers are tried on: a payment,
// a refund over mutual TLS, a query.
var v2Calls = []struct {
	route string
	opts  func(mchID string) wechatpay.M
}{
	{"v2/pay/micropay", func(mchID string) wechatpay.M {
		return wechatpay.M{"xml": wechatpay.M{"mch_id": mchID, "appid": "wx1", "auth_code": "120061098828009406", "total_fee": "1"}}
	}},
	{"v2/secapi/pay/refund", func(mchID string) wechatpay.M {
		return wechatpay.M{"security": true, "xml": wechatpay.M{"mch_id": mchID, "appid": "wx1", "out_trade_no": "1", "out_refund_no": "R1", "total_fee": "1", "refund_fee": "1"}}
	}},
	{"v2/pay/orderquery", func(mchID string) wechatpay.M {
		return wechatpay.M{"xml": wechatpay.M{"mch_id": mchID, "out_trade_no": "1"}}
	}},
}

// An APIv2 answer is verified whatever its body: JSON, an empty body, or
// bytes in front of the XML never come back as a success, with or without
// a sink; whitespace in front of a signed document does not matter.
func TestV2AnswersNotXML(t *testing.T) {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	c := newClient(t, srv)
	success := map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "trade_state": "SUCCESS", "mch_id": srv.MchID, "nonce_str": "n"}
	signed := v2Signed(t, srv.Secret, success, "MD5")

	refused := map[string][]byte{
		"json":               []byte(`{"return_code":"SUCCESS","result_code":"SUCCESS","trade_state":"SUCCESS"}`),
		"empty":              {},
		"whitespace only":    []byte(" \r\n\t"),
		"junk before xml":    append([]byte("x"), signed...),
		"nul before xml":     append([]byte("\x00\x00"), signed...),
		"nbsp before xml":    append([]byte("\u00a0"), signed...),
		"text":               []byte("SUCCESS"),
		"gzip on a non-file": gzipped(t, signed),
		"a bill":             []byte(tradeBillCSV),
	}
	accepted := map[string][]byte{
		"signed":              signed,
		"spaces before":       append([]byte(strings.Repeat(" ", 40)), signed...),
		"newlines before":     append([]byte("\r\n\n\t"), signed...),
		"byte order mark":     append([]byte("\ufeff"), signed...),
		"space then BOM":      append([]byte(" \ufeff\n"), signed...),
		"whitespace after it": append(append([]byte{}, signed...), "\n \n"...),
	}
	for _, call := range v2Calls {
		var body []byte
		contentType := "application/json"
		srv.HandleFunc("POST", call.route, func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			return &wechatpaytest.Answer{Body: body, Header: http.Header{"Content-Type": {contentType}}}
		})
		for name, b := range refused {
			body = b
			for _, sink := range []bool{false, true} {
				opts := call.opts(srv.MchID)
				var buf bytes.Buffer
				if sink {
					opts["sink"] = &buf
				}
				res, err := c.Chain(call.route).Post(opts)
				var ve *wechatpay.VerifyError
				if res != nil || !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrUnexpectedFormat) {
					t.Fatalf("%s, %s (sink %v): %v, %v; want a *VerifyError wrapping ErrUnexpectedFormat", call.route, name, sink, res, err)
				}
				if ve.Response == nil || !bytes.Equal(ve.Response.Body, b) || ve.Response.RequestID() == "" || buf.Len() != 0 {
					t.Fatalf("%s, %s (sink %v): the refused answer is not kept whole, or reached the sink (%d bytes)", call.route, name, sink, buf.Len())
				}
			}
		}
		contentType = "text/xml"
		for name, b := range accepted {
			body = b
			res, err := c.Chain(call.route).Post(call.opts(srv.MchID))
			if err != nil || res.Get("trade_state").String() != "SUCCESS" {
				t.Fatalf("%s, %s: %v", call.route, name, err)
			}
		}
		// Whitespace in front does not hide a bad sign either.
		body = append([]byte(strings.Repeat("\n", 20)), bytes.Replace(signed, []byte("<trade_state>SUCCESS"), []byte("<trade_state>REFUND"), 1)...)
		if _, err := c.Chain(call.route).Post(call.opts(srv.MchID)); !errors.Is(err, wechatpay.ErrBadSignature) {
			t.Fatalf("%s: a tampered answer behind whitespace: %v", call.route, err)
		}
	}
}

// Nested or repeated elements are outside the sign: an answer carrying
// them is refused, however they are spelled.
func TestV2AnswerUnsignedElements(t *testing.T) {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	c := newClient(t, srv)
	signed := v2Signed(t, srv.Secret, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "coupon_fee": "1", "total_fee": "1", "nonce_str": "n"}, "HMAC-SHA256")
	var body []byte
	srv.HandleFunc("POST", "v2/pay/orderquery", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: body}
	})
	query := wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "out_trade_no": "1"}}
	for name, extra := range map[string]string{
		"nested":         "<coupon_detail><v>1000</v></coupon_detail>",
		"nested empty":   "<promotion><a></a></promotion>",
		"repeated":       "<total_fee>1000</total_fee>",
		"repeated empty": "<coupon_fee></coupon_fee>",
		"deep":           "<a><b><c>1</c></b></a>",
	} {
		body = bytes.Replace(signed, []byte("</xml>"), []byte(extra+"</xml>"), 1)
		res, err := c.Chain("v2/pay/orderquery").Post(query)
		var ve *wechatpay.VerifyError
		if res != nil || !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrUnsignedFields) {
			t.Fatalf("%s: %v, %v; want ErrUnsignedFields", name, res, err)
		}
		if got := ve.Response.Get("coupon_detail.v").String(); name == "nested" && got != "1000" {
			t.Fatalf("the refused answer is not kept for inspection: %q", got)
		}
	}
	body = signed
	if res, err := c.Chain("v2/pay/orderquery").Post(query); err != nil || res.Get("coupon_fee").String() != "1" {
		t.Fatal(err)
	}
	// The unsigned endpoints with nested answers (红包查询 hblist) still work:
	// nothing there is signed.
	srv.HandleFunc("POST", "v2/mmpaymkttransfers/gethbinfo", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte("<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code>" +
			"<hblist><hbinfo><openid>o1</openid><amount>100</amount></hbinfo></hblist></xml>")}
	})
	res, err := c.Chain("v2/mmpaymkttransfers/gethbinfo").Post(wechatpay.M{"security": true, "xml": wechatpay.M{"mch_id": srv.MchID}})
	if err != nil || res.Get("hblist.hbinfo.openid").String() != "o1" {
		t.Fatal(err)
	}
}

// A bill download decides on the first byte that is not whitespace: an XML
// failure behind any amount of whitespace is the failure, never the bill;
// a successful XML answer, an empty body, JSON or HTML are not a bill
// either, and leave no file.
func TestV2DownloadNotABill(t *testing.T) {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	c := newClient(t, srv)
	fail := []byte("<xml><return_code>FAIL</return_code><return_msg>No Bill Exist</return_msg><error_code>20002</error_code></xml>")
	okXML := []byte("<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>")
	var body []byte
	for _, route := range []string{"v2/pay/downloadbill", "v2/pay/downloadfundflow"} {
		srv.HandleFunc("POST", route, func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			return &wechatpaytest.Answer{Body: body, Header: http.Header{"Content-Type": {"text/plain"}}}
		})
	}
	dir := t.TempDir()
	type outcome struct {
		v2  bool  // a *V2Error "No Bill Exist"
		err error // else a *VerifyError wrapping err
	}
	cases := []struct {
		name string
		body []byte
		want outcome
	}{
		{"fail", fail, outcome{v2: true}},
		{"fail behind 16 spaces", append([]byte(strings.Repeat(" ", 16)), fail...), outcome{v2: true}},
		{"fail behind 5000 newlines", append([]byte(strings.Repeat("\r\n", 2500)), fail...), outcome{v2: true}},
		{"fail behind a BOM", append([]byte("\ufeff\n"), fail...), outcome{v2: true}},
		{"success XML", okXML, outcome{err: wechatpay.ErrNoFile}},
		{"success XML behind spaces", append([]byte(strings.Repeat(" ", 64)), okXML...), outcome{err: wechatpay.ErrNoFile}},
		{"empty", nil, outcome{err: wechatpay.ErrNoFile}},
		{"whitespace only", []byte(strings.Repeat(" ", 100)), outcome{err: wechatpay.ErrNoFile}},
		{"json", []byte(`{"return_code":"SUCCESS","bill":"x,y"}`), outcome{err: wechatpay.ErrUnexpectedFormat}},
		{"junk then fail", append([]byte("junk,\n"), fail...), outcome{err: wechatpay.ErrUnexpectedFormat}},
		{"spaces then a bill", append([]byte("  "), tradeBillCSV...), outcome{err: wechatpay.ErrUnexpectedFormat}},
		{"html", []byte("<!DOCTYPE html><html><body><p>502 Bad Gateway<br></body></html>"), outcome{err: wechatpay.ErrUnexpectedFormat}},
	}
	for _, route := range []string{"v2/pay/downloadbill", "v2/pay/downloadfundflow"} {
		xml := wechatpay.M{"appid": "wx8888888888888888", "mch_id": srv.MchID, "bill_date": "20140603", "bill_type": "ALL", "account_type": "Basic", "sign_type": "HMAC-SHA256"}
		for _, tc := range cases {
			body = tc.body
			dest := filepath.Join(dir, "bill.csv")
			check := func(how string, err error) {
				t.Helper()
				var v2 *wechatpay.V2Error
				switch {
				case tc.want.v2 && (!errors.As(err, &v2) || v2.ReturnMsg != "No Bill Exist"):
					t.Fatalf("%s %s (%s): %v; want the V2Error", route, tc.name, how, err)
				case !tc.want.v2 && !errors.Is(err, tc.want.err):
					t.Fatalf("%s %s (%s): %v; want %v", route, tc.name, how, err, tc.want.err)
				}
				if entries, _ := os.ReadDir(dir); len(entries) != 0 {
					t.Fatalf("%s %s (%s): left %v", route, tc.name, how, entries[0].Name())
				}
			}
			_, err := c.Chain(route).Download(context.Background(), "POST", wechatpay.Download{File: dest, Gunzip: true},
				wechatpay.M{"security": true, "xml": xml})
			check("Download to a file", err)
			_, err = c.Chain(route).Post(wechatpay.M{"security": true, "xml": xml, "sink": dest})
			check("sink to a file", err)
			var buf bytes.Buffer
			_, err = c.Chain(route).Post(wechatpay.M{"security": true, "xml": xml, "sink": &buf})
			check("sink to a writer", err)
			if buf.Len() != 0 {
				t.Fatalf("%s %s: %d bytes reached the writer", route, tc.name, buf.Len())
			}
			_, err = c.Chain(route).Post(wechatpay.M{"security": true, "xml": xml})
			check("in memory", err)
		}
		// The files themselves still come through, plain and gzip.
		for _, b := range [][]byte{[]byte(tradeBillCSV), gzipped(t, []byte(tradeBillCSV))} {
			body = b
			dest := filepath.Join(dir, "bill.csv")
			res, err := c.Chain(route).Download(context.Background(), "POST", wechatpay.Download{File: dest, Gunzip: true},
				wechatpay.M{"security": true, "xml": xml})
			if err != nil {
				t.Fatalf("%s: %v", route, err)
			}
			if got, _ := os.ReadFile(dest); string(got) != tradeBillCSV || res.Received != int64(len(b)) {
				t.Fatalf("%s: %q", route, got)
			}
			os.Remove(dest)
		}
	}
}

// The same for notifications: an element the sign does not cover refuses
// the notification before the business function sees it.
func TestV2NotificationUnsignedElements(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	post, calls, got := v2Receiver(t, nf)
	signed := v2Signed(t, srv.Secret, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "mch_id": srv.MchID,
		"out_trade_no": "O1", "transaction_id": "4200000001", "total_fee": "1", "coupon_fee": "0", "nonce_str": "n"}, "MD5")
	for name, extra := range map[string]string{
		"nested":   "<coupon_fee_detail><v>1000</v></coupon_fee_detail>",
		"repeated": "<total_fee>100000</total_fee>",
		"list":     "<coupon_id><item>1</item><item>2</item></coupon_id>",
	} {
		body := bytes.Replace(signed, []byte("</xml>"), []byte(extra+"</xml>"), 1)
		if code, b := post(body); code != http.StatusUnauthorized || !strings.Contains(b, "signature verification failed") {
			t.Fatalf("%s: %d %s", name, code, b)
		}
		if _, err := nf.ParseV2Notification(nil, body); !errors.Is(err, wechatpay.ErrUnsignedFields) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	if calls.Load() != 0 {
		t.Fatal("a notification with unsigned elements reached the business function")
	}
	if code, _ := post(signed); code != 200 || got().Field("total_fee") != "1" {
		t.Fatal(code)
	}
}
