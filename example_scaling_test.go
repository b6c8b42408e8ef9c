package wechatpay_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Certificate mode: the APIv3 key and no Certs. The first call downloads the
// platform certificates, once for all the goroutines calling; clients given
// the same CertificateStore share them (redisstore.New for many instances).
func Example_certificateMode() {
	srv := sandbox()
	defer srv.Close()
	store := wechatpay.NewMemoryCertificateStore()

	for range 3 {
		cfg := srv.ConfigFor(wechatpaytest.CertificateMode)
		cfg.Certs = nil // downloaded on first use
		cfg.CertificateStore = store
		client, err := wechatpay.New(cfg)
		if err != nil {
			fmt.Println(err)
			return
		}
		defer client.Close()
		res, err := client.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": "4200000000000000000000000001"})
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res.Get("trade_state"))
	}
	fmt.Println("downloads:", srv.Count("GET v3/certificates"))
	// Output:
	// SUCCESS
	// SUCCESS
	// SUCCESS
	// downloads: 1
}

// ExactlyOnce runs the function once per notification, however many times
// WeChat Pay delivers it and to however many instances sharing the store.
func ExampleExactlyOnce() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, err := wechatpay.New(srv.Config())
	if err != nil {
		fmt.Println(err)
		return
	}
	defer client.Close()

	nf := client.Notifier()
	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: wechatpay.NewMemoryNotificationStore()}
	runs := 0
	hs := httptest.NewServer(nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		runs++ // mark the order paid, in your database
		return nil
	}))
	defer hs.Close()

	n := wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS", ID: "EV-2018022511223320873"}
	for range 3 { // the same notification, three times
		d, err := srv.Notify(context.Background(), hs.URL, n, wechatpaytest.WithSchedule())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(d.Attempts[0].Status)
	}
	fmt.Println("runs:", runs)
	// Output:
	// 204
	// 204
	// 204
	// runs: 1
}
