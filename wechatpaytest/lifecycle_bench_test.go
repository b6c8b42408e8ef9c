package wechatpaytest_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// BenchmarkPaymentLifecycle runs the APIv3 lifecycle through the client,
// signed and verified both ways: order, query, Pay and its notification
// (verified, decrypted), query, refund, CompleteRefund and its
// notification, refund query.
func BenchmarkPaymentLifecycle(b *testing.B) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithRefundDelay(-1))
	defer srv.Close()
	c := newClient(b, srv.Config())
	got := make(chan string, 2)
	receiver := httptest.NewServer(c.Notifier().Handler(func(_ context.Context, n *wechatpay.Notification) error {
		got <- n.EventType
		return nil
	}))
	defer receiver.Close()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		no := fmt.Sprintf("BENCH-%d", i)
		if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, no, receiver.URL)); err != nil {
			b.Fatal(err)
		}
		query := wechatpay.M{"out_trade_no": no, "query": wechatpay.M{"mchid": srv.MchID}}
		if _, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(query); err != nil {
			b.Fatal(err)
		}
		if _, err := srv.Pay(no); err != nil {
			b.Fatal(err)
		}
		<-got
		if _, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(query); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
			"out_trade_no": no, "out_refund_no": no + "-R", "notify_url": receiver.URL,
			"amount": wechatpay.M{"refund": 100, "total": 100, "currency": "CNY"}}}); err != nil {
			b.Fatal(err)
		}
		if _, err := srv.CompleteRefund(no + "-R"); err != nil {
			b.Fatal(err)
		}
		<-got
		if _, err := c.Chain("v3/refund/domestic/refunds/{out_refund_no}").Get(wechatpay.M{"out_refund_no": no + "-R"}); err != nil {
			b.Fatal(err)
		}
	}
}
