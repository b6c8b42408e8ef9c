package wechatpay_test

import (
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The floor: one RSA-2048 signature (the request) and one verification (the
// answer), which every APIv3 call needs.
func BenchmarkRSASignVerifyFloor(b *testing.B) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	key := srv.Merchant.Key
	msg := []byte("GET\n/v3/merchant-risk-manage/trade-risk-information?out_trade_no=1217752501201407033233368018\n1700000000\nnonce\n\n")
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(msg)
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, stdcrypto.SHA256, d[:])
		if err != nil {
			b.Fatal(err)
		}
		if err := rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, d[:], sig); err != nil {
			b.Fatal(err)
		}
	}
}

// benchServer answers with pre-signed static answers, so that a call's cost
// is the client's plus the server's request check (one RSA verification)
// and loopback HTTP.
func benchServer(b *testing.B) (*wechatpaytest.Server, *wechatpay.Client) {
	srv := wechatpaytest.NewServer()
	v3 := []byte(`{"risk_score":87.5,"risk_type":"FRAUD","punish_type":"OTHER_PUNISH","punish_description":"商户存在违规"}`)
	h := signedHeaders(b, srv.Platform.Key, srv.Platform.Serial, time.Now().Unix(), string(v3))
	static := func(*wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Header: h, Body: v3, Unsigned: true}
	}
	srv.HandleFunc("GET", "v3/merchant-risk-manage/trade-risk-information", static)
	srv.HandleFunc("POST", "v3/merchant-risk-manage/violation-notifications", static)
	srv.HandleFunc("POST", "v2/mchrisk/setmchriskcallback", func(*wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte("<xml><return_code><![CDATA[SUCCESS]]></return_code><result_code><![CDATA[SUCCESS]]></result_code><mch_id><![CDATA[" + srv.MchID + "]]></mch_id></xml>"), Unsigned: true}
	})
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		b.Fatal(err)
	}
	return srv, c
}

func BenchmarkV3Get(b *testing.B) {
	srv, c := benchServer(b)
	defer srv.Close()
	defer c.Close()
	ch := c.Chain("v3/merchant-risk-manage/trade-risk-information")
	opts := wechatpay.M{"query": wechatpay.M{"sub_mchid": "1900009231", "out_trade_no": "1217752501201407033233368018"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Get(opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkV3PostJSON(b *testing.B) {
	srv, c := benchServer(b)
	defer srv.Close()
	defer c.Close()
	ch := c.Chain("v3/merchant-risk-manage/violation-notifications")
	opts := wechatpay.M{"json": wechatpay.M{"notify_url": "https://www.weixin.qq.com/wxpay/pay.php"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Post(opts); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkV2PostXML(b *testing.B) {
	srv, c := benchServer(b)
	defer srv.Close()
	defer c.Close()
	ch := c.Chain("v2/mchrisk/setmchriskcallback")
	opts := wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "callback_url": "https://pay.weixin.qq.com/wxpay/risk.action", "sign_type": "HMAC-SHA256"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Post(opts); err != nil {
			b.Fatal(err)
		}
	}
}
