package wechatpay_test

import (
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// secretLookalikes are values that may be secrets pasted into a field that
// takes a key, a certificate or a path.
func secretLookalikes(t *testing.T, srv *wechatpaytest.Server) map[string]string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(srv.Merchant.Key)
	if err != nil {
		t.Fatal(err)
	}
	b64 := base64.StdEncoding.EncodeToString(der)
	return map[string]string{
		"APIv3 key":                srv.APIv3Key,
		"APIv2 key":                srv.Secret,
		"63 characters":            "k3Y/" + strings.Repeat("q7Zx", 14) + "Wp9",
		"base64 fragment":          b64[40:100],
		"short base64 with /":      "ab+/" + b64[200:240],
		"PEM body line":            b64[64:128],
		"key in base64":            b64,
		"token":                    "Bearer eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXRva2Vu.sig",
		"key without BEGIN line":   b64[:64] + "\n" + b64[64:128] + "\n-----END PRIVATE KEY-----\n",
		"value with a line break":  "Zq7XtP3rW9mK2vL8\nnB4cH6jD1fG5sA0y",
		"file:// and an APIv3 key": "file://" + srv.APIv3Key,
	}
}

// assertNotQuoted fails when err, printed any way, shows secret or a
// 12-character piece of it.
func assertNotQuoted(t *testing.T, what string, err error, secret string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error", what)
		return
	}
	secret = strings.TrimPrefix(secret, "file://")
	secret = strings.TrimPrefix(secret, "Bearer ")
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		out := fmt.Sprintf(verb, err)
		for _, line := range strings.Split(secret, "\n") {
			for i := 0; i+12 <= len(line); i += 6 {
				if strings.Contains(out, line[i:i+12]) || strings.Contains(out, fmt.Sprintf("%q", line[i:i+12])[1:13]) {
					t.Errorf("%s: %s shows the value: %s", what, verb, out)
					return
				}
			}
		}
	}
}

// No loader error quotes a value that may be a secret: each names the
// field and what is wrong with the value.
func TestLoaderErrorsQuoteNoSecret(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	for name, v := range secretLookalikes(t, srv) {
		type load struct {
			field string // what the error must name
			run   func() error
		}
		newWith := func(edit func(cfg *wechatpay.Config)) func() error {
			return func() error {
				cfg := srv.Config()
				edit(&cfg)
				_, err := wechatpay.New(cfg)
				return err
			}
		}
		notifierWith := func(edit func(cfg *wechatpay.Config)) func() error {
			return func() error {
				cfg := srv.Config()
				edit(&cfg)
				_, err := wechatpay.NewNotifier(cfg)
				return err
			}
		}
		cert := srv.Merchant.CertPEM()
		key := srv.Merchant.KeyPEM()
		loads := map[string]load{
			"Config.PrivateKey string": {"Config.PrivateKey", newWith(func(c *wechatpay.Config) { c.PrivateKey = v })},
			"Config.PrivateKey []byte": {"Config.PrivateKey", newWith(func(c *wechatpay.Config) { c.PrivateKey = []byte(v) })},
			"Config.PrivateKey Secret": {"Config.PrivateKey", newWith(func(c *wechatpay.Config) { c.PrivateKey = crypto.NewSecret(v) })},
			"Config.Certs string":      {"Config.Certs", newWith(func(c *wechatpay.Config) { c.Certs = map[string]any{"PUB_KEY_ID_0114": v} })},
			"Config.Certs []byte":      {"Config.Certs", newWith(func(c *wechatpay.Config) { c.Certs = map[string]any{"PUB_KEY_ID_0114": []byte(v)} })},
			"Merchant.Cert string":     {"Config.Merchant", newWith(func(c *wechatpay.Config) { c.Merchant = &wechatpay.MerchantCert{Cert: v, Key: key} })},
			"Merchant.Cert []byte":     {"Config.Merchant", newWith(func(c *wechatpay.Config) { c.Merchant = &wechatpay.MerchantCert{Cert: []byte(v), Key: key} })},
			"Merchant.Key string":      {"Config.Merchant", newWith(func(c *wechatpay.Config) { c.Merchant = &wechatpay.MerchantCert{Cert: cert, Key: v} })},
			"Merchant.PKCS12 string":   {"Config.Merchant", newWith(func(c *wechatpay.Config) { c.Merchant = &wechatpay.MerchantCert{PKCS12: v} })},
			"Merchant.PKCS12 []byte":   {"Config.Merchant", newWith(func(c *wechatpay.Config) { c.Merchant = &wechatpay.MerchantCert{PKCS12: []byte(v)} })},
			"NewNotifier Certs":        {"Config.Certs", notifierWith(func(c *wechatpay.Config) { c.Certs = map[string]any{"PUB_KEY_ID_0114": v} })},
			"NewNotifier PrivateKey":   {"Config.PrivateKey", notifierWith(func(c *wechatpay.Config) { c.PrivateKey = v })},
			"crypto.LoadPrivateKey":    {"", func() error { _, err := crypto.LoadPrivateKey(v); return err }},
			"crypto.LoadPublicKey":     {"", func() error { _, err := crypto.LoadPublicKey(v); return err }},
			"crypto.LoadCertificate":   {"", func() error { _, err := crypto.LoadCertificate(v); return err }},
		}
		for what, l := range loads {
			err := l.run()
			assertNotQuoted(t, name+" as "+what, err, v)
			if err != nil && l.field != "" && !strings.Contains(err.Error(), l.field) {
				t.Errorf("%s as %s: the error does not name %s: %v", name, what, l.field, err)
			}
			if err != nil && !errors.Is(err, wechatpay.ErrConfig) && l.field != "" {
				t.Errorf("%s as %s: not a ConfigError: %v", name, what, err)
			}
		}
	}
}
