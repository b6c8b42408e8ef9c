package wechatpay_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// mutualTLSServer serves srv over TLS and requires the merchant certificate
// as the client certificate, as WeChat Pay's secapi endpoints do: any other
// certificate, or none, fails the handshake. It returns the base URL and the
// TLS config that trusts the server.
func mutualTLSServer(t *testing.T, srv *wechatpaytest.Server) (string, *tls.Config) {
	t.Helper()
	return mutualTLSHandler(t, srv, srv.Merchant.Cert)
}

// mutualTLSHandler is mutualTLSServer for any handler and merchant
// certificate.
func mutualTLSHandler(t *testing.T, h http.Handler, merchant *x509.Certificate) (string, *tls.Config) {
	t.Helper()
	ts := httptest.NewUnstartedServer(h)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.TLS = &tls.Config{
		// No CA list is sent, so that a client offers whatever certificate
		// it has, and the server refuses a wrong one.
		ClientAuth: tls.RequireAnyClientCert,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if !bytes.Equal(raw[0], merchant.Raw) {
				return errors.New("not the merchant certificate")
			}
			return nil
		},
	}
	ts.StartTLS()
	t.Cleanup(ts.Close)
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	return ts.URL + "/", &tls.Config{RootCAs: roots}
}

// The merchant certificate and key from apiclient_cert.p12, made here in
// the legacy encryption WeChat Pay's files use, locked with the merchant ID.
func TestPKCS12MutualTLS(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("POST", "v2/secapi/pay/refund", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || !r.TLS.PeerCertificates[0].Equal(srv.Merchant.Cert) {
			return wechatpaytest.FailV2("证书错误")
		}
		return wechatpaytest.Fields(map[string]string{"refund_id": "50000000382019052709732678859"})
	})
	base, trust := mutualTLSServer(t, srv)

	p12, err := pkcs12.LegacyRC2.Encode(srv.Merchant.Key, srv.Merchant.Cert, nil, srv.MchID)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "apiclient_cert.p12")
	if err := os.WriteFile(path, p12, 0o600); err != nil {
		t.Fatal(err)
	}
	refund := wechatpay.M{"security": true, "xml": wechatpay.M{"mch_id": srv.MchID, "out_refund_no": "1"}}
	call := func(m *wechatpay.MerchantCert) error {
		t.Helper()
		cfg := srv.Config()
		cfg.BaseURL, cfg.TLSConfig, cfg.Merchant = base, trust, m
		c, err := wechatpay.New(cfg)
		if err != nil {
			return err
		}
		defer c.Close()
		res, err := c.Chain("v2/secapi/pay/refund").Post(refund)
		if err == nil && res.Get("refund_id").String() != "50000000382019052709732678859" {
			t.Fatalf("answer %s", res.Body)
		}
		return err
	}

	// A path (the password defaults to the merchant ID), a file:// path,
	// the bytes, and their base64 with the password given.
	for name, m := range map[string]*wechatpay.MerchantCert{
		"path":                    {PKCS12: path},
		"file URL":                {PKCS12: "file://" + path},
		"bytes":                   {PKCS12: p12},
		"base64+pass":             {PKCS12: []byte(base64.StdEncoding.EncodeToString(p12)), Password: crypto.NewSecret(srv.MchID)},
		"base64 string, in lines": {PKCS12: wrapLines(base64.StdEncoding.EncodeToString(p12))},
	} {
		if err := call(m); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}

	// A certificate the server does not trust is refused in the handshake,
	// and so is a call without one: the handler never runs.
	n := len(srv.Received())
	other, _ := wechatpaytest.NewIdentity("not the merchant")
	otherP12, _ := pkcs12.LegacyRC2.Encode(other.Key, other.Cert, nil, srv.MchID)
	err = call(&wechatpay.MerchantCert{PKCS12: otherP12})
	var te *wechatpay.TransportError
	if !errors.As(err, &te) || te.Sent || !errors.Is(err, wechatpay.ErrMerchantCertRejected) {
		t.Fatalf("a wrong client certificate: %v", err)
	}
	if err := call(nil); !errors.As(err, &te) {
		t.Fatalf("no client certificate: %v", err)
	}
	if got := len(srv.Received()); got != n {
		t.Fatalf("%d refused calls reached the handler", got-n)
	}
}

func TestPKCS12ConfigErrors(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	const password = "s3cret-p12-passw0rd"
	p12, err := pkcs12.Modern.Encode(srv.Merchant.Key, srv.Merchant.Cert, nil, password)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		m    *wechatpay.MerchantCert
		want string
	}{
		"default password": {&wechatpay.MerchantCert{PKCS12: p12}, "merchant ID"},
		"wrong password":   {&wechatpay.MerchantCert{PKCS12: p12, Password: crypto.NewSecret("not-" + password)}, "password does not open it"},
		"not a p12":        {&wechatpay.MerchantCert{PKCS12: []byte("0 not pkcs12")}, "not a PKCS#12"},
		"missing file":     {&wechatpay.MerchantCert{PKCS12: filepath.Join(t.TempDir(), "none.p12")}, "no such file"},
		"bad type":         {&wechatpay.MerchantCert{PKCS12: 12}, "unsupported type int"},
		"both forms":       {&wechatpay.MerchantCert{PKCS12: p12, Cert: srv.Merchant.CertPEM()}, "either PKCS12 or Cert and Key"},
	}
	for name, tc := range cases {
		cfg := srv.Config()
		cfg.Merchant = tc.m
		_, err := wechatpay.New(cfg)
		var ce *wechatpay.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Merchant" || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v", name, err)
		}
		if err != nil && strings.Contains(err.Error(), password) {
			t.Errorf("%s: the error shows the password: %v", name, err)
		}
	}
	// The right password opens it; printing the Config shows neither.
	cfg := srv.Config()
	cfg.Merchant = &wechatpay.MerchantCert{PKCS12: p12, Password: crypto.NewSecret(password)}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprintf("%+v", cfg), fmt.Sprintf("%#v", *cfg.Merchant)} {
		if strings.Contains(s, password) || !strings.Contains(s, "PKCS12:[REDACTED]") {
			t.Errorf("printed: %s", s)
		}
	}
}

// wrapLines breaks base64 text into lines of 76 characters, as base64(1)
// writes it.
func wrapLines(s string) string {
	var b strings.Builder
	for len(s) > 76 {
		b.WriteString(s[:76] + "\n")
		s = s[76:]
	}
	return b.String() + s
}
