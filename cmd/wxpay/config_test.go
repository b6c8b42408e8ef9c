package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Config problems exit 1 and say which file and field.
func TestConfigErrors(t *testing.T) {
	c := newCLI(t)
	dir := filepath.Dir(c.config)
	badPEM := filepath.Join(dir, "bad_key.pem")
	os.WriteFile(badPEM, []byte("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"), 0o600)
	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		want []string
	}{
		{"unknown field", func(m map[string]any) { m["base_uri"] = "https://x/" }, []string{c.config, `unknown field "base_uri"`}},
		{"key file missing", func(m map[string]any) { m["private_key"] = "gone.pem" }, []string{"private_key", "no such file"}},
		{"bad PEM", func(m map[string]any) { m["private_key"] = badPEM }, []string{c.config + ": private_key: cannot be used"}},
		{"bad PEM text", func(m map[string]any) {
			m["private_key"] = "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"
		},
			[]string{"private_key: cannot be used"}},
		{"short APIv2 key", func(m map[string]any) { m["secret"] = "short" }, []string{c.config + ": secret: is 5 bytes long"}},
		{"bad base_url", func(m map[string]any) { m["base_url"] = "api.mch.weixin.qq.com" }, []string{c.config + ": base_url: is not an absolute"}},
		{"no keys at all", func(m map[string]any) {
			for k := range m {
				delete(m, k)
			}
		}, []string{"secret: and the APIv3 fields are all empty: configure APIv3 (mchid, serial, private_key, certs), APIv2 (secret)"}},
	} {
		rewriteConfig(t, c)
		editConfig(t, c.config, tc.edit)
		r := c.run("", "get", "v3/certificates")
		if r.code != 1 || r.stdout != "" {
			t.Errorf("%s: %+v", tc.name, r)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", tc.name, r.stderr, w)
			}
		}
		// The file's keys, not the Go fields of wechatpay.Config.
		if strings.Contains(r.stderr, "Config.") {
			t.Errorf("%s: stderr names a Go field: %s", tc.name, r.stderr)
		}
	}
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(dir, "missing.json")
	if code := run(context.Background(), []string{"-c", missing, "get", "v3/certificates"}, &env{stdout: &stdout, stderr: &stderr}); code != 1 ||
		!strings.Contains(stderr.String(), missing+" (from -c): no such file") {
		t.Fatalf("exit %d %s", code, stderr.String())
	}
	// A missing file names the ways to give one, and the sandbox that
	// writes one.
	for _, w := range []string{"-c FILE", "$WECHATPAY_CONFIG", "wxpay sandbox"} {
		if !strings.Contains(stderr.String(), w) {
			t.Errorf("%q lacks %q", stderr.String(), w)
		}
	}
	// Without -c: $WECHATPAY_CONFIG, then ./wechatpay.json.
	rewriteConfig(t, c)
	t.Setenv("WECHATPAY_CONFIG", c.config)
	stdout.Reset()
	if code := run(context.Background(), []string{"get", "v3/certificates"}, &env{stdout: &stdout, stderr: &stderr}); code != 0 || !strings.Contains(stdout.String(), `"serial_no"`) {
		t.Fatalf("exit %d %s", code, stderr.String())
	}
	t.Setenv("WECHATPAY_CONFIG", "")
	t.Chdir(dir)
	stdout.Reset()
	if code := run(context.Background(), []string{"get", "v3/certificates"}, &env{stdout: &stdout, stderr: &stderr}); code != 0 || !strings.Contains(stdout.String(), `"serial_no"`) {
		t.Fatalf("exit %d %s", code, stderr.String())
	}
}

