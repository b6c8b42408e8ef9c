package formatter

import "testing"

// unifiedOrder is a typical APIv2 unifiedorder request of 15 fields.
var unifiedOrder = map[string]string{
	"appid":            "wx2421b1c4370ec43b",
	"mch_id":           "10000100",
	"device_info":      "1000",
	"nonce_str":        "ibuaiVcKdpRxkhJA",
	"sign_type":        "MD5",
	"body":             "JSAPI支付测试",
	"detail":           `{"goods_detail":[{"goods_id":"iphone6s_16G","quantity":1,"price":528800}]}`,
	"attach":           "支付测试",
	"out_trade_no":     "1415659990",
	"fee_type":         "CNY",
	"total_fee":        "1",
	"spbill_create_ip": "14.23.150.211",
	"notify_url":       "https://wxpay.wxutil.com/pub_v2/pay/notify.v2.php",
	"trade_type":       "JSAPI",
	"openid":           "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
}

func BenchmarkKsortQueryStringLike(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = QueryStringLike(Ksort(unifiedOrder))
	}
}

func BenchmarkNonce(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = Nonce()
	}
}

func BenchmarkAppendRequest(b *testing.B) {
	body := []byte(`{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"}}`)
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendRequest(buf[:0], "POST", "/v3/pay/transactions/native", "1554208460", "593BEC0C930BF1AFEB40B4A08C8FB242", body)
	}
}

func BenchmarkCastCSVBill(b *testing.B) {
	data := readBillFixture(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := CastCSVBill(data); err != nil {
			b.Fatal(err)
		}
	}
}
