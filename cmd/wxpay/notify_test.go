package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// capture records the notifications the fake WeChat Pay sends.
type capture struct {
	header http.Header
	body   []byte
}

func captured(t *testing.T, srv *wechatpaytest.Server, webhook string) capture {
	t.Helper()
	var c capture
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.header = r.Header.Clone()
		c.body, _ = io.ReadAll(r.Body)
		if strings.HasPrefix(webhook, "v2/") {
			w.Write([]byte("<xml><return_code>SUCCESS</return_code></xml>"))
		}
	}))
	defer hs.Close()
	if _, err := srv.Notify(context.Background(), hs.URL, wechatpaytest.Notification{Webhook: webhook}, wechatpaytest.WithSchedule()); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNotify(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.BothModes))
	defer srv.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "wxpay.json")
	if _, err := writeSandboxConfig(cfg, srv); err != nil {
		t.Fatal(err)
	}
	notify := func(stdin []byte, args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"-c", cfg, "notify"}, args...), &env{stdin: bytes.NewReader(stdin), stdout: &stdout, stderr: &stderr})
		return code, stdout.String(), stderr.String()
	}
	headers := func(h http.Header) []string {
		var args []string
		for _, k := range []string{"Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Serial", "Wechatpay-Signature"} {
			args = append(args, "-H", k+": "+h.Get(k))
		}
		return args
	}

	// APIv3, body on stdin: the decrypted resource is printed.
	v3 := captured(t, srv, "v3/TRANSACTION.SUCCESS")
	code, out, errOut := notify(v3.body, headers(v3.header)...)
	var plain map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &plain) != nil || plain["out_trade_no"] == nil || !strings.Contains(errOut, "verified TRANSACTION.SUCCESS") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	// The body from a file; lower-case header names as logs often have them.
	bodyFile := filepath.Join(dir, "body.json")
	os.WriteFile(bodyFile, v3.body, 0o600)
	lower := []string{}
	for i, a := range headers(v3.header) {
		if i%2 == 1 {
			a = strings.ToLower(a[:strings.Index(a, ":")]) + a[strings.Index(a, ":"):]
		}
		lower = append(lower, a)
	}
	if code, _, errOut := notify(nil, append(lower, "--body", bodyFile)...); code != 0 {
		t.Fatal(errOut)
	}
	// Tampered or without headers: exit 1 and the reason.
	code, out, errOut = notify(bytes.Replace(v3.body, []byte(`"id":"`), []byte(`"id":"x`), 1), headers(v3.header)...)
	if code != 1 || out != "" || !strings.Contains(errOut, "signature does not match") {
		t.Fatalf("tampered: %d %q %q", code, out, errOut)
	}
	if code, _, errOut := notify(v3.body); code != 1 || !strings.Contains(errOut, "missing Wechatpay-Nonce") {
		t.Fatalf("no headers: %d %q", code, errOut)
	}

	// APIv2 refund: the decrypted req_info fields.
	refund := captured(t, srv, "v2/refund-processed")
	code, out, errOut = notify(refund.body, "--v2")
	var info map[string]any
	if code != 0 || json.Unmarshal([]byte(out), &info) != nil || info["out_refund_no"] == nil || info["req_info"] != nil {
		t.Fatalf("refund: %d %s %s", code, out, errOut)
	}
	// APIv2 signed: the fields; tampered: refused.
	paid := captured(t, srv, "v2/transaction-success")
	code, out, _ = notify(paid.body, "--v2")
	if code != 0 || !strings.Contains(out, `"sign"`) {
		t.Fatalf("signed v2: %d %s", code, out)
	}
	// XML without --v2 is read as APIv2, and says so.
	code, out2, errOut := notify(paid.body)
	if code != 0 || out2 != out || !strings.Contains(errOut, "the body is XML: read as an APIv2 notification (--v2)") {
		t.Fatalf("XML without --v2: %d %s %s", code, out2, errOut)
	}
	if code, _, errOut := notify(bytes.Replace(paid.body, []byte("<openid>"), []byte("<openid>x"), 1), "--v2"); code != 1 || !strings.Contains(errOut, "signature") {
		t.Fatalf("tampered v2: %d %s", code, errOut)
	}

	// Bad flags and configuration.
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-c", filepath.Join(dir, "missing.json"), "notify"}, 1, "no such file"},
		{[]string{"-c", cfg, "notify", "-H", "no colon"}, 2, "want 'Name: value'"},
		{[]string{"-c", cfg, "notify", "extra"}, 2, "unexpected arguments"},
		{[]string{"-c"}, 2, "flag needs an argument: 'c' in -c"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), tc.args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		if code != tc.code || !strings.Contains(stderr.String(), tc.msg) {
			t.Errorf("%v: exit %d, %q", tc.args, code, stderr.String())
		}
	}
	// -c from the environment.
	t.Setenv("WECHATPAY_CONFIG", cfg)
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), append([]string{"notify", "--body", bodyFile}, headers(v3.header)...), &env{stdout: &stdout, stderr: &stderr}); code != 0 {
		t.Fatal(stderr.String())
	}
}
