package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// demoSteps are the titles `wxpay demo` reports, in order.
var demoSteps = []string{
	"client", "APIv2, HMAC-SHA256", "APIv2, mutual TLS", "APIv3 GET + query", "APIv3 PUT", "APIv3 POST",
	"Native payment", "payment notification", "query the payment", "refund", "async calls", "forged answer",
	"bill download", "image upload",
}

func TestDemo(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"demo"}, &env{stdout: &stdout, stderr: &stderr})
	out := stdout.String()
	if code != 0 || stderr.Len() != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	at := 0
	for _, step := range demoSteps {
		i := strings.Index(out[at:], "  ✓ "+step+" ")
		if i < 0 {
			t.Fatalf("step %q not reported (in order)\n%s", step, out)
		}
		at += i
	}
	for _, want := range []string{"    ↓ ", "of ", "bytes (100%)", "All 14 steps succeeded", "answered 204", "trade_state SUCCESS", "*wechatpay.VerifyError",
		// The next step in a form the user can run: the test binary, like
		// go run's, is built in a go-build folder.
		"\n  go run ./cmd/wxpay sandbox --data sandbox\n", "go install ./cmd/wxpay"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if strings.Contains(out, "✗") {
		t.Fatal(out)
	}
}

// A step that fails is reported with its reason, the demo stops there and
// exits 1.
func TestDemoFailure(t *testing.T) {
	defer func(f func(*wechatpaytest.Server)) { demoSetup = f }(demoSetup)
	demoSetup = func(srv *wechatpaytest.Server) {
		srv.Fault("POST v3/refund/domestic/refunds", wechatpaytest.ServerError(500))
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"demo"}, &env{stdout: &stdout, stderr: &stderr})
	out := stdout.String()
	if code != 1 || !strings.Contains(out, "  ✓ query the payment ") || !strings.Contains(out, "  ✗ refund ") ||
		!strings.Contains(out, "500 Internal Server Error") || strings.Contains(out, "async calls") || strings.Contains(out, "All ") ||
		!strings.Contains(stderr.String(), "wxpay demo: refund failed: 500") {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), []string{"demo", "now"}, &env{stdout: &stdout, stderr: &stderr}); code != 2 {
		t.Fatalf("exit %d %s", code, stderr.String())
	}
}
