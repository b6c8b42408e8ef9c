package wechatpay_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// sandboxReceiver is a merchant's notification endpoint on a loopback
// http.Server: the Notifier's handlers verify (and decrypt) what the
// sandbox sends, and hand it over on a channel.
type sandboxReceiver struct {
	url string
	v3  chan *wechatpay.Notification
	v2  chan *wechatpay.V2Notification
}

func startSandboxReceiver(t *testing.T, nf *wechatpay.Notifier) *sandboxReceiver {
	t.Helper()
	rcv := &sandboxReceiver{v3: make(chan *wechatpay.Notification, 8), v2: make(chan *wechatpay.V2Notification, 8)}
	mux := http.NewServeMux()
	mux.Handle("/notify/v3", nf.Handler(func(_ context.Context, n *wechatpay.Notification) error {
		rcv.v3 <- n
		return nil
	}))
	mux.Handle("/notify/v2", nf.V2Handler(func(_ context.Context, n *wechatpay.V2Notification) error {
		rcv.v2 <- n
		return nil
	}))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go hs.Serve(l)
	t.Cleanup(func() { hs.Close() })
	rcv.url = "http://" + l.Addr().String() + "/notify/"
	return rcv
}

func (r *sandboxReceiver) nextV3(t *testing.T) *wechatpay.Notification {
	t.Helper()
	select {
	case n := <-r.v3:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no APIv3 notification arrived")
		return nil
	}
}

func (r *sandboxReceiver) nextV2(t *testing.T) *wechatpay.V2Notification {
	t.Helper()
	select {
	case n := <-r.v2:
		return n
	case <-time.After(10 * time.Second):
		t.Fatal("no APIv2 notification arrived")
		return nil
	}
}

func sandboxClient(t *testing.T, srv *wechatpaytest.Server) *wechatpay.Client {
	t.Helper()
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// The APIv3 payment lifecycle against the stateful sandbox: a JSAPI order,
// NOTPAY, paid, its notification verified and decrypted by the
// Notifier's handler, SUCCESS, a partial refund PROCESSING then SUCCESS
// on its own, its notification, and the order turned REFUND.
func TestSandboxLifecycleV3(t *testing.T) {
	start := time.Now()
	srv := wechatpaytest.NewServer(wechatpaytest.WithRefundDelay(20 * time.Millisecond))
	defer srv.Close()
	c := sandboxClient(t, srv)
	rcv := startSandboxReceiver(t, c.Notifier())
	const outTradeNo, openid = "LIFECYCLE-V3-0001", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

	res, err := c.Chain("v3/pay/transactions/jsapi").Post(wechatpay.M{
		"headers": wechatpay.M{"Wechatpay-Serial": srv.Platform.Serial},
		"json": wechatpay.M{
			"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
			"out_trade_no": outTradeNo, "attach": "自定义数据", "notify_url": rcv.url + "v3",
			"amount": wechatpay.M{"total": 100, "currency": "CNY"}, "payer": wechatpay.M{"openid": openid},
		},
	})
	if err != nil || res.Get("prepay_id").String() == "" {
		t.Fatalf("order: %v %s", err, res.Body)
	}

	query := wechatpay.M{"out_trade_no": outTradeNo, "query": wechatpay.M{"mchid": srv.MchID}}
	res, err = c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(query)
	if err != nil || res.Get("trade_state").String() != "NOTPAY" || res.Get("transaction_id").Exists() {
		t.Fatalf("query before paying: %v %s", err, res.Body)
	}

	sending, err := srv.Pay(outTradeNo)
	if err != nil {
		t.Fatal(err)
	}
	n := rcv.nextV3(t)
	txID := n.Get("transaction_id").String()
	if n.EventType != "TRANSACTION.SUCCESS" || n.Summary != "支付成功" || n.Resource.OriginalType != "transaction" ||
		n.Get("out_trade_no").String() != outTradeNo || n.Get("trade_state").String() != "SUCCESS" || len(txID) != 28 ||
		n.Get("amount.total").Int() != 100 || n.Get("payer.openid").String() != openid || n.Get("attach").String() != "自定义数据" {
		t.Fatalf("payment notification %+v: %s", n, n.Plaintext)
	}
	d, err := sending.Wait(context.Background())
	if err != nil || !d.Delivered || len(d.Attempts) != 1 || d.Attempts[0].Status != http.StatusNoContent {
		t.Fatalf("delivery %+v: %v", d, err)
	}

	res, err = c.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": txID, "query": wechatpay.M{"mchid": srv.MchID}})
	if err != nil || res.Get("trade_state").String() != "SUCCESS" || res.Get("out_trade_no").String() != outTradeNo ||
		res.Get("amount.total").Int() != 100 || res.Get("amount.payer_total").Int() != 100 || res.Get("payer.openid").String() != openid ||
		res.Get("success_time").String() == "" || res.Get("trade_type").String() != "JSAPI" {
		t.Fatalf("query after paying: %v %s", err, res.Body)
	}

	res, err = c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"transaction_id": txID, "out_refund_no": "LIFECYCLE-V3-R1", "reason": "商品已售完", "notify_url": rcv.url + "v3",
		"amount": wechatpay.M{"refund": 40, "total": 100, "currency": "CNY"},
	}})
	if err != nil || res.Get("status").String() != "PROCESSING" || res.Get("amount.refund").Int() != 40 || res.Get("refund_id").String() == "" {
		t.Fatalf("refund: %v %s", err, res.Body)
	}
	refundID := res.Get("refund_id").String()

	n = rcv.nextV3(t)
	if n.EventType != "REFUND.SUCCESS" || n.Summary != "退款成功" || n.Resource.OriginalType != "refund" ||
		n.Get("refund_status").String() != "SUCCESS" || n.Get("out_refund_no").String() != "LIFECYCLE-V3-R1" ||
		n.Get("refund_id").String() != refundID || n.Get("transaction_id").String() != txID ||
		n.Get("amount.refund").Int() != 40 || n.Get("amount.total").Int() != 100 || n.Get("mchid").String() != srv.MchID {
		t.Fatalf("refund notification %+v: %s", n, n.Plaintext)
	}

	res, err = c.Chain("v3/refund/domestic/refunds/{out_refund_no}").Get(wechatpay.M{"out_refund_no": "LIFECYCLE-V3-R1"})
	if err != nil || res.Get("status").String() != "SUCCESS" || res.Get("success_time").String() == "" || res.Get("refund_id").String() != refundID {
		t.Fatalf("refund query: %v %s", err, res.Body)
	}
	res, err = c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(query)
	if err != nil || res.Get("trade_state").String() != "REFUND" {
		t.Fatalf("query after the refund: %v %s", err, res.Body)
	}
	t.Logf("APIv3 lifecycle: %v", time.Since(start))
}

