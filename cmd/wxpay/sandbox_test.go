package main

import (
	"strings"
	"testing"
)

// The commands that drive a sandbox refuse a configuration of WeChat Pay
// itself before anything is signed or sent.
func TestSandboxCommandsNeedASandbox(t *testing.T) {
	c := newCLI(t)
	for _, base := range []string{"", "https://api.mch.weixin.qq.com/", "https://api2.mch.weixin.qq.com/"} {
		editConfig(t, c.config, func(m map[string]any) { m["base_url"] = base })
		for _, args := range [][]string{{"sandbox", "pay", "T1"}, {"sandbox", "refund-complete", "R1"}, {"sandbox", "orders"},
			{"trigger", "TRANSACTION.SUCCESS", "--to", "http://127.0.0.1:1/"}} {
			r := c.run("", args...)
			if r.code != 2 || !strings.Contains(r.stderr, "is not a sandbox's configuration") {
				t.Errorf("%q with base_url %q: %+v", args, base, r)
			}
		}
	}
	if n := len(c.srv.Received()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	// The sandbox's routes, on a configuration of it.
	rewriteConfig(t, c)
	if r := c.run("", "sandbox", "orders"); r.code != 0 || !strings.Contains(r.stdout, `"data": []`) {
		t.Fatalf("%+v", r)
	}
	if r := c.run("", "sandbox", "pay", "NO_SUCH_ORDER"); r.code != 1 || !strings.Contains(r.stderr, "404 Not Found: ORDER_NOT_EXIST") {
		t.Fatalf("%+v", r)
	}
}
