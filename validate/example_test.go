package validate_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/validate"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Install puts the "validate" step in both stacks: a request that does not
// match its endpoint's documentation fails before it is signed, every
// problem named, and nothing is sent.
func ExampleInstall() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	if err := validate.Install(client, validate.Options{Strict: true}); err != nil {
		panic(err)
	}
	fmt.Println(client.Stack(wechatpay.APIv3).Names())

	_, err := client.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
		"out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
		"amount": wechatpay.M{"total": "100", "curency": "CNY"},
	}})
	var ve *validate.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	fmt.Println("requests sent:", len(srv.Received()))
	// Output:
	// [verifier http_errors wechatpay_serial validate signer]
	// amount.curency: not a documented field of this endpoint; did you mean "currency"?
	// amount.total: want integer, got string "100"
	// requests sent: 0
}

// Outside strict mode an undocumented field is a warning; so is a call to
// a deprecated endpoint, or to one the catalog does not know.
func ExampleOptions_onWarning() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	validate.Install(client, validate.Options{OnWarning: func(ctx context.Context, w validate.Warning) {
		fmt.Println("warning:", w)
	}})
	_, err := client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
		"out_trade_no": "1217752501201407033233368018",
		"query":        wechatpay.M{"mchid": srv.MchID, "sub_mchid": "1900000110"},
	})
	fmt.Println("error:", err)
	// Output:
	// warning: GET v3/pay/transactions/out-trade-no/{out_trade_no}: query.sub_mchid: not a documented field of this endpoint
	// error: <nil>
}

// Step is the step itself, for a stack edited by hand.
func ExampleStep() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	client.Stack(wechatpay.APIv2).Before("transform_request", validate.StepName, validate.Step(validate.Options{}))
	_, err := client.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mch_id": srv.MchID,
	}})
	fmt.Println(err)
	// Output:
	// validate: POST v2/pay/orderquery (查询订单): xml.transaction_id: required, missing: give it or out_trade_no
}
