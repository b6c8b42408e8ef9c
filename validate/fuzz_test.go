package validate_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"

	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/validate"
)

// Whatever the body, query, path and APIv2 fields, Check returns nil or a
// *ValidationError, and never panics.
func FuzzCheck(f *testing.F) {
	f.Add([]byte(`{"amount":{"total":"100"},"detail":{"goods_detail":[{"quantity":1.5}]},"payer":{"identity":{"name":"x"}}}`), "mchid=1&limit=x", "4200%2F0", "detail", `{"goods_detail":[{"quantity":"1"}]}`)
	f.Add([]byte(`[1,2]`), "%zz=1&&=", "", "scene_info", `{"scene_info":{"start_time":1}}`)
	f.Add([]byte(`{"a":`), "", "..", "total_fee", "1e3")
	v, err := validate.New(validate.Options{Strict: true, OnWarning: func(context.Context, validate.Warning) {}})
	if err != nil {
		f.Fatal(err)
	}
	check := func(t *testing.T, req *middleware.Request) {
		err := v.Check(context.Background(), req)
		var ve *validate.ValidationError
		if err != nil && !errors.As(err, &ve) {
			t.Fatalf("%T %v", err, err)
		}
		if err != nil {
			_ = err.Error()
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, query, segment, key, value string) {
		for _, tmpl := range []string{"v3/pay/transactions/native", "v3/pay/transactions/id/{transaction_id}", "v3/merchant/media/upload", "v3/x"} {
			u := &url.URL{Scheme: "https", Host: "api.mch.weixin.qq.com", Path: "/" + tmpl, RawQuery: query}
			req := &middleware.Request{Method: "POST", URL: u, Pathname: "/v3/pay/transactions/id/" + segment, Template: tmpl, Header: http.Header{}, Body: body}
			check(t, req)
			req.Method = "GET"
			check(t, req)
		}
		for _, tmpl := range []string{"v2/pay/unifiedorder", "v2/transit/pay/payapply"} {
			u := &url.URL{Scheme: "https", Host: "api.mch.weixin.qq.com", Path: "/" + tmpl[3:], RawQuery: query}
			check(t, &middleware.Request{Method: "POST", URL: u, Pathname: "/" + tmpl[3:], Template: tmpl, Header: http.Header{},
				Fields: []formatter.Pair{{Key: key, Value: value}, {Key: "detail", Value: string(body)}}})
		}
	})
}
