package main

import (
	"strings"
	"testing"
)

// wxpay checks a request against the endpoint catalog before signing it:
// a mistake is named field by field, exit status 2, and nothing is sent;
// --no-validate sends it, and the strict sandbox names the field instead.
func TestRequestValidatedByDefault(t *testing.T) {
	c := newCLI(t)
	body := `{"appid":"wxd678efh567hg6787","mchid":"1900000109","description":"Image形象店-深圳腾大-QQ公仔",` +
		`"out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php",` +
		`"amount":{"total":"100","currency":"CNY"}}`

	r := c.run("", "post", "v3/pay/transactions/native", "-d", body)
	if r.code != exitUsage || !strings.Contains(r.stderr, "amount.total") || !strings.Contains(r.stderr, "want integer") {
		t.Fatalf("validated: exit %d\n%s", r.code, r.stderr)
	}
	if n := c.srv.Count("POST v3/pay/transactions/native"); n != 0 {
		t.Fatalf("the server received %d requests; want none", n)
	}

	r = c.run("", "post", "v3/pay/transactions/native", "-d", body, "--no-validate")
	if r.code != exitFailure || !strings.Contains(r.stderr, "PARAM_ERROR") || !strings.Contains(r.stderr, "/amount/total") {
		t.Fatalf("not validated: exit %d\n%s", r.code, r.stderr)
	}
	if n := c.srv.Count("POST v3/pay/transactions/native"); n != 1 {
		t.Fatalf("the server received %d requests; want 1", n)
	}

	// An undocumented field: a warning, sent; with --strict, refused.
	extra := strings.Replace(body, `"total":"100"`, `"total":100`, 1)
	extra = strings.Replace(extra, `"appid"`, `"colour":"red","appid"`, 1)
	r = c.run("", "post", "v3/pay/transactions/native", "-d", extra)
	if r.code != 0 || !strings.Contains(r.stderr, "warning") || !strings.Contains(r.stderr, "colour") {
		t.Fatalf("unknown field, lenient: exit %d\n%s", r.code, r.stderr)
	}
	r = c.run("", "post", "v3/pay/transactions/native", "-d", extra, "--strict")
	if r.code != exitUsage || !strings.Contains(r.stderr, "colour") {
		t.Fatalf("unknown field, strict: exit %d\n%s", r.code, r.stderr)
	}
	if n := c.srv.Count("POST v3/pay/transactions/native"); n != 2 {
		t.Fatalf("the server received %d requests; want 2", n)
	}
}
