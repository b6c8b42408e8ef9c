// Package node_test checks the SDK against an implementation it did not
// write: the Node SDK wechatpay-axios-plugin, pinned in package.json and
// package-lock.json beside this file. The tests run node; they install the
// pinned package with `npm ci` when node_modules is missing. Without node
// they skip, except under CI=true, where they fail.
package node_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

var install struct {
	once sync.Once
	err  error
	out  []byte
}

// node returns the path of node, with the pinned Node SDK installed.
func node(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not installed: the interop tests need Node.js 18 or later and npm (apt-get install nodejs npm)")
		}
		t.Skip("node is not installed: install Node.js 18 or later and npm to run the interop tests against wechatpay-axios-plugin")
	}
	install.once.Do(func() {
		if _, err := os.Stat(filepath.Join("node_modules", "wechatpay-axios-plugin", "package.json")); err == nil {
			return
		}
		npm, err := exec.LookPath("npm")
		if err != nil {
			install.err = err
			return
		}
		cmd := exec.Command(npm, "ci", "--no-audit", "--no-fund")
		install.out, install.err = cmd.CombinedOutput()
	})
	if install.err != nil {
		t.Fatalf("npm ci: %v\n%s", install.err, install.out)
	}
	return bin
}

func writeJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// result is one call made by client.js.
type result struct {
	Name   string          `json:"name"`
	OK     bool            `json:"ok"`
	Status int             `json:"status"`
	Code   string          `json:"code"`
	Data   json.RawMessage `json:"data"`
	Error  string          `json:"error"`
}

func (r result) field(name string) string {
	var m map[string]any
	json.Unmarshal(r.Data, &m)
	s, _ := m[name].(string)
	return s
}

// The Node SDK drives our TLS server: APIv3 GET, POST and PUT, an answer
// whose signature it must refuse, APIv2 with MD5, HMAC-SHA256 and mutual
// TLS, and calls signed with a key and a secret the server never issued,
// which the server must refuse.
func TestNodeSDKAgainstServer(t *testing.T) {
	bin := node(t)
	for _, mode := range []wechatpaytest.Mode{wechatpaytest.PublicKeyMode, wechatpaytest.CertificateMode} {
		srv := wechatpaytest.NewTLSServer(wechatpaytest.WithMode(mode))
		defer srv.Close()
		certs, serial := map[string]string{srv.PublicKeyID: string(srv.PublicKey.PublicKeyPEM())}, srv.PublicKeyID
		if mode == wechatpaytest.CertificateMode {
			certs, serial = map[string]string{srv.Platform.Serial: string(srv.Platform.CertPEM())}, srv.Platform.Serial
		}
		cfg := writeJSON(t, map[string]any{
			"mchid": srv.MchID, "serial": srv.Merchant.Serial, "privateKey": string(srv.Merchant.KeyPEM()),
			"certs": certs, "secret": srv.Secret, "baseURL": srv.URL, "merchantCert": string(srv.Merchant.CertPEM()),
			"answerSerial": serial,
		})
		ca := filepath.Join(t.TempDir(), "ca.pem")
		if err := os.WriteFile(ca, srv.TLSCertificatePEM(), 0o600); err != nil {
			t.Fatal(err)
		}
		srv.Fault("GET v3/certificates", wechatpaytest.BadSignature())

		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "client.js", cfg)
		cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+ca)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("node client.js: %v\n%s", err, stderr.String())
		}
		var results []result
		if err := json.Unmarshal(out, &results); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		byName := map[string]result{}
		for _, r := range results {
			byName[r.Name] = r
			t.Logf("mode %d: %s: ok=%t status=%d code=%s %s", mode, r.Name, r.OK, r.Status, r.Code, r.Error)
		}
		expect := func(name string, ok bool, check func(result) bool) {
			r, found := byName[name]
			if !found || r.OK != ok || !check(r) {
				t.Errorf("mode %d: %s: %+v (data %s)", mode, name, r, r.Data)
			}
		}
		expect("v3 GET", true, func(r result) bool { return r.Status == 200 && r.field("out_trade_no") == "N-1" })
		expect("v3 POST", true, func(r result) bool { return r.Status == 200 && r.field("code_url") != "" })
		expect("v3 PUT", true, func(r result) bool { return r.Status == 200 && r.field("url") == "https://www.example.com/notify" })
		expect("v3 tampered answer", false, func(r result) bool { return r.Code == "EV3_RES_HEADER_SIGNATURE_DIGEST" })
		expect("v2 MD5", true, func(r result) bool { return r.field("return_code") == "SUCCESS" && r.field("out_trade_no") == "N-3" })
		expect("v2 HMAC-SHA256", true, func(r result) bool { return r.field("return_code") == "SUCCESS" && len(r.field("sign")) == 64 })
		expect("v2 mutual TLS", true, func(r result) bool { return r.field("result_code") == "SUCCESS" && r.field("out_refund_no") == "R-5" })
		expect("v3 rogue key", false, func(r result) bool { return r.Status == 401 && r.field("code") == "SIGN_ERROR" })
		expect("v2 rogue secret", false, func(r result) bool { return r.Code == "EV2_RES_STATUS_CODE_NOT_SUCESS" })
		if n := len(srv.Received()); n != len(results) {
			t.Errorf("mode %d: the server received %d requests for %d calls", mode, n, len(results))
		}
	}
}

// startNodeServer runs server.js and returns its base URL.
func startNodeServer(t *testing.T, bin string, cfg map[string]any) string {
	t.Helper()
	cmd := exec.Command(bin, "server.js", writeJSON(t, cfg))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "listening ") {
		t.Fatalf("node server.js: %q %v\n%s", line, err, stderr.String())
	}
	return "http://127.0.0.1:" + strings.TrimSpace(strings.TrimPrefix(line, "listening ")) + "/"
}
