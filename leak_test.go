package wechatpay_test

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// goroutines returns the stacks of the running goroutines, by header line
// ("goroutine 42 [running]:" without the state).
func goroutines() map[string]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[string]string{}
	for _, g := range strings.Split(string(buf), "\n\n") {
		head, _, _ := strings.Cut(g, " [")
		out[head] = g
	}
	return out
}

// checkGoroutines fails t when goroutines started since before are still
// running after a grace period, other than the test framework's own.
func checkGoroutines(t *testing.T, before map[string]string) {
	t.Helper()
	var leaked []string
	for deadline := time.Now().Add(3 * time.Second); ; {
		leaked = leaked[:0]
		for id, stack := range goroutines() {
			if _, old := before[id]; old || strings.Contains(stack, "testing.tRunner") || strings.Contains(stack, "testing.(*T).Run") {
				continue
			}
			leaked = append(leaked, stack)
		}
		if len(leaked) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(leaked) > 0 {
		t.Fatalf("%d goroutine(s) left behind:\n%s", len(leaked), strings.Join(leaked, "\n\n"))
	}
}
