package validate_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/validate"
)

// The cost of the validate step per call, as the stack runs it (the
// catalog already loaded, the endpoint compiled by the first call), to set
// beside the RSA signature the APIv3 signer makes (about 900 µs).
func benchmarkCheck(b *testing.B, req *middleware.Request) {
	v, err := validate.New(validate.Options{Strict: true})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	if err := v.Check(ctx, req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := v.Check(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// A Native order (Native下单): a JSON body with a nested object.
func BenchmarkCheckV3Post(b *testing.B) {
	u, _ := url.Parse("https://api.mch.weixin.qq.com/v3/pay/transactions/native")
	benchmarkCheck(b, &middleware.Request{
		Method: "POST", URL: u, Pathname: "/v3/pay/transactions/native", Template: "v3/pay/transactions/native",
		Header: http.Header{"Wechatpay-Serial": {"PUB_KEY_ID_0114232134912410000000000000"}},
		Body: []byte(`{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018",` +
			`"time_expire":"2018-06-08T10:34:56+08:00","attach":"自定义数据说明","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","goods_tag":"WXG",` +
			`"amount":{"total":100,"currency":"CNY"},"detail":{"cost_price":608800,"invoice_id":"微信123","goods_detail":[{"merchant_goods_id":"1246464644","wechatpay_goods_id":"1001","goods_name":"iPhoneX 256G","quantity":1,"unit_price":528800}]},` +
			`"scene_info":{"payer_client_ip":"14.23.150.211","device_id":"013467007045764","store_info":{"id":"0001","name":"腾讯大厦分店","area_code":"440305","address":"广东省深圳市南山区科技中一道10000号"}},"settle_info":{"profit_sharing":false}}`),
	})
}

// An order query by out_trade_no: a URI variable and a query.
func BenchmarkCheckV3Get(b *testing.B) {
	u, _ := url.Parse("https://api.mch.weixin.qq.com/v3/pay/transactions/out-trade-no/1217752501201407033233368018?mchid=1230000109")
	benchmarkCheck(b, &middleware.Request{
		Method: "GET", URL: u, Pathname: "/v3/pay/transactions/out-trade-no/1217752501201407033233368018",
		Template: "v3/pay/transactions/out-trade-no/{out_trade_no}", Header: http.Header{},
	})
}

// An APIv2 unified order (统一下单): 14 XML fields.
func BenchmarkCheckV2Post(b *testing.B) {
	u, _ := url.Parse("https://api.mch.weixin.qq.com/pay/unifiedorder")
	benchmarkCheck(b, &middleware.Request{
		Method: "POST", URL: u, Pathname: "/pay/unifiedorder", Template: "v2/pay/unifiedorder", Header: http.Header{},
		Fields: []formatter.Pair{
			{Key: "appid", Value: "wx2421b1c4370ec43b"}, {Key: "attach", Value: "支付测试"}, {Key: "body", Value: "JSAPI支付测试"},
			{Key: "detail", Value: `{"goods_detail":[{"goods_id":"iphone6s_16G","quantity":1,"price":528800}]}`},
			{Key: "device_info", Value: "1000"}, {Key: "fee_type", Value: "CNY"}, {Key: "mch_id", Value: "10000100"},
			{Key: "notify_url", Value: "https://wxpay.wxutil.com/pub_v2/pay/notify.v2.php"}, {Key: "openid", Value: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
			{Key: "out_trade_no", Value: "1415659990"}, {Key: "sign_type", Value: "MD5"}, {Key: "spbill_create_ip", Value: "14.23.150.211"},
			{Key: "total_fee", Value: "1"}, {Key: "trade_type", Value: "JSAPI"},
		},
	})
}
