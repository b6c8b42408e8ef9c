package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// These tests run wxpay as a user does: `wxpay sandbox` and `wxpay listen`
// as long-running processes, the other commands as processes against them.

// startSandbox starts `wxpay sandbox args…` and returns it with the path
// of the config it wrote, once it prints it.
func startSandbox(t *testing.T, args ...string) (*process, string) {
	t.Helper()
	p := start(t, nil, append([]string{"sandbox"}, args...)...)
	line := p.waitFor(false, "client config written to ")
	config := strings.TrimSuffix(strings.TrimPrefix(line, "client config written to "), ":")
	p.waitFor(false, "Try: ")
	return p, config
}

// startListen starts `wxpay listen` on a free port and returns it with
// its URL.
func startListen(t *testing.T, env []string, args ...string) (*process, string) {
	t.Helper()
	p := start(t, env, append([]string{"listen", "--addr", "127.0.0.1:0"}, args...)...)
	line := p.waitFor(true, "listening on ")
	url, _, _ := strings.Cut(strings.SplitN(line, "listening on ", 2)[1], " ")
	return p, url
}

// publicKeyID is the WeChat Pay public key ID the config trusts, which
// the sandbox wants in Wechatpay-Serial.
func publicKeyID(t *testing.T, config string) string {
	t.Helper()
	cfg, err := wechatpay.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	for id := range cfg.Certs {
		if strings.HasPrefix(id, "PUB_KEY_ID_") {
			return id
		}
	}
	t.Fatalf("no public key in %s", config)
	return ""
}

// nativeOrder is `wxpay post v3/pay/transactions/native` of an order.
func nativeOrder(t *testing.T, env []string, serial, outTradeNo, notifyURL string) result {
	t.Helper()
	return wxpay(t, env, "post", "v3/pay/transactions/native", "-H", "Wechatpay-Serial: "+serial, "-d", `{"appid":"wxd678efh567hg6787","mchid":"1900000109",`+
		`"description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"`+outTradeNo+`","notify_url":"`+notifyURL+`","amount":{"total":100,"currency":"CNY"}}`)
}