// The APIv2 lifecycle: unifiedorder, orderquery NOTPAY, paid, the signed
// XML notification verified by the Notifier's V2Handler, orderquery
// SUCCESS, a refund over mutual TLS, completed, its notification's
// req_info decrypted, refundquery SUCCESS.
func TestSandboxLifecycleV2(t *testing.T) {
	start := time.Now()
	srv := wechatpaytest.NewTLSServer(wechatpaytest.WithRefundDelay(-1))
	defer srv.Close()
	c := sandboxClient(t, srv)
	rcv := startSandboxReceiver(t, c.Notifier())
	const appid, outTradeNo, openid = "wx2421b1c4370ec43b", "LIFECYCLE-V2-0001", "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"

	res, err := c.Chain("v2/pay/unifiedorder").Post(wechatpay.M{"xml": wechatpay.M{
		"appid": appid, "mch_id": srv.MchID, "body": "腾讯充值中心-QQ会员充值", "out_trade_no": outTradeNo,
		"total_fee": "888", "spbill_create_ip": "123.12.12.123", "notify_url": rcv.url + "v2",
		"trade_type": "JSAPI", "openid": openid, "sign_type": "HMAC-SHA256",
	}})
	if err != nil || res.Get("prepay_id").String() == "" || res.Get("trade_type").String() != "JSAPI" {
		t.Fatalf("unifiedorder: %v %s", err, res.Body)
	}

	orderquery := wechatpay.M{"xml": wechatpay.M{"appid": appid, "mch_id": srv.MchID, "out_trade_no": outTradeNo}}
	res, err = c.Chain("v2/pay/orderquery").Post(orderquery)
	if err != nil || res.Get("trade_state").String() != "NOTPAY" {
		t.Fatalf("orderquery before paying: %v %s", err, res.Body)
	}

	if _, err := srv.Pay(outTradeNo); err != nil {
		t.Fatal(err)
	}
	n := rcv.nextV2(t)
	txID := n.Field("transaction_id")
	if n.Field("out_trade_no") != outTradeNo || n.Field("result_code") != "SUCCESS" || n.Field("total_fee") != "888" ||
		n.Field("openid") != openid || n.Field("sign_type") != "HMAC-SHA256" || len(txID) != 28 || n.Field("time_end") == "" {
		t.Fatalf("payment notification %v", n.Fields)
	}

	res, err = c.Chain("v2/pay/orderquery").Post(orderquery)
	if err != nil || res.Get("trade_state").String() != "SUCCESS" || res.Get("transaction_id").String() != txID ||
		res.Get("total_fee").String() != "888" || res.Get("openid").String() != openid {
		t.Fatalf("orderquery after paying: %v %s", err, res.Body)
	}

	res, err = c.Chain("v2/secapi/pay/refund").Post(wechatpay.M{"security": true, "xml": wechatpay.M{
		"appid": appid, "mch_id": srv.MchID, "transaction_id": txID, "out_refund_no": "LIFECYCLE-V2-R1",
		"total_fee": "888", "refund_fee": "888", "notify_url": rcv.url + "v2",
	}})
	if err != nil || res.Get("refund_id").String() == "" || res.Get("refund_fee").String() != "888" {
		t.Fatalf("refund: %v %s", err, res.Body)
	}
	refundquery := wechatpay.M{"xml": wechatpay.M{"appid": appid, "mch_id": srv.MchID, "out_refund_no": "LIFECYCLE-V2-R1"}}
	res, err = c.Chain("v2/pay/refundquery").Post(refundquery)
	if err != nil || res.Get("refund_status_0").String() != "PROCESSING" {
		t.Fatalf("refundquery before completing: %v %s", err, res.Body)
	}

	if _, err := srv.CompleteRefund("LIFECYCLE-V2-R1"); err != nil {
		t.Fatal(err)
	}
	n = rcv.nextV2(t)
	// A refund notification is authenticated by its req_info alone: the
	// outer fields are Unverified, and Fields stays empty.
	if n.Fields != nil || n.Unverified["return_code"] != "SUCCESS" || n.ReqInfo["out_refund_no"] != "LIFECYCLE-V2-R1" || n.ReqInfo["refund_status"] != "SUCCESS" ||
		n.ReqInfo["transaction_id"] != txID || n.ReqInfo["refund_fee"] != "888" || n.ReqInfo["success_time"] == nil {
		t.Fatalf("refund notification %v (unverified %v), req_info %v", n.Fields, n.Unverified, n.ReqInfo)
	}

	res, err = c.Chain("v2/pay/refundquery").Post(refundquery)
	if err != nil || res.Get("refund_status_0").String() != "SUCCESS" || res.Get("refund_count").String() != "1" ||
		res.Get("refund_success_time_0").String() == "" {
		t.Fatalf("refundquery after completing: %v %s", err, res.Body)
	}
	t.Logf("APIv2 lifecycle: %v", time.Since(start))
}

