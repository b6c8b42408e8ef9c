package wechatpay_test

import (
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func newClient(t testing.TB, srv *wechatpaytest.Server) *wechatpay.Client {
	t.Helper()
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestSmoke(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/merchant-risk-manage/trade-risk-information", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"risk_score": 1.5, "q": r.URL.Query().Get("complaints_information")})
	})
	srv.HandleFunc("POST", "v2/mchrisk/setmchriskcallback", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Fields: map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "mch_id": r.Fields["mch_id"]}, Unsigned: true}
	})
	c := newClient(t, srv)
	res, err := c.Chain("v3/merchant-risk-manage/trade-risk-information").Get(wechatpay.M{
		"query": wechatpay.M{"out_trade_no": "1217752501201407033233368018", "complaints_information": "商家说高额返利 & 支付"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Get("risk_score").Float() != 1.5 || res.Get("q").String() != "商家说高额返利 & 支付" {
		t.Fatalf("%s", res.Body)
	}
	res, err = c.Chain("v2/mchrisk/setmchriskcallback").Post(wechatpay.M{"xml": wechatpay.M{
		"mch_id": srv.MchID, "callback_url": "https://pay.weixin.qq.com/wxpay/risk.action", "sign_type": "HMAC-SHA256",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Get("mch_id").String() != srv.MchID {
		t.Fatalf("%s", res.Body)
	}
	t.Logf("%+v", srv.Received()[0].Header)
}
