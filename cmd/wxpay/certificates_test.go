package main

import (
	"encoding/json"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// editConfig rewrites the JSON config at path with edit.
func editConfig(t *testing.T, path string, edit func(m map[string]any)) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	data, _ = json.Marshal(m)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCertificates(t *testing.T) {
	c := newCLI(t)
	serial := c.srv.Platform.Serial
	r := c.ok("certificates")
	block, _ := pem.Decode([]byte(r.stdout[strings.Index(r.stdout, "-----BEGIN"):]))
	if block == nil || string(pem.EncodeToMemory(block)) != string(c.srv.Platform.CertPEM()) ||
		!strings.HasPrefix(r.stdout, "serial     "+serial+"\neffective  ") || !strings.Contains(r.stdout, "\nexpire     ") ||
		!strings.Contains(r.stdout, "status     valid, ") || !strings.Contains(r.stderr, "signature verified") {
		t.Fatalf("%+v", r)
	}

	dir := filepath.Join(t.TempDir(), "certs")
	r = c.ok("certificates", "--output", dir)
	path := filepath.Join(dir, "wechatpay_"+serial+".pem")
	saved, err := os.ReadFile(path)
	if err != nil || string(saved) != string(c.srv.Platform.CertPEM()) || strings.Contains(r.stdout, "-----BEGIN") ||
		!strings.Contains(r.stdout, "saved      "+path) {
		t.Fatalf("%v %+v", err, r)
	}
	// The line to add names the saved file relative to the config's
	// folder, as the config reads it.
	rel, _ := filepath.Rel(filepath.Dir(c.config), path)
	if !strings.Contains(r.stdout, `"`+serial+`": "`+filepath.ToSlash(rel)+`"`) {
		t.Fatalf("%+v", r)
	}
	editConfig(t, c.config, func(m map[string]any) { m["certs"] = map[string]any{serial: filepath.ToSlash(rel)} })
	if _, err := wechatpay.LoadConfig(c.config); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		edit func(m map[string]any)
		args []string
		code int
		want string
	}{
		{"no APIv3 key", func(m map[string]any) { delete(m, "apiv3_key") }, nil, 1, "has no apiv3_key"},
		{"wrong APIv3 key", func(m map[string]any) { m["apiv3_key"] = strings.Repeat("k", 32) }, nil, 1, "cannot be decrypted with apiv3_key"},
		{"arguments", nil, []string{"extra"}, 2, "unexpected arguments"},
		{"unknown flag", nil, []string{"--serial", "x"}, 2, "unknown flag: --serial"},
	} {
		if tc.edit != nil {
			rewriteConfig(t, c)
			editConfig(t, c.config, tc.edit)
		}
		r := c.run("", append([]string{"certificates"}, tc.args...)...)
		if r.code != tc.code || r.stdout != "" || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%s: %+v", tc.name, r)
		}
		if strings.Contains(r.stderr, c.srv.APIv3Key) {
			t.Errorf("%s: the APIv3 key is printed", tc.name)
		}
	}
}

// A config that trusts no WeChat Pay key yet (certs empty) downloads the
// certificates and verifies the answer with them, as a first download
// does.
func TestCertificatesBootstrap(t *testing.T) {
	c := newCLI(t, wechatpaytest.WithMode(wechatpaytest.CertificateMode))
	editConfig(t, c.config, func(m map[string]any) { delete(m, "certs") })
	r := c.ok("certificates")
	if !strings.HasPrefix(r.stdout, "serial     "+c.srv.Platform.Serial+"\n") {
		t.Fatalf("%+v", r)
	}
	// One download: the client in certificate mode does not fetch on its
	// own before FetchCertificates does.
	if n := c.srv.Count("GET v3/certificates"); n != 1 {
		t.Fatalf("%d downloads; want 1", n)
	}
}
