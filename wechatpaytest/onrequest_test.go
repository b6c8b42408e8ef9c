package wechatpaytest_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// OnRequest sees every request once answered, with whether its signature
// verified, as Received records it.
func TestOnRequest(t *testing.T) {
	// f runs once the answer is written, which the client may read
	// first: the test waits for it.
	reported := make(chan wechatpaytest.Received, 8)
	srv := wechatpaytest.NewServer(wechatpaytest.OnRequest(func(r wechatpaytest.Received) { reported <- r }))
	defer srv.Close()
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Chain("v3/certificates").Get(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wx1", "mch_id": srv.MchID, "out_trade_no": "1"}}); err != nil {
		t.Fatal(err)
	}
	// Unsigned, and unknown.
	res, err := http.Post(srv.URL+"v3/pay/transactions/native", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	c.Chain("v3/no/such/endpoint").Get()

	want := []struct {
		target   string
		status   int
		verified bool
	}{
		{"/v3/certificates", 200, true},
		{"/pay/orderquery", 200, true},
		{"/v3/pay/transactions/native", 401, false},
		{"/v3/no/such/endpoint", 404, false},
	}
	var seen []wechatpaytest.Received
	for range want {
		select {
		case r := <-reported:
			seen = append(seen, r)
		case <-time.After(5 * time.Second):
			t.Fatalf("OnRequest saw %d requests, want %d: %+v", len(seen), len(want), seen)
		}
	}
	for i, w := range want {
		if seen[i].Target != w.target || seen[i].Status != w.status || seen[i].Verified != w.verified {
			t.Errorf("request %d: %s %d verified %t, want %+v", i, seen[i].Target, seen[i].Status, seen[i].Verified, w)
		}
	}
	if rs := srv.Received(); len(rs) != 4 || !rs[0].Verified || rs[2].Verified {
		t.Errorf("Received: %+v", rs)
	}
}