// copyConfig copies the config and the files it names (not the data
// directory's own file) to a new folder, and returns the copy's path.
func copyConfig(t *testing.T, config string) string {
	t.Helper()
	dst := t.TempDir()
	entries, err := os.ReadDir(filepath.Dir(config))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == wechatpaytest.DataFile {
			continue
		}
		data, err := os.ReadFile(filepath.Join(filepath.Dir(config), e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dst, filepath.Base(config))
}

// `wxpay sandbox --data DIR` keeps its keys, address and orders: the config
// written before a restart still works after it, over HTTPS with mutual
// TLS, and finds the order placed before.
func TestSandboxDataRestart(t *testing.T) {
	data := filepath.Join(t.TempDir(), "sandbox")
	p, config := startSandbox(t, "--data", data, "--tls")
	if config != filepath.Join(data, "wechatpay.json") {
		t.Fatalf("config written to %s", config)
	}
	first, _ := p.output()
	env := []string{"WECHATPAY_CONFIG=" + config}
	if r := nativeOrder(t, env, publicKeyID(t, config), "T2024RESTART1", "https://example.com/notify"); r.code != 0 || !strings.Contains(r.stdout, `"code_url"`) {
		t.Fatalf("%+v", r)
	}
	// A second sandbox on the same directory is refused, and told to
	// drive the running one.
	if r := wxpay(t, nil, "sandbox", "--data", data); r.code != 1 || !strings.Contains(r.stderr, "the data directory is in use by another server") ||
		!strings.Contains(r.stderr, "drive that one") {
		t.Fatalf("a second sandbox: %+v", r)
	}
	before := copyConfig(t, config)
	p.stop()

	p2, _ := startSandbox(t, "--data", data, "--tls")
	again, _ := p2.output()
	if url := strings.SplitN(first, "\n", 2)[0]; !strings.HasPrefix(again, url+"\n") || !strings.HasPrefix(url, "wechatpay sandbox listening on https://") {
		t.Fatalf("before the restart %q, after %q", url, strings.SplitN(again, "\n", 2)[0])
	}
	env = []string{"WECHATPAY_CONFIG=" + before}
	r := wxpay(t, env, "get", "v3/pay/transactions/out-trade-no/T2024RESTART1", "-q", "mchid=1900000109")
	if r.code != 0 || !strings.Contains(r.stdout, `"trade_state": "NOTPAY"`) || !strings.Contains(r.stdout, `"appid": "wxd678efh567hg6787"`) {
		t.Fatalf("the order after the restart: %+v", r)
	}
	// Mutual TLS, with the HTTPS certificate kept too (tls_ca).
	if r := wxpay(t, env, "post", "v2/mchrisk/querymchrisk", "--security", "-x", "mch_id=1900000109", "-x", "sign_type=HMAC-SHA256"); r.code != 0 || !strings.Contains(r.stdout, `"result_code": "SUCCESS"`) {
		t.Fatalf("--security: %+v", r)
	}
	// --data answers orders it does not know as WeChat Pay does.
	if r := wxpay(t, env, "get", "v3/pay/transactions/out-trade-no/NEVER", "-q", "mchid=1900000109"); r.code != 1 || !strings.Contains(r.stderr, "404 Not Found: ORDER_NOT_EXIST") {
		t.Fatalf("unknown order: %+v", r)
	}
	p2.waitFor(true, "GET    /v3/pay/transactions/out-trade-no/NEVER?mchid=1900000109 404 signature verified")
}

// The webhook loop: an order placed with `wxpay post`, paid with `wxpay
// sandbox pay`, notifies `wxpay listen`, which verifies and prints it and
// forwards it to the merchant's own handler; `wxpay trigger` sends any
// notification; a refund completed with `wxpay sandbox refund-complete`
// notifies too.
func TestWebhookLoop(t *testing.T) {
	_, config := startSandbox(t, "--data", filepath.Join(t.TempDir(), "sandbox"), "--refund-delay", "-1s")
	env := []string{"WECHATPAY_CONFIG=" + config}

	// The merchant's handler: the SDK's Notifier, with the config's keys.
	cfg, err := wechatpay.LoadConfig(config)
	if err != nil {
		t.Fatal(err)
	}
	nf, err := wechatpay.NewNotifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *wechatpay.Notification, 4)
	merchant := httptest.NewServer(nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		got <- n
		return nil
	}))
	defer merchant.Close()
	listen, listenURL := startListen(t, env, "--forward-to", merchant.URL+"/wxpay/notify")

	// Order, then pay.
	if r := nativeOrder(t, env, publicKeyID(t, config), "T2024LOOP1", listenURL+"notify"); r.code != 0 {
		t.Fatalf("%+v", r)
	}
	r := wxpay(t, env, "sandbox", "pay", "T2024LOOP1")
	if r.code != 0 || !strings.Contains(r.stdout, `"trade_state": "SUCCESS"`) || !strings.Contains(r.stderr, "notification sent to "+listenURL+"notify, answered 204") {
		t.Fatalf("sandbox pay: %+v", r)
	}
	line := listen.waitFor(true, "POST /notify: verified TRANSACTION.SUCCESS")
	if !strings.HasSuffix(line, "; forwarded to "+merchant.URL+"/wxpay/notify, which answered 204; answered 204") {
		t.Fatalf("listen: %q", line)
	}
	listen.waitFor(false, `"out_trade_no": "T2024LOOP1"`)
	paid := <-got
	if paid.EventType != "TRANSACTION.SUCCESS" || paid.Get("out_trade_no").String() != "T2024LOOP1" || paid.Get("trade_state").String() != "SUCCESS" {
		t.Fatalf("the merchant's handler got %s %s", paid.EventType, paid.Plaintext)
	}
	transactionID := paid.Get("transaction_id").String()

	// A refund, completed on demand.
	r = wxpay(t, env, "post", "v3/refund/domestic/refunds", "-d", `{"transaction_id":"`+transactionID+`","out_refund_no":"R2024LOOP1",`+
		`"notify_url":"`+listenURL+`refund","amount":{"refund":100,"total":100,"currency":"CNY"}}`)
	if r.code != 0 || !strings.Contains(r.stdout, `"status": "PROCESSING"`) {
		t.Fatalf("refund: %+v", r)
	}
	if r := wxpay(t, env, "sandbox", "refund-complete", "R2024LOOP1"); r.code != 0 || !strings.Contains(r.stderr, "answered 204") {
		t.Fatalf("refund-complete: %+v", r)
	}
	if n := <-got; n.EventType != "REFUND.SUCCESS" || n.Get("out_refund_no").String() != "R2024LOOP1" {
		t.Fatalf("the merchant's handler got %s %s", n.EventType, n.Plaintext)
	}
	listen.waitFor(true, "POST /refund: verified REFUND.SUCCESS")

	// Any notification of the catalog, a field overridden.
	r = wxpay(t, env, "trigger", "TRANSACTION.SUCCESS", "--to", listenURL+"hook", "--set", "resource.amount.total=1", "--set", "out_trade_no=T2024TRIGGER")
	if r.code != 0 || r.stdout != "204 No Content\n" || !strings.Contains(r.stderr, "acknowledged") {
		t.Fatalf("trigger: %+v", r)
	}
	if n := <-got; n.Get("amount.total").Int() != 1 || n.Get("out_trade_no").String() != "T2024TRIGGER" {
		t.Fatalf("triggered: %s", n.Plaintext)
	}
	listen.waitFor(false, `"out_trade_no": "T2024TRIGGER"`)

	// Without forwarding, listen acknowledges what verifies (APIv2 too,
	// req_info decrypted) and refuses what does not.
	plain, plainURL := startListen(t, env)
	r = wxpay(t, env, "trigger", "v2/refund-processed", "--to", plainURL+"v2", "--set", "req_info.refund_fee=1")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "200 OK\n<xml><return_code>SUCCESS</return_code>") {
		t.Fatalf("trigger v2: %+v", r)
	}
	plain.waitFor(true, "POST /v2: verified APIv2 refund notification (req_info decrypted); answered 200")
	plain.waitFor(false, `"refund_fee": "1"`)
	res, err := http.Post(plainURL+"forged", "application/json", strings.NewReader(`{"id":"x","resource":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 401 || !json.Valid(body) {
		t.Fatalf("forged: %d %s", res.StatusCode, body)
	}
	plain.waitFor(true, "POST /forged: NOT VERIFIED")
	if r := wxpay(t, env, "trigger", "NO.SUCH_EVENT", "--to", plainURL); r.code != 2 || !strings.Contains(r.stderr, "no notification NO.SUCH_EVENT") {
		t.Fatalf("unknown event: %+v", r)
	}
}
