package transformer

import (
	"testing"

	"github.com/wechatpay-go/wechatpay/formatter"
)

// unifiedOrderRequest is a typical APIv2 unifiedorder request.
var unifiedOrderRequest = map[string]string{
	"appid":            "wx2421b1c4370ec43b",
	"mch_id":           "10000100",
	"device_info":      "1000",
	"nonce_str":        "ibuaiVcKdpRxkhJA",
	"sign_type":        "MD5",
	"body":             "JSAPI支付测试",
	"detail":           `{"goods_detail":[{"goods_id":"iphone6s_16G","wxpay_goods_id":"1001","goods_name":"iPhone6s 16G","quantity":1,"price":528800}]}`,
	"attach":           "支付测试",
	"out_trade_no":     "1415659990",
	"fee_type":         "CNY",
	"total_fee":        "1",
	"spbill_create_ip": "14.23.150.211",
	"notify_url":       "https://wxpay.wxutil.com/pub_v2/pay/notify.v2.php",
	"trade_type":       "JSAPI",
	"openid":           "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
	"sign":             "0CB01533B8C1EF103065174F50BCA001",
}

// unifiedOrderAnswer is a typical APIv2 unifiedorder answer.
var unifiedOrderAnswer = []byte(`<xml>
   <return_code><![CDATA[SUCCESS]]></return_code>
   <return_msg><![CDATA[OK]]></return_msg>
   <appid><![CDATA[wx2421b1c4370ec43b]]></appid>
   <mch_id><![CDATA[10000100]]></mch_id>
   <nonce_str><![CDATA[IITRi8Iabbblz1Jc]]></nonce_str>
   <openid><![CDATA[oUpF8uMuAJO_M2pxb1Q9zNjWeS6o]]></openid>
   <sign><![CDATA[7921E432F65EB8ED0CE9755F0E86D72F]]></sign>
   <result_code><![CDATA[SUCCESS]]></result_code>
   <prepay_id><![CDATA[wx201411101639507cbf6ffd8b0779950874]]></prepay_id>
   <trade_type><![CDATA[JSAPI]]></trade_type>
</xml>`)

func BenchmarkToMap(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(unifiedOrderAnswer)))
	for b.Loop() {
		if _, err := ToMap(unifiedOrderAnswer); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToXML(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToXML(unifiedOrderRequest); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkToXMLPairs(b *testing.B) {
	fields := formatter.Ksort(unifiedOrderRequest)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ToXML(fields); err != nil {
			b.Fatal(err)
		}
	}
}
