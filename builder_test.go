package wechatpay_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func TestConfigValidation(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	good := srv.Config()
	cases := []struct {
		name   string
		edit   func(*wechatpay.Config)
		fields []string // the Config fields the errors must name
	}{
		{"empty", func(c *wechatpay.Config) { *c = wechatpay.Config{} }, []string{"Secret"}},
		{"no mchid", func(c *wechatpay.Config) { c.MchID = "" }, []string{"MchID"}},
		{"no serial", func(c *wechatpay.Config) { c.Serial = "" }, []string{"Serial"}},
		{"no key", func(c *wechatpay.Config) { c.PrivateKey = nil }, []string{"PrivateKey"}},
		{"no certs and no APIv3 key", func(c *wechatpay.Config) { c.Certs, c.APIv3Key = nil, crypto.Secret{} }, []string{"Certs"}},
		{"a store without the APIv3 key", func(c *wechatpay.Config) {
			c.CertificateStore, c.APIv3Key = wechatpay.NewMemoryCertificateStore(), crypto.Secret{}
		}, []string{"CertificateStore"}},
		{"unknown certificates path", func(c *wechatpay.Config) { c.CertificatesPath = "v3/certificate" }, []string{"CertificatesPath"}},
		{"merchant serial in certs", func(c *wechatpay.Config) { c.Certs[c.Serial] = srv.Platform.Cert }, []string{`Certs["` + good.Serial + `"]`}},
		{"bad cert", func(c *wechatpay.Config) {
			c.Certs["PUB_KEY_ID_X"] = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
		}, []string{`Certs["PUB_KEY_ID_X"]`}},
		{"bad key type", func(c *wechatpay.Config) { c.PrivateKey = 42 }, []string{"PrivateKey"}},
		{"short secret", func(c *wechatpay.Config) { c.Secret = crypto.NewSecret("short") }, []string{"Secret"}},
		{"short apiv3 key", func(c *wechatpay.Config) { c.APIv3Key = crypto.NewSecret(strings.Repeat("k", 31)) }, []string{"APIv3Key"}},
		{"bad base url", func(c *wechatpay.Config) { c.BaseURL = "api.mch.weixin.qq.com" }, []string{"BaseURL"}},
		{"several at once", func(c *wechatpay.Config) { c.Serial, c.PrivateKey = "", nil }, []string{"Serial", "PrivateKey"}},
	}
	for _, tc := range cases {
		cfg := srv.Config()
		tc.edit(&cfg)
		_, err := wechatpay.New(cfg)
		if !errors.Is(err, wechatpay.ErrConfig) {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		for _, f := range tc.fields {
			if !strings.Contains(err.Error(), "Config."+f+":") {
				t.Errorf("%s: %q does not name Config.%s", tc.name, err, f)
			}
		}
		var ce *wechatpay.ConfigError
		if !errors.As(err, &ce) || ce.Problem == "" {
			t.Errorf("%s: no *ConfigError in %v", tc.name, err)
		}
		if strings.Contains(err.Error(), srv.Secret) || strings.Contains(err.Error(), "PRIVATE KEY") {
			t.Errorf("%s: a secret in %q", tc.name, err)
		}
	}
	if _, err := wechatpay.New(good); err != nil {
		t.Fatal(err)
	}
}

// Keys are accepted as values, PEM text, paths and file:// paths.
func TestConfigKeyForms(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "apiclient_key.pem")
	certPath := filepath.Join(dir, "wechatpay.pem")
	os.WriteFile(keyPath, srv.Merchant.KeyPEM(), 0o600)
	os.WriteFile(certPath, srv.Platform.CertPEM(), 0o600)
	for name, edit := range map[string]func(*wechatpay.Config){
		"values": func(c *wechatpay.Config) {},
		"pem text": func(c *wechatpay.Config) {
			c.PrivateKey = string(srv.Merchant.KeyPEM())
			c.Certs = map[string]any{srv.Platform.Serial: string(srv.Platform.CertPEM())}
		},
		"pem bytes": func(c *wechatpay.Config) {
			c.PrivateKey = srv.Merchant.KeyPEM()
			c.Certs = map[string]any{srv.Platform.Serial: srv.Platform.CertPEM()}
		},
		"paths": func(c *wechatpay.Config) {
			c.PrivateKey = keyPath
			c.Certs = map[string]any{srv.Platform.Serial: certPath}
		},
		"file:// paths": func(c *wechatpay.Config) {
			c.PrivateKey = "file://" + keyPath
			c.Certs = map[string]any{srv.Platform.Serial: "file://" + certPath}
		},
		"public key": func(c *wechatpay.Config) { c.Certs = map[string]any{srv.Platform.Serial: &srv.Platform.Key.PublicKey} },
	} {
		cfg := srv.Config()
		edit(&cfg)
		c, err := wechatpay.New(cfg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if _, err := c.Chain("v3/x").Get(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		c.Close()
	}
}

// Neither the Config nor the Client prints a secret, whatever the verb,
// nesting or logger.
func TestSecretsDoNotPrint(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	pemText := string(srv.Merchant.KeyPEM())
	cfg.PrivateKey = crypto.NewSecret(pemText)
	cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: srv.Merchant.Key}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	type holder struct {
		Cfg    wechatpay.Config
		cfg    wechatpay.Config
		Client *wechatpay.Client
	}
	h := holder{Cfg: cfg, cfg: cfg, Client: c}
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X"} {
		fmt.Fprintf(&out, verb+"\n", cfg)
		fmt.Fprintf(&out, verb+"\n", &cfg)
		fmt.Fprintf(&out, verb+"\n", c)
		fmt.Fprintf(&out, verb+"\n", *cfg.Merchant)
		fmt.Fprintf(&out, verb+"\n", []any{cfg, c, cfg.Secret, cfg.APIv3Key})
	}
	fmt.Fprintf(&out, "%v %+v\n", h, h)
	// PEM text in a plain string is hidden wherever fmt calls the Config's
	// methods.
	plain := srv.Config()
	plain.PrivateKey = pemText
	plain.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: pemText}
	fmt.Fprintf(&out, "%v %+v %#v %s %v\n", plain, plain, &plain, plain, struct{ C wechatpay.Config }{plain})
	log.New(&out, "", 0).Print(cfg, c)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("cfg", "cfg", cfg, "secret", cfg.Secret)
	slog.New(slog.NewTextHandler(&out, nil)).Info("cfg", "cfg", cfg, "secret", cfg.APIv3Key)
	if b, err := json.Marshal(map[string]any{"s": cfg.Secret, "k": cfg.APIv3Key}); err == nil {
		out.Write(b)
	}
	s := out.String()
	for name, secret := range map[string]string{"APIv2 key": srv.Secret, "APIv3 key": srv.APIv3Key, "private key": "PRIVATE KEY", "key body": pemText[40:80]} {
		if strings.Contains(s, secret) {
			t.Errorf("the %s was printed", name)
		}
	}
	if !strings.Contains(s, srv.MchID) {
		t.Error("nothing useful was printed either")
	}
}
