package wechatpaytest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

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

// The payment lifecycle: an order is NOTPAY until Pay, which sends its
// payment notification, verified and decrypted here by the client's
// Notifier; a refund is PROCESSING until it completes (CompleteRefund, or
// WithRefundDelay), and sends its own.
func ExampleServer_Pay() {
	srv := wechatpaytest.NewServer(wechatpaytest.WithRefundDelay(-1))
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	notified := make(chan string, 2)
	receiver := httptest.NewServer(client.Notifier().Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		notified <- n.EventType + " " + n.Get("out_trade_no").String()
		return nil
	}))
	defer receiver.Close()

	_, err := client.Chain("v3/pay/transactions/native").Post(wechatpay.M{
		"json": wechatpay.M{
			"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
			"out_trade_no": "1217752501201407033233368018", "notify_url": receiver.URL,
			"amount": wechatpay.M{"total": 100, "currency": "CNY"},
		},
	})
	if err != nil {
		panic(err)
	}
	query := wechatpay.M{"out_trade_no": "1217752501201407033233368018", "query": wechatpay.M{"mchid": srv.MchID}}
	res, _ := client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(query)
	fmt.Println(res.Get("trade_state"))

	if _, err := srv.Pay("1217752501201407033233368018"); err != nil {
		panic(err)
	}
	fmt.Println(<-notified)
	res, _ = client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(query)
	fmt.Println(res.Get("trade_state"), res.Get("amount.payer_total"), len(res.Get("transaction_id").String()))

	res, err = client.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"out_trade_no": "1217752501201407033233368018", "out_refund_no": "1217752501201407033233368019",
		"notify_url": receiver.URL, "amount": wechatpay.M{"refund": 100, "total": 100, "currency": "CNY"},
	}})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Get("status"))
	if _, err := srv.CompleteRefund("1217752501201407033233368019"); err != nil {
		panic(err)
	}
	fmt.Println(<-notified)
	// Output:
	// NOTPAY
	// TRANSACTION.SUCCESS 1217752501201407033233368018
	// SUCCESS 100 28
	// PROCESSING
	// REFUND.SUCCESS 1217752501201407033233368018
}

// WeChat Pay's errors: an out_trade_no reused for another order, a
// refund of more than is left.
func ExampleServer_Pay_errors() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()
	order := func(total int) error {
		_, err := client.Chain("v3/pay/transactions/native").Post(wechatpay.M{
			"json": wechatpay.M{"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "d",
				"out_trade_no": "T1", "notify_url": "https://example.com/notify", "amount": wechatpay.M{"total": total}},
		})
		return err
	}
	fmt.Println(order(100), order(100)) // the same request twice: one order
	var apiErr *wechatpay.APIError
	if errors.As(order(200), &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}

	srv.Pay("T1") // the notification goes to example.com: it is not waited for
	_, err := client.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"out_trade_no": "T1", "out_refund_no": "R1", "amount": wechatpay.M{"refund": 101, "total": 100, "currency": "CNY"},
	}})
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	_, err = srv.Pay("T1")
	fmt.Println(errors.Is(err, wechatpaytest.ErrOrderPaid))
	// Output:
	// <nil> <nil>
	// 400 INVALID_REQUEST 201 商户订单号重复
	// 400 INVALID_REQUEST 申请退款金额超过订单可退金额
	// true
}

// WithDataDir keeps the keys and the orders: a server started again on
// the same directory has the same Config and knows the same orders.
func ExampleWithDataDir() {
	dir, _ := os.MkdirTemp("", "sandbox")
	defer os.RemoveAll(dir)

	srv, err := wechatpaytest.Start(wechatpaytest.WithDataDir(dir))
	if err != nil {
		panic(err)
	}
	client, _ := wechatpay.New(srv.Config())
	client.Chain("v2/pay/unifiedorder").Post(wechatpay.M{"xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "body": "腾讯充值中心-QQ会员充值",
		"out_trade_no": "20150806125346", "total_fee": "888", "spbill_create_ip": "123.12.12.123",
		"notify_url": "https://example.com/notify", "trade_type": "NATIVE", "product_id": "12235413214070356458058",
	}})
	client.Close()
	key := srv.APIv3Key
	srv.Close()

	again, err := wechatpaytest.Start(wechatpaytest.WithDataDir(dir))
	if err != nil {
		panic(err)
	}
	defer again.Close()
	o, ok := again.Order("20150806125346")
	fmt.Println(again.APIv3Key == key, ok, o.Protocol, o.TradeType, o.TradeState, o.Total)
	// Output: true true v2 NATIVE NOTPAY 888
}

// A rotation adds a platform certificate; v3/certificates lists the old
// and the new, and answers are signed with the new one.
func ExampleServer_RotatePlatformCertificate() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	old := srv.Platform.Serial
	id, err := srv.RotatePlatformCertificate()
	if err != nil {
		panic(err)
	}
	client, _ := wechatpay.New(srv.Config()) // trusts both
	defer client.Close()
	res, err := client.Chain("v3/certificates").Get()
	if err != nil {
		panic(err)
	}
	fmt.Println(len(res.Get("data").Array()), res.Get("data.0.serial_no").String() == old)
	fmt.Println(res.Header.Get("Wechatpay-Serial") == id.Serial)
	// Output:
	// 2 true
	// true
}

// Another process (the wxpay command line) drives a running sandbox
// through its /_sandbox/ routes, signed like any call.
func ExampleAdminRoutes() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()
	client.Chain("v3/pay/transactions/native").Post(wechatpay.M{
		"json": wechatpay.M{"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "d",
			"out_trade_no": "T1", "notify_url": "http://127.0.0.1:1/notify", "amount": wechatpay.M{"total": 1}},
	})
	res, err := client.Chain("_sandbox/orders/{out_trade_no}/pay").Post(wechatpay.M{"out_trade_no": "T1"})
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Get("order.trade_state"), res.Get("notification.attempts.0.status"), res.Get("notification.done"))
	// Output: SUCCESS 0 false
}
