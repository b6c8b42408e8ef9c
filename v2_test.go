package wechatpay_test

import (
	"bytes"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func TestV2Requests(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	var seen map[string]string
	srv.HandleFunc("POST", "v2/pay/orderquery", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		seen = r.Fields
		return wechatpaytest.Fields(map[string]string{"trade_state": "SUCCESS"})
	})
	q := c.Chain("v2/pay/orderquery")

	// MD5 by default, nonce_str added; the server checked the sign.
	if _, err := q.Post(wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "out_trade_no": "1"}}); err != nil {
		t.Fatal(err)
	}
	if len(seen["nonce_str"]) != 32 || len(seen["sign"]) != 32 || seen["sign_type"] != "" {
		t.Fatal(seen)
	}
	// HMAC-SHA256 on request; a caller's nonce_str is kept.
	if _, err := q.Post(wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "sign_type": "HMAC-SHA256", "nonce_str": "abc"}}); err != nil {
		t.Fatal(err)
	}
	if seen["nonce_str"] != "abc" || len(seen["sign"]) != 64 {
		t.Fatal(seen)
	}
	// nonceless
	if _, err := q.Post(wechatpay.M{"nonceless": true, "xml": wechatpay.M{"mch_id": srv.MchID}}); err != nil {
		t.Fatal(err)
	}
	if _, ok := seen["nonce_str"]; ok {
		t.Fatal(seen)
	}
	// mchid and combine_mch_id count as the merchant ID too.
	if _, err := q.Post(wechatpay.M{"xml": wechatpay.M{"mchid": srv.MchID}}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Post(wechatpay.M{"xml": wechatpay.M{"combine_mch_id": srv.MchID}}); err != nil {
		t.Fatal(err)
	}
	n := len(srv.Received())
	// Refused before sending: another merchant ID, none at all, an unknown sign_type.
	for _, xml := range []wechatpay.M{{"mch_id": "1230000109"}, {"appid": "wx1"}} {
		if _, err := q.Post(wechatpay.M{"xml": xml}); !errors.Is(err, middleware.ErrMchIDMismatch) {
			t.Fatal(err)
		}
	}
	_, err := q.Post(wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "sign_type": "HMAC-SHA1"}})
	var se *wechatpay.SignError
	if !errors.As(err, &se) || !errors.Is(err, crypto.ErrSignType) {
		t.Fatal(err)
	}
	if len(srv.Received()) != n {
		t.Fatal("a refused call was sent")
	}
}

func TestV2Get(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("GET", "v2/papay/h5entrustweb", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Fields: map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "redirect_url": "https://example.com/?a=1&b=2"}, Unsigned: true}
	})
	query := wechatpay.M{
		"appid": "wxcbda96de0b165486", "mch_id": srv.MchID, "plan_id": "12535", "contract_code": "100000",
		"contract_display_account": "微信代扣", "notify_url": "https://weixin.qq.com", "version": "1.0",
		"sign_type": "HMAC-SHA256", "timestamp": "1700000000", "clientip": "119.145.83.6",
	}
	res, err := c.Chain("v2/papay/h5entrustweb").Get(wechatpay.M{"nonceless": true, "query": query})
	if err != nil {
		t.Fatal(err)
	}
	if res.Get("redirect_url").String() != "https://example.com/?a=1&b=2" {
		t.Fatal(string(res.Body))
	}
	got := lastReceived(t, srv)
	if len(got.Body) != 0 || !strings.Contains(got.Target, "contract_display_account=%E5%BE%AE%E4%BF%A1%E4%BB%A3%E6%89%A3") ||
		!strings.Contains(got.Target, "&sign=") || strings.Contains(got.Target, "nonce_str") {
		t.Fatal(got.Target)
	}
	// A sign in the query, as some PHP samples carry, is computed again
	// and sent in its place, as wechatpay-php does.
	query["sign"] = "WRONG"
	if _, err := c.Chain("v2/papay/h5entrustweb").Get(wechatpay.M{"nonceless": true, "query": query}); err != nil {
		t.Fatal(err)
	}
	if target := lastReceived(t, srv).Target; strings.Contains(target, "WRONG") || !strings.Contains(target, "&plan_id=12535&sign=") {
		t.Fatal(target)
	}
}

