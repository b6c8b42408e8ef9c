package wechatpay_test

import (
	"context"
	"testing"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// TestCatalogCompleteness calls every catalog endpoint the SDK reaches
// (sdk_call) with its catalog sample, through the client, against the TLS
// server (mutual TLS for the security calls), and expects a verified 2xx.
func TestCatalogCompleteness(t *testing.T) {
	entries, err := catalog.All()
	if err != nil {
		t.Fatal(err)
	}
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	c := newClient(t, srv)
	total, passed := 0, 0
	for i := range entries {
		e := &entries[i]
		if !e.SDKCall {
			continue
		}
		total++
		call, err := translateSample(e, srv)
		if err != nil {
			t.Errorf("%s %s: %v", e.Method, e.Chain, err)
			continue
		}
		res, err := c.Chain(e.Chain).Do(context.Background(), e.Method, call.opts)
		if err != nil {
			t.Errorf("%s %s: %v", e.Method, e.Chain, err)
			continue
		}
		if res.StatusCode < 200 || res.StatusCode > 299 {
			t.Errorf("%s %s: status %d", e.Method, e.Chain, res.StatusCode)
			continue
		}
		if call.sink != nil && call.sink.Len() == 0 && len(res.Body) == 0 {
			t.Errorf("%s %s: empty download", e.Method, e.Chain)
			continue
		}
		passed++
	}
	t.Logf("catalog completeness: %d/%d calls verified", passed, total)
}