// Close stops what the sandbox does on its own: a notification retried on
// WeChat Pay's (real) schedule, a refund waiting to succeed. Nothing is
// left running.
func TestSandboxCloseLeavesNoGoroutine(t *testing.T) {
	before := goroutines()
	srv := wechatpaytest.NewServer(wechatpaytest.WithRefundDelay(time.Hour))
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	refusing := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError) // never acknowledged: retried in 15 s
	}), ReadHeaderTimeout: time.Second}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go refusing.Serve(l)

	_, err = c.Chain("v3/pay/transactions/native").Post(wechatpay.M{
		"headers": wechatpay.M{"Wechatpay-Serial": srv.Platform.Serial},
		"json": wechatpay.M{"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "d", "out_trade_no": "LEAK-1",
			"notify_url": "http://" + l.Addr().String() + "/", "amount": wechatpay.M{"total": 1}},
	})
	if err != nil {
		t.Fatal(err)
	}
	sending, err := srv.Pay("LEAK-1")
	if err != nil {
		t.Fatal(err)
	}
	for len(sending.Attempts()) == 0 {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"out_trade_no": "LEAK-1", "out_refund_no": "LEAK-R1", "amount": wechatpay.M{"refund": 1, "total": 1, "currency": "CNY"},
	}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	srv.Close()
	if _, err := sending.Wait(context.Background()); !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("a sending stopped by Close: %v", err)
	}
	refusing.Close()
	checkGoroutines(t, before)
}