// No command prints the APIv2 key, the APIv3 key or the private key,
// whether it succeeds or fails.
func TestNoSecretsPrinted(t *testing.T) {
	c := newCLI(t)
	key := string(c.srv.Merchant.KeyPEM())
	keyLines := strings.Split(strings.TrimSpace(key), "\n")
	secrets := []string{c.srv.Secret, c.srv.APIv3Key, keyLines[1], keyLines[len(keyLines)/2]}
	c.srv.Fault("GET v3/pay/transactions/id/{transaction_id}", wechatpaytest.BadSignature().Once())
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer receiver.Close()
	runs := [][]string{
		{"get", "-i", "v3/pay/transactions/id/{transaction_id}", "--var", "transaction_id=1", "-q", "mchid=" + c.srv.MchID}, // forged
		{"get", "-i", "v3/pay/transactions/id/{transaction_id}", "--var", "transaction_id=1", "-q", "mchid=" + c.srv.MchID},
		{"post", "-i", "v2/pay/orderquery", "-x", "appid=wx1", "-x", "mch_id=" + c.srv.MchID, "-x", "transaction_id=1", "-x", "out_trade_no=1"},
		{"post", "-i", "v2/pay/orderquery", "-x", "appid=wx1", "-x", "mch_id=" + c.srv.MchID},
		{"get", "-i", "v3/no/such/endpoint"},
		{"certificates"},
		{"get", "v3/certificates", "--base-url", "http://127.0.0.1:1/"},
		{"get", "-h"},
		{"sandbox", "orders"},
		{"sandbox", "pay", "NO_SUCH_ORDER"},
		{"trigger", "-v", "v2/refund-processed", "--to", receiver.URL},
		{"trigger", "-v", "TRANSACTION.SUCCESS", "--to", receiver.URL},
	}
	check := func(what string, r result) {
		for _, s := range secrets {
			if strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s) {
				t.Errorf("%s prints a secret %.8q…", what, s)
			}
		}
	}
	for _, args := range runs {
		check(strings.Join(args, " "), c.run("", args...))
	}
	// Config errors, with the keys inline in the file.
	for name, edit := range map[string]func(m map[string]any){
		"short APIv3 key":     func(m map[string]any) { m["apiv3_key"] = c.srv.APIv3Key[:31] },
		"short APIv2 key":     func(m map[string]any) { m["secret"] = c.srv.Secret + "x" },
		"inline key, no cert": func(m map[string]any) { m["private_key"] = key; m["certs"] = map[string]any{} },
		"inline key, broken":  func(m map[string]any) { m["private_key"] = strings.Replace(key, keyLines[2], "!!", 1) },
		"inline key as path":  func(m map[string]any) { m["private_key"] = " x" + key },
	} {
		rewriteConfig(t, c)
		editConfig(t, c.config, edit)
		r := c.run("", "get", "v3/certificates")
		if r.code == 0 {
			t.Errorf("%s: exit 0", name)
		}
		check(name, r)
	}
}

// The command run as a process: exit codes, and mutual TLS for APIv2
// against the HTTPS sandbox, trusted through SSL_CERT_FILE.
func TestBinary(t *testing.T) {
	srv := wechatpaytest.NewTLSServer(wechatpaytest.WithMode(wechatpaytest.BothModes))
	defer srv.Close()
	config := sandboxConfig(t, srv)
	ca := filepath.Join(filepath.Dir(config), "sandbox-ca.pem")
	os.WriteFile(ca, srv.TLSCertificatePEM(), 0o600)
	wxpay := func(args ...string) result {
		return wxpay(t, []string{"SSL_CERT_FILE=" + ca, "WECHATPAY_CONFIG=" + config}, args...)
	}
	risk := []string{"post", "v2/mchrisk/querymchrisk", "-x", "mch_id=" + srv.MchID, "-x", "sign_type=HMAC-SHA256"}
	if r := wxpay(append(risk, "--security")...); r.code != 0 || !strings.Contains(r.stdout, `"result_code": "SUCCESS"`) {
		t.Fatalf("--security: %+v", r)
	}
	// Without --security: refused before sending by the validation, and by
	// the server when sent anyway.
	if r := wxpay(risk...); r.code != 2 || !strings.Contains(r.stderr, "set security: true") || r.stdout != "" {
		t.Fatalf("without --security: %+v", r)
	}
	if r := wxpay(append(risk, "--no-validate")...); r.code != 1 || !strings.Contains(r.stderr, "return_code FAIL") || r.stdout != "" {
		t.Fatalf("without --security, not validated: %+v", r)
	}
	if r := wxpay("get", "v3/pay/transactions/id/{transaction_id}", "--var", "transaction_id=1", "--no-validate"); r.code != 1 || !strings.Contains(r.stderr, "PARAM_ERROR") {
		t.Fatalf("%+v", r)
	}
	if r := wxpay("get", "v3/certificates", "--nope"); r.code != 2 {
		t.Fatalf("%+v", r)
	}
	r := wxpay("demo")
	if r.code != 0 || strings.Count(r.stdout, "✓") != len(demoSteps) {
		t.Fatalf("%+v", r)
	}
	// An installed wxpay suggests itself; `go run ./cmd/wxpay demo`
	// suggests the go run form (TestDemo).
	if !strings.Contains(r.stdout, "\n  wxpay sandbox --data sandbox\n") || strings.Contains(r.stdout, "go run") {
		t.Fatalf("%s", r.stdout)
	}
}

