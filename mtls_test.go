package wechatpay_test

import (
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// A server refusing the merchant certificate of a security call, under TLS
// 1.2 (during the handshake) or TLS 1.3 (after the client's handshake, as
// the request is sent), never processed the request: the call fails with
// Sent false and ErrMerchantCertRejected, naming the certificate.
func TestMerchantCertRejected(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	const route = "v2/secapi/pay/refund"
	srv.HandleFunc("POST", route, func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(map[string]string{"refund_id": "1"})
	})
	// An expired merchant certificate, of the merchant's key, that the
	// server's CA list holds.
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(0x5EC0DE),
		Subject:      pkix.Name{CommonName: "merchant", Organization: []string{"wechatpaytest"}},
		NotBefore:    time.Now().AddDate(-5, 0, 0),
		NotAfter:     time.Now().AddDate(0, 0, -3),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &srv.Merchant.Key.PublicKey, srv.Merchant.Key)
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := x509.ParseCertificate(der)

	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range []struct {
			name     string
			merchant *x509.Certificate // what the client presents
			trusted  *x509.Certificate // the CA the server accepts
			want     string
			big      bool // a request large enough that writing it fails
		}{
			{"from another CA", srv.Merchant.Cert, srv.Platform.Cert, "unknown certificate authority", false},
			{"expired", expired, expired, "expired on", false},
			{"expired, large request", expired, expired, "expired on", true},
			{"accepted", srv.Merchant.Cert, srv.Merchant.Cert, "", false},
		} {
			t.Run(tls.VersionName(version)+" "+tc.name, func(t *testing.T) {
				ts := httptest.NewUnstartedServer(srv)
				ts.Config.ErrorLog = log.New(io.Discard, "", 0)
				pool := x509.NewCertPool()
				pool.AddCert(tc.trusted)
				ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: version, MaxVersion: version}
				ts.StartTLS()
				defer ts.Close()
				roots := x509.NewCertPool()
				roots.AddCert(ts.Certificate())
				cfg := srv.Config()
				cfg.BaseURL = ts.URL + "/"
				cfg.TLSConfig = &tls.Config{RootCAs: roots}
				cfg.Merchant = &wechatpay.MerchantCert{Cert: tc.merchant, Key: srv.Merchant.Key}
				c, err := wechatpay.New(cfg)
				if err != nil {
					t.Fatal(err)
				}
				defer c.Close()
				before := srv.Count(route)
				fields := wechatpay.M{"mch_id": srv.MchID, "out_refund_no": "1"}
				if tc.big {
					fields["detail"] = strings.Repeat("x", 8<<20)
				}
				res, err := c.Chain(route).Post(wechatpay.M{"security": true, "xml": fields})
				if tc.want == "" {
					if err != nil || res.Get("refund_id").String() != "1" {
						t.Fatal(res, err)
					}
					return
				}
				var te *wechatpay.TransportError
				if !errors.As(err, &te) || te.Sent || te.Op != "dial" || !errors.Is(err, wechatpay.ErrMerchantCertRejected) {
					t.Fatalf("%v; want a dial *TransportError, not sent, matching ErrMerchantCertRejected", err)
				}
				for _, s := range []string{"Config.Merchant", "apiclient_cert", tc.want, strings.ToUpper(tc.merchant.SerialNumber.Text(16))} {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("the error does not say %q: %v", s, err)
					}
				}
				if n := srv.Count(route) - before; n != 0 {
					t.Fatalf("the server processed %d requests", n)
				}
				if testing.Verbose() {
					t.Log(err)
				}
			})
		}
	}
}