func TestV2Answers(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	xml := wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID}}
	answer := func(a *wechatpaytest.Answer) {
		srv.HandleFunc("POST", "v2/pay/micropay", func(r *wechatpaytest.Request) *wechatpaytest.Answer { return a })
		srv.HandleFunc("POST", "v2/mchrisk/setmchriskcallback", func(r *wechatpaytest.Request) *wechatpaytest.Answer { return a })
	}

	answer(&wechatpaytest.Answer{Fields: map[string]string{"return_code": "FAIL", "return_msg": "签名错误"}, Unsigned: true})
	_, err := c.Chain("v2/pay/micropay").Post(xml)
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ReturnCode != "FAIL" || v2.ReturnMsg != "签名错误" || err.Error() != "wechatpay: APIv2 return_code FAIL: 签名错误" {
		t.Fatal(err)
	}

	answer(&wechatpaytest.Answer{Fields: map[string]string{"return_code": "SUCCESS", "result_code": "FAIL", "err_code": "USERPAYING", "err_code_des": "需要用户输入支付密码"}})
	_, err = c.Chain("v2/pay/micropay").Post(xml)
	if !errors.As(err, &v2) || v2.ErrCode != "USERPAYING" || v2.ErrCodeDes != "需要用户输入支付密码" {
		t.Fatal(err)
	}
	if f, _ := v2.Response.XML(); f["err_code"] != "USERPAYING" {
		t.Fatal(f)
	}

	// A SUCCESS answer must be signed, except on the endpoints WeChat Pay
	// answers unsigned.
	unsigned := &wechatpaytest.Answer{Fields: map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "send_listid": "1"}, Unsigned: true}
	answer(unsigned)
	_, err = c.Chain("v2/pay/micropay").Post(xml)
	if !errors.Is(err, wechatpay.ErrMissingSign) {
		t.Fatal(err)
	}
	res, err := c.Chain("v2/mchrisk/setmchriskcallback").Post(xml)
	if err != nil || res.Get("send_listid").String() != "1" {
		t.Fatal(err)
	}

	// A sign made with another key.
	answer(&wechatpaytest.Answer{Body: []byte("<xml><return_code>SUCCESS</return_code><result_code>SUCCESS</result_code><sign>0123456789ABCDEF0123456789ABCDEF</sign></xml>")})
	_, err = c.Chain("v2/pay/micropay").Post(xml)
	var ve *wechatpay.VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrBadSignature) {
		t.Fatal(err)
	}

	// Signed answers verify with MD5 and HMAC-SHA256, and decode.
	answer(wechatpaytest.Fields(map[string]string{"transaction_id": "4200000001", "total_fee": "1"}))
	for _, st := range []string{"MD5", "HMAC-SHA256"} {
		res, err := c.Chain("v2/pay/micropay").Post(wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "sign_type": st}})
		if err != nil {
			t.Fatal(st, err)
		}
		var out struct {
			TransactionID string `json:"transaction_id"`
			TotalFee      int    `json:"total_fee,string"`
		}
		if err := res.Unmarshal(&out); err != nil || out.TransactionID != "4200000001" || out.TotalFee != 1 {
			t.Fatal(out, err)
		}
		f, err := res.XML()
		if err != nil || f["transaction_id"] != "4200000001" {
			t.Fatal(f, err)
		}
	}
}

func TestV2AccessToken(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	body := `{"retcode":0,"retmsg":"ok","access_token":"T","access_token_expire_in":7200}`
	srv.HandleFunc("GET", "v2/appauth/getaccesstoken", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte(body), Unsigned: true}
	})
	q := wechatpay.M{"query": wechatpay.M{"mch_id": srv.MchID, "appid": "wx1", "openid": "o", "code": "c", "grant_type": "authorization_code", "scope": "pay_identity", "sign_type": "HMAC-SHA256"}}
	res, err := c.Chain("v2/appauth/getaccesstoken").Get(q)
	if err != nil || res.Get("access_token").String() != "T" {
		t.Fatal(res, err)
	}
	body = `{"retcode":-1,"retmsg":"code expired"}`
	_, err = c.Chain("v2/appauth/getaccesstoken").Get(q)
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ErrCode != "-1" || v2.ErrCodeDes != "code expired" {
		t.Fatal(err)
	}
}

// downloadbill answers the bill on success and XML on failure; with a sink
// only the bill reaches the file, and a failed download leaves no file.
func TestV2DownloadBill(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	bill := "\ufeff交易时间,公众账号ID\n`2014-06-03 10:00:00,`wx2421b1c4370ec43b\n"
	fail := false
	srv.HandleFunc("POST", "v2/pay/downloadbill", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		if fail {
			return wechatpaytest.FailV2("No Bill Exist")
		}
		return &wechatpaytest.Answer{Body: []byte(bill), Header: http.Header{"Content-Type": {"text/plain"}}, Unsigned: true}
	})
	xml := wechatpay.M{"mch_id": srv.MchID, "bill_date": "20140603", "bill_type": "ALL"}
	dir := t.TempDir()
	dest := filepath.Join(dir, "bill.csv")

	res, err := c.Chain("v2/pay/downloadbill").Post(wechatpay.M{"xml": xml, "sink": dest})
	if err != nil || res.Written != int64(len(bill)) {
		t.Fatal(res, err)
	}
	if b, _ := os.ReadFile(dest); string(b) != bill {
		t.Fatalf("%q", b)
	}
	var buf bytes.Buffer
	if _, err := c.Chain("v2/pay/downloadbill").Post(wechatpay.Options{XML: xml, Sink: &buf}); err != nil || buf.String() != bill {
		t.Fatal(err, buf.String())
	}
	res, err = c.Chain("v2/pay/downloadbill").Post(wechatpay.M{"xml": xml})
	if err != nil || string(res.Body) != bill {
		t.Fatal(err)
	}

	fail = true
	os.Remove(dest)
	_, err = c.Chain("v2/pay/downloadbill").Post(wechatpay.M{"xml": xml, "sink": dest})
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ReturnMsg != "No Bill Exist" {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}
	buf.Reset()
	if _, err := c.Chain("v2/pay/downloadbill").Post(wechatpay.Options{XML: xml, Sink: &buf}); !errors.As(err, &v2) || buf.Len() != 0 {
		t.Fatal(err, buf.String())
	}
}
