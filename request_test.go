package wechatpay_test

import (
	"context"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// A step sees the path template the chain wrote (Request.Template), with
// its variables unexpanded and its "v2/" prefix, beside the expanded
// Pathname: what validation, tracing and logs name an endpoint by.
func TestRequestTemplate(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", echo)
	srv.HandleFunc("POST", "v2/pay/orderquery", func(*wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(map[string]string{"trade_state": "SUCCESS"})
	})
	c := newClient(t, srv)
	type seen struct{ template, pathname string }
	var got seen
	record := func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, r *middleware.Request) (*middleware.Response, error) {
			got = seen{r.Template, r.Pathname}
			return next.Handle(ctx, r)
		})
	}
	for _, p := range []wechatpay.Protocol{wechatpay.APIv3, wechatpay.APIv2} {
		if err := c.Stack(p).Unshift("record", record); err != nil {
			t.Fatal(err)
		}
	}

	// Written segment by segment, PHP style: the template is the normalised path.
	if _, err := c.Chain("v3").Chain("pay/transactions/id/_transaction_id_").Get(wechatpay.M{"transaction_id": "4200000001"}); err != nil {
		t.Fatal(err)
	}
	if want := (seen{"v3/pay/transactions/id/{transaction_id}", "/v3/pay/transactions/id/4200000001"}); got != want {
		t.Fatalf("APIv3: %+v, want %+v", got, want)
	}
	if _, err := c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "out_trade_no": "1"}}); err != nil {
		t.Fatal(err)
	}
	if want := (seen{"v2/pay/orderquery", "/pay/orderquery"}); got != want {
		t.Fatalf("APIv2: %+v, want %+v", got, want)
	}
}
