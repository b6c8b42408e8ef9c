package wechatpay_test

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// ourGoroutines returns the stacks of goroutines running this module's
// non-test code.
func ourGoroutines() []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var ours []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/wechatpay-go/wechatpay.") && !strings.Contains(g, "wechatpay_test.") &&
			!strings.Contains(g, "wechatpaytest.") && !strings.Contains(g, "testing.tRunner") {
			ours = append(ours, g)
		}
	}
	return ours
}

// checkNoGoroutinesLeft fails when goroutines of the SDK outlive the test.
func checkNoGoroutinesLeft(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := ourGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left behind:\n%s", len(left), strings.Join(left, "\n\n"))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
