package wechatpaytest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// A server answers every documented endpoint, with answers built from the
// catalog and signed as WeChat Pay signs them.
func ExampleNewServer() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, err := wechatpay.New(srv.Config())
	if err != nil {
		panic(err)
	}
	defer client.Close()

	res, err := client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
		"out_trade_no": "1217752501201407033233368018",
		"query":        wechatpay.M{"mchid": srv.MchID},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.StatusCode, res.Get("out_trade_no"), res.Get("trade_state"))
	// Output: 200 1217752501201407033233368018 SUCCESS
}

// Mutual TLS: APIv2 calls made with security present the merchant
// certificate, which the TLS server requires on those endpoints.
func ExampleNewTLSServer() {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	client, err := wechatpay.New(srv.Config()) // trusts the server's certificate
	if err != nil {
		panic(err)
	}
	defer client.Close()

	res, err := client.Chain("v2/secapi/pay/refund").Post(wechatpay.M{
		"security": true,
		"xml": wechatpay.M{
			"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "transaction_id": "4200000985202406011234567890",
			"out_trade_no": "1217752501201407033233368018", "out_refund_no": "1217752501201407033233368019",
			"total_fee": "100", "refund_fee": "100",
		},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Get("return_code"), res.Get("out_refund_no"))
	// Output: SUCCESS 1217752501201407033233368019
}

// A handler of your own replaces the catalog's answer for a route.
func ExampleServer_HandleFunc() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(http.StatusOK, map[string]any{
			"transaction_id": r.Vars["transaction_id"],
			"trade_state":    "NOTPAY",
		})
	})
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	res, err := client.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{
		"transaction_id": "4200000985202406011234567890",
		"query":          wechatpay.M{"mchid": srv.MchID},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Get("trade_state"), srv.Count("GET v3/pay/transactions/id/{transaction_id}"))
	// Output: NOTPAY 1
}

// Faults show how a client copes when WeChat Pay or the network fails.
func ExampleServer_Fault() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	srv.Fault("GET v3/certificates", wechatpaytest.BadSignature().Once())
	_, err := client.Chain("v3/certificates").Get()
	fmt.Println(errors.Is(err, wechatpay.ErrBadSignature))

	srv.Fault("GET v3/certificates", wechatpaytest.ResetAfterHeaders().Once())
	_, err = client.Chain("v3/certificates").Get()
	var te *wechatpay.TransportError
	fmt.Println(errors.As(err, &te) && te.Sent)

	_, err = client.Chain("v3/certificates").Get() // the faults were one-shot
	fmt.Println(err, srv.Count("v3/certificates"))
	// Output:
	// true
	// true
	// <nil> 3
}

// FaultAll arms a fault on every route, until ClearFaults.
func ExampleServer_FaultAll() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	srv.FaultAll(wechatpaytest.TooManyRequests())
	_, err := client.Chain("v3/certificates").Get()
	var ae *wechatpay.APIError
	fmt.Println(errors.As(err, &ae), ae.StatusCode, ae.Code)
	srv.ClearFaults()
	_, err = client.Chain("v3/certificates").Get()
	fmt.Println(err)
	// Output:
	// true 429 FREQUENCY_LIMITED
	// <nil>
}

// Notify sends a notification of the catalog and retries it on WeChat
// Pay's schedule, here run a million times faster.
func ExampleServer_Notify() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	calls := 0
	merchant := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		if calls == 1 {
			w.WriteHeader(http.StatusInternalServerError) // not acknowledged: retried
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer merchant.Close()

	d, err := srv.Notify(context.Background(), merchant.URL, wechatpaytest.Notification{
		Webhook:  "v3/TRANSACTION.SUCCESS",
		Resource: map[string]any{"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"},
	}, wechatpaytest.TimeScale(1e-6))
	if err != nil {
		panic(err)
	}
	for _, a := range d.Attempts {
		fmt.Println(a.N, a.Status, a.At.Sub(d.Attempts[0].At))
	}
	fmt.Println(d.Delivered, string(d.Plaintext))
	// Output:
	// 1 500 0s
	// 2 204 15s
	// true {"out_trade_no":"1217752501201407033233368018","trade_state":"SUCCESS"}
}