// private_key and certs take the SDK's inline forms, private.pkcs8://,
// private.pkcs1://, public.spki:// and bare base64 of the DER, besides
// paths and PEM text; a value that is none of them is never quoted.
func TestConfigKeyForms(t *testing.T) {
	c := newCLI(t)
	pkcs8, err := x509.MarshalPKCS8PrivateKey(c.srv.Merchant.Key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := x509.MarshalPKCS1PrivateKey(c.srv.Merchant.Key)
	spki, err := x509.MarshalPKIXPublicKey(&c.srv.PublicKey.Key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString
	for name, edit := range map[string]func(m map[string]any){
		"private.pkcs8://":      func(m map[string]any) { m["private_key"] = "private.pkcs8://" + b64(pkcs8) },
		"private.pkcs1://":      func(m map[string]any) { m["private_key"] = "private.pkcs1://" + b64(pkcs1) },
		"bare base64 PKCS#8":    func(m map[string]any) { m["private_key"] = b64(pkcs8) },
		"bare base64 PKCS#1":    func(m map[string]any) { m["private_key"] = b64(pkcs1) },
		"wrapped base64":        func(m map[string]any) { m["private_key"] = wrap64(b64(pkcs8)) },
		"public.spki:// cert":   func(m map[string]any) { m["certs"] = map[string]any{c.srv.PublicKeyID: "public.spki://" + b64(spki)} },
		"bare base64 cert":      func(m map[string]any) { m["certs"] = map[string]any{c.srv.PublicKeyID: b64(spki)} },
		"merchant key pkcs8://": func(m map[string]any) { m["merchant"].(map[string]any)["key"] = "private.pkcs8://" + b64(pkcs8) },
	} {
		rewriteConfig(t, c)
		editConfig(t, c.config, func(m map[string]any) {
			if m["merchant"] == nil {
				m["merchant"] = map[string]any{"cert": string(c.srv.Merchant.CertPEM()), "key": string(c.srv.Merchant.KeyPEM())}
			}
			edit(m)
		})
		if r := c.run("", "get", "v3/certificates"); r.code != 0 {
			t.Errorf("%s: exit %d: %s", name, r.code, r.stderr)
		}
	}
	// Values that are none of these: each error names the field, never the
	// value.
	truncated := b64(pkcs8)[:300]
	for name, tc := range map[string]struct{ field, value string }{
		"APIv3 key as private_key":   {"private_key", c.srv.APIv3Key},
		"APIv2 key as merchant key":  {"merchant.key", c.srv.Secret},
		"truncated pkcs8://":         {"private_key", "private.pkcs8://" + truncated},
		"truncated base64":           {"private_key", truncated},
		"base64 with a typo":         {"private_key", "*" + b64(pkcs8)[1:]},
		"APIv3 key as a certificate": {"certs", c.srv.APIv3Key},
	} {
		rewriteConfig(t, c)
		editConfig(t, c.config, func(m map[string]any) {
			switch {
			case strings.HasPrefix(name, "APIv2 key as merchant"):
				m["merchant"] = map[string]any{"cert": string(c.srv.Merchant.CertPEM()), "key": tc.value}
			case strings.Contains(name, "certificate"):
				m["certs"] = map[string]any{c.srv.PublicKeyID: tc.value}
			default:
				m["private_key"] = tc.value
			}
		})
		r := c.run("", "get", "v3/certificates")
		if r.code != 1 || !strings.Contains(r.stderr, tc.field) {
			t.Errorf("%s: exit %d, want 1 and an error naming %s: %s", name, r.code, tc.field, r.stderr)
		}
		v := strings.TrimPrefix(tc.value, "private.pkcs8://")
		for i := 0; i+12 <= len(v); i += 6 {
			if strings.Contains(r.stderr, v[i:i+12]) {
				t.Errorf("%s: the error quotes the value: %s", name, r.stderr)
				break
			}
		}
	}
}

// wrap64 breaks base64 text into lines of 64 characters, as in a PEM file.
func wrap64(s string) string {
	var b strings.Builder
	for len(s) > 64 {
		b.WriteString(s[:64] + "\n")
		s = s[64:]
	}
	return b.String() + s
}

// rewriteConfig writes the sandbox's config again over c.config.
func rewriteConfig(t *testing.T, c *cli) {
	t.Helper()
	if _, err := writeSandboxConfig(c.config, c.srv); err != nil {
		t.Fatal(err)
	}
}
