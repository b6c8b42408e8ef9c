package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// runOut runs wxpay args in process, without a config.
func runOut(args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	return result{code, stdout.String(), stderr.String()}
}

// describe shows what the endpoint's page shows: the official title,
// method, URL and host, WeChat Pay's documentation, the fields (required,
// types, enums, the ones to encrypt) and a ready command line.
func TestDescribe(t *testing.T) {
	r := runOut("describe", "v3/pay/transactions/native")
	for _, want := range []string{
		"Native下单\nPOST https://api.mch.weixin.qq.com/v3/pay/transactions/native\n",
		"APIv3, host api.mch.weixin.qq.com, chain v3/pay/transactions/native; answer: JSON.",
		"  merchant (直连商户): https://pay.weixin.qq.com/doc/v3/merchant/",
		"Page: docs/endpoints/openapi/v3/pay/transactions/native.md",
		"Request (请求参数):",
		"  json.out_trade_no ",
		"  json.limit_pay ", "no_balance | no_credit | no_debit | balance_only",
		"encrypted (敏感信息, RSA-OAEP with WeChat Pay's key)",
		"  headers.Wechatpay-Serial ",
		"Answer (应答参数):", "  code_url ",
		"Sensitive fields (敏感信息)", "json.payer.identity.number, json.payer.identity.name",
		"Try it:\n  wxpay post v3/pay/transactions/native -d '{\"appid\":\"wxd678efh567hg6787\",",
		"-H 'Wechatpay-Serial: PUB_KEY_ID_",
		"# wxpay sends -d as written: encrypt the sensitive fields first",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if r.code != 0 || strings.Contains(r.stdout, " \n") {
		t.Fatalf("exit %d, or trailing spaces:\n%s", r.code, r.stdout)
	}
	if line := strings.Fields(lineWith(r.stdout, "  json.out_trade_no ")); len(line) != 3 || line[1] != "string" || line[2] != "yes" {
		t.Errorf("out_trade_no: %q", line)
	}
	if line := strings.Fields(lineWith(r.stdout, "  json.attach ")); len(line) != 3 || line[1] != "string" || line[2] != "no" {
		t.Errorf("attach: %q", line)
	}

	// wechatpay-php's segment form, and a template variable in PHP's form.
	for _, path := range []string{"v3/merchantRiskManage/tradeRiskInformation", "v3/merchant-risk-manage/trade-risk-information"} {
		r := runOut("describe", path)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "查询风险信息\nGET https://api.mch.weixin.qq.com/v3/merchant-risk-manage/trade-risk-information\n") {
			t.Errorf("%s: %+v", path, r)
		}
	}
	r = runOut("describe", "v3/pay/transactions/id/_transaction_id_")
	if r.code != 0 || !strings.Contains(r.stdout, "wxpay get 'v3/pay/transactions/id/{transaction_id}' --var transaction_id=") {
		t.Errorf("%+v", r)
	}

	// A path of several methods shows each; -X one.
	r = runOut("describe", "v3/merchant-risk-manage/violation-notifications")
	if r.code != 0 || strings.Count(r.stdout, "Try it:") < 3 || !strings.Contains(r.stdout, "\nDELETE https://") {
		t.Errorf("%+v", r)
	}
	r = runOut("describe", "-X", "delete", "v3/merchant-risk-manage/violation-notifications")
	if r.code != 0 || strings.Count(r.stdout, "Try it:") != 1 || !strings.Contains(r.stdout, "wxpay delete v3/merchant-risk-manage/violation-notifications") {
		t.Errorf("%+v", r)
	}

	// A notification, by its event type.
	r = runOut("describe", "REFUND.SUCCESS")
	for _, want := range []string{"退款成功(REFUND.SUCCESS)通知(JSON)\n", "event_type REFUND.SUCCESS; sandbox name v3/REFUND.SUCCESS",
		"Notification (通知参数):", "body.resource.ciphertext", "encrypted (AEAD_AES_256_GCM, APIv3 key)",
		"Acknowledgement (应答):", "wxpay trigger v3/REFUND.SUCCESS --to http://127.0.0.1:8080/notify"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	// An upload has no command line.
	r = runOut("describe", "v3/merchant/media/upload")
	if r.code != 0 || strings.Contains(r.stdout, "wxpay post") || !strings.Contains(r.stdout, "use Client.Upload") {
		t.Errorf("%+v", r)
	}
}

// An unknown path gets the nearest ones, as catalog.NotFoundError has them.
func TestDescribeUnknown(t *testing.T) {
	r := runOut("describe", "v3/pay/transaction/native")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "wxpay describe: no endpoint v3/pay/transaction/native in the catalog; nearest:\n") ||
		!strings.Contains(r.stderr, "POST  v3/pay/transactions/native") || !strings.Contains(r.stderr, "Native下单") {
		t.Fatalf("%+v", r)
	}
	r = runOut("describe", "-X", "GET", "v3/pay/transactions/native")
	if r.code != 1 || !strings.Contains(r.stderr, "no endpoint GET v3/pay/transactions/native in the catalog; nearest:\n  POST  v3/pay/transactions/native") {
		t.Fatalf("%+v", r)
	}
	if r := runOut("describe"); r.code != 2 || !strings.Contains(r.stderr, "give a PATH, or --list") {
		t.Fatalf("%+v", r)
	}
}

