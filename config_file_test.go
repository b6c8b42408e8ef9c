package wechatpay_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/internal/configfile"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A config naming its keys by relative path, file:// URL and PEM text
// gives a client that the server accepts, over APIv3 and APIv2.
func TestLoad(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.BothModes))
	defer srv.Close()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "keys", "apiclient_key.pem"), string(srv.Merchant.KeyPEM()))
	write(t, filepath.Join(dir, "keys", "apiclient_cert.pem"), string(srv.Merchant.CertPEM()))
	write(t, filepath.Join(dir, "platform.pem"), string(srv.Platform.CertPEM()))
	f := &configfile.File{
		MchID: srv.MchID, Serial: srv.Merchant.Serial, PrivateKey: "file://keys/apiclient_key.pem",
		Certs: map[string]string{
			srv.Platform.Serial: filepath.Join(dir, "platform.pem"),   // absolute
			srv.PublicKeyID:     string(srv.PublicKey.PublicKeyPEM()), // PEM text
		},
		Secret: srv.Secret, APIv3Key: srv.APIv3Key,
		Merchant: &configfile.Merchant{Cert: "keys/apiclient_cert.pem", Key: "keys/apiclient_key.pem"},
		BaseURL:  srv.URL,
	}
	path := filepath.Join(dir, "wxpay.json")
	cfg, c := clientFromFile(t, path, f)
	if _, err := c.Chain("v3/certificates").Get(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wx1", "mch_id": srv.MchID, "transaction_id": "1", "out_trade_no": "2"}}); err != nil {
		t.Fatal(err)
	}
	if cfg.Merchant == nil || cfg.APIv3Key.Len() != 32 {
		t.Fatalf("%v", cfg)
	}
}

// Fields the calls do not need may be absent: an APIv2-only config.
func TestLoadPartial(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v2.json")
	write(t, path, `{"mchid": "1900000109", "secret": "`+strings.Repeat("k", 32)+`"}`)
	cfg, err := wechatpay.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wechatpay.New(cfg); err != nil {
		t.Fatal(err)
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ data, want string }{
		"unknown field":   {`{"mchid": "1", "base_uri": "x"}`, `unknown field "base_uri"`},
		"trailing data":   {`{"mchid": "1"} {}`, "data after"},
		"missing file":    {`{"private_key": "nope.pem"}`, "private_key"},
		"missing cert":    {`{"certs": {"PUB_KEY_ID_1": "file://gone.pem"}}`, `certs["PUB_KEY_ID_1"]`},
		"not JSON":        {`mchid=1`, "invalid character"},
		"text before PEM": {`{"private_key": "key: -----BEGIN PRIVATE KEY-----\nMIIEsecret\n-----END PRIVATE KEY-----\n"}`, "private_key: is neither PEM text"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "_")+".json")
		write(t, path, tc.data)
		_, err := wechatpay.LoadConfig(path)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: want an error about %q, got %v", name, tc.want, err)
		} else if strings.Contains(err.Error(), "MIIEsecret") {
			t.Errorf("%s: the error quotes the key: %v", name, err)
		}
		var fe *wechatpay.ConfigFileError
		if !errors.As(err, &fe) || fe.Path != path || !errors.Is(err, wechatpay.ErrConfig) {
			t.Errorf("%s: %#v is not a *ConfigFileError of %s", name, err, path)
		}
	}
}

// Each problem names the key as the file writes it, in a *ConfigFileError;
// a missing file is fs.ErrNotExist.
func TestLoadConfigErrorKeys(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "wechatpay.json")
	write(t, path, `{"private_key": "gone.pem", "certs": {"PUB_KEY_ID_1": "gone.pem"}, "merchant": {"cert": "gone.pem", "key": "gone.pem"}, "tls_ca": "gone.pem"}`)
	_, err := wechatpay.LoadConfig(path)
	var keys []string
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var fe *wechatpay.ConfigFileError
		if !errors.As(e, &fe) || !errors.Is(e, fs.ErrNotExist) {
			t.Fatalf("%#v", e)
		}
		keys = append(keys, fe.Key)
	}
	sort.Strings(keys)
	if got := strings.Join(keys, " "); got != `certs["PUB_KEY_ID_1"] merchant.cert merchant.key private_key tls_ca` {
		t.Fatalf("keys %s", got)
	}
	_, err = wechatpay.LoadConfig(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.json: no such file") {
		t.Fatalf("%v", err)
	}
	write(t, path, `{"tls_ca": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"}`)
	if _, err := wechatpay.LoadConfig(path); err == nil || !strings.Contains(err.Error(), "tls_ca: holds no PEM certificate") {
		t.Fatalf("%v", err)
	}
}

// tls_ca makes the client trust an HTTPS sandbox's certificate, and every
// key configfile writes is one LoadConfig reads.
func TestLoadConfigTLSCA(t *testing.T) {
	srv := wechatpaytest.NewTLSServer(wechatpaytest.WithMode(wechatpaytest.PublicKeyMode))
	defer srv.Close()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "ca.pem"), string(srv.TLSCertificatePEM()))
	f := &configfile.File{
		MchID: srv.MchID, Serial: srv.Merchant.Serial, PrivateKey: string(srv.Merchant.KeyPEM()),
		Certs:  map[string]string{srv.PublicKeyID: string(srv.PublicKey.PublicKeyPEM())},
		Secret: srv.Secret, APIv3Key: srv.APIv3Key,
		Merchant: &configfile.Merchant{Cert: string(srv.Merchant.CertPEM()), Key: string(srv.Merchant.KeyPEM())},
		BaseURL:  srv.URL, TLSCA: "ca.pem",
	}
	path := filepath.Join(dir, "wechatpay.json")
	_, c := clientFromFile(t, path, f)
	if _, err := c.Chain("v2/mchrisk/querymchrisk").Post(wechatpay.M{"security": true, "xml": wechatpay.M{"mch_id": srv.MchID, "sign_type": "HMAC-SHA256"}}); err != nil {
		t.Fatal(err)
	}
	// Without tls_ca, the system's roots do not know the sandbox.
	f.TLSCA = ""
	_, c2 := clientFromFile(t, path, f)
	if _, err := c2.Chain("v3/certificates").Get(); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("%v", err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", fi.Mode(), err)
	}
}

// clientFromFile writes f to path, loads it as wxpay and users do, and
// makes a client of it, closed when t ends.
func clientFromFile(t *testing.T, path string, f *configfile.File) (wechatpay.Config, *wechatpay.Client) {
	t.Helper()
	if err := configfile.Write(path, f); err != nil {
		t.Fatal(err)
	}
	cfg, err := wechatpay.LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return cfg, c
}