// --list PREFIX lists the endpoints under PREFIX, in catalog order.
func TestDescribeList(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	r := runOut("describe", "--list", "v3/refund")
	lines := strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	if want := cat.List("v3/refund"); r.code != 0 || len(lines) != len(want) || len(want) < 3 {
		t.Fatalf("%d lines for %d entries: %+v", len(lines), len(want), r)
	}
	for _, want := range []string{"POST    v3/refund/domestic/refunds  ", "申请退款", "GET     v3/refund/domestic/refunds/{out_refund_no}", "NOTIFY  v3/REFUND.SUCCESS"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("no %q in\n%s", want, r.stdout)
		}
	}
	if r := runOut("describe", "--list"); r.code != 0 || strings.Count(r.stdout, "\n") != len(cat.Entries()) {
		t.Fatalf("all: exit %d, %d lines", r.code, strings.Count(r.stdout, "\n"))
	}
	if r := runOut("describe", "--list", "v3/refnd"); r.code != 1 || !strings.Contains(r.stderr, `no endpoint under "v3/refnd"; nearest:`) {
		t.Fatalf("%+v", r)
	}
}

// The command lines describe prints run: against a sandbox of the
// sample's merchant, they exit 0.
func TestDescribeCommandLinesRun(t *testing.T) {
	c := newCLI(t, wechatpaytest.WithMchID("1230000109"))
	for _, path := range []string{"v3/pay/transactions/id/{transaction_id}", "v3/merchant-risk-manage/trade-risk-information", "v3/bill/tradebill", "v2/pay/orderquery"} {
		r := runOut("describe", path)
		line := strings.TrimSpace(lineWith(r.stdout, "  wxpay "))
		args := shellSplit(t, line)
		if len(args) < 3 || args[0] != "wxpay" {
			t.Fatalf("%s: %q", path, line)
		}
		if got := c.run("", args[1:]...); got.code != 0 {
			t.Errorf("%s: %s: %+v", path, line, got)
		}
	}
}

// lineWith is the first line of s holding sub.
func lineWith(s, sub string) string {
	i := strings.Index(s, sub)
	if i < 0 {
		return ""
	}
	start := strings.LastIndexByte(s[:i], '\n') + 1
	end := strings.IndexByte(s[i:], '\n')
	if end < 0 {
		return s[start:]
	}
	return s[start : i+end]
}

// shellSplit splits a command line as a POSIX shell does, for the quoting
// shellQuote writes: words, and '…' with '\” inside.
func shellSplit(t *testing.T, s string) []string {
	var out []string
	var w strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\'':
			quoted = false
		case quoted:
			w.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == '\\' && i+1 < len(s):
			i++
			w.WriteByte(s[i])
			inWord = true
		case c == ' ':
			if inWord {
				out = append(out, w.String())
				w.Reset()
				inWord = false
			}
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("unterminated quote in %q", s)
	}
	if inWord {
		out = append(out, w.String())
	}
	return out
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"plain", "v3/a/{b}", "it's", `{"a":"b c"}`, "", "商家说"} {
		if got := shellSplit(t, "x "+shellQuote(s)); len(got) != 2 || got[1] != s {
			t.Errorf("%q: %q", s, got)
		}
	}
	if shellQuote("v3/pay/transactions/native") != "v3/pay/transactions/native" {
		t.Error("a plain path is quoted")
	}
}
