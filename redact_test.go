package wechatpay_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/openssl"
	"github.com/wechatpay-go/wechatpay/internal/configfile"
	"github.com/wechatpay-go/wechatpay/remotesign"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Every exported type that holds a secret prints, encodes and logs without
// it, whatever the fmt verb, directly or nested.
func TestSecretHoldersRedact(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	key := srv.Merchant.Key
	keyPEM := string(srv.Merchant.KeyPEM())
	const (
		token         = "Bearer sk-signing-9f8e7d6c5b4a39281706"
		proxyPassword = "pr0xy-Pa55w0rd-77"
		p12Password   = "p12-Pa55w0rd-4242"
		urlPassword   = "url-Pa55w0rd-3131"
	)
	p12, err := pkcs12.Modern.Encode(key, srv.Merchant.Cert, nil, p12Password)
	if err != nil {
		t.Fatal(err)
	}
	// What must never show: the key as PEM lines and their hex, its
	// numbers in decimal and hex, the APIv2 and APIv3 keys as text and hex,
	// the PKCS#12 bytes, the passwords and the token.
	var secrets []string
	for _, line := range strings.Split(strings.TrimSpace(keyPEM), "\n")[1:5] {
		secrets = append(secrets, line[8:40], hex.EncodeToString([]byte(line[8:24])))
	}
	for _, n := range append([]string{key.D.String(), key.D.Text(16)}, key.Primes[0].String(), key.Primes[1].Text(16)) {
		secrets = append(secrets, n[10:40])
	}
	for _, s := range []string{srv.Secret, srv.APIv3Key} {
		secrets = append(secrets, s[4:20], hex.EncodeToString([]byte(s[4:16])), strings.Trim(fmt.Sprint([]byte(s[4:10])), "[]"))
	}
	secrets = append(secrets, hex.EncodeToString(p12[100:116]), strings.Trim(fmt.Sprint(p12[100:108]), "[]"),
		token[7:], proxyPassword, p12Password, urlPassword)

	cfg := srv.Config()
	cfg.PrivateKey = keyPEM
	cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: key}
	cfg.Proxy = "http://merchant:" + proxyPassword + "@127.0.0.1:3128"
	cfg.DialContext = (&net.Dialer{}).DialContext
	cfgKey := srv.Config() // the key as *rsa.PrivateKey, the merchant certificate as PKCS#12
	cfgKey.PrivateKey = key
	cfgKey.Merchant = &wechatpay.MerchantCert{PKCS12: p12, Password: crypto.NewSecret(p12Password)}
	cfgBytes := srv.Config()
	cfgBytes.PrivateKey = []byte(keyPEM)

	client, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	notifier, err := wechatpay.NewNotifier(cfgKey)
	if err != nil {
		t.Fatal(err)
	}
	refresher, err := client.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer refresher.Stop()
	signer := remotesign.Signer{
		URL: "https://signer:" + urlPassword + "@signer.internal/v1/sign", MchID: srv.MchID, Serial: srv.Merchant.Serial,
		PublicKey: &key.PublicKey, Header: http.Header{"Authorization": {token}},
		Client: &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
			Certificates: []tls.Certificate{{Certificate: [][]byte{srv.Merchant.Cert.Raw}, PrivateKey: key}}}}},
	}
	file := configfile.File{MchID: srv.MchID, Serial: srv.Merchant.Serial, PrivateKey: keyPEM, Secret: srv.Secret, APIv3Key: srv.APIv3Key,
		Certs:    map[string]string{srv.PublicKeyID: string(srv.PublicKey.PublicKeyPEM())},
		Merchant: &configfile.Merchant{Cert: string(srv.Merchant.CertPEM()), Key: keyPEM}}

	holders := map[string]any{
		"Config":                     cfg,
		"*Config":                    &cfg,
		"Config with key and PKCS12": cfgKey,
		"Config with []byte key":     cfgBytes,
		"MerchantCert":               *cfg.Merchant,
		"*MerchantCert":              cfgKey.Merchant,
		"MerchantCert with PEM key":  wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: keyPEM},
		"*Client":                    client,
		"*Notifier":                  notifier,
		"Notifier":                   *notifier,
		"*Client.Notifier":           client.Notifier(),
		"*CertificateRefresher":      refresher,
		"crypto.Secret":              cfg.APIv3Key,
		"remotesign.Signer":          signer,
		"*remotesign.Signer":         &signer,
		"wechatpaytest.Identity":     *srv.Merchant,
		"*wechatpaytest.Identity":    srv.Merchant,
		"*wechatpaytest.Server":      srv,
		"configfile.File":            file,
		"*configfile.File":           &file,
		"configfile.Merchant":        *file.Merchant,
	}
	if k, err := openssl.NewPrivateKey(key); err == nil {
		defer k.Close()
		holders["*openssl.PrivateKey"] = k
		holders["Config with an OpenSSL key"] = wechatpay.Config{MchID: srv.MchID, PrivateKey: k}
	}

	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%o", "%b", "%e", "%g", "%t", "%c", "%U", "%10.3v", "% x", "%#x"}
	for name, h := range holders {
		var out bytes.Buffer
		for _, verb := range verbs {
			fmt.Fprintf(&out, verb+"\n", h)
			fmt.Fprintf(&out, verb+"\n", struct{ H any }{h})
			fmt.Fprintf(&out, verb+"\n", []any{h})
			fmt.Fprintf(&out, verb+"\n", map[string]any{"h": h})
		}
		fmt.Fprint(&out, h, "\n")
		fmt.Fprintln(&out, h)
		log.New(&out, "", 0).Print(h)
		for _, v := range []any{h, struct{ H any }{h}, []any{h}} {
			b, err := json.Marshal(v)
			if err != nil {
				t.Errorf("%s: json.Marshal: %v", name, err)
			}
			out.Write(b)
		}
		slog.New(slog.NewJSONHandler(&out, nil)).Info("m", "h", h, slog.Group("g", "h", h))
		slog.New(slog.NewTextHandler(&out, nil)).Info("m", "h", h, slog.Group("g", "h", h))
		s := out.String()
		for _, secret := range secrets {
			if strings.Contains(s, secret) {
				i := strings.Index(s, secret)
				t.Errorf("%s shows a secret (%q) in: …%s…", name, secret, s[max(0, i-80):min(len(s), i+len(secret)+20)])
				break
			}
		}
	}
	// The redacted forms still say what matters.
	for _, s := range []string{fmt.Sprint(cfg), fmt.Sprint(signer), fmt.Sprint(client)} {
		if !strings.Contains(s, srv.MchID) {
			t.Errorf("%s does not name the merchant", s)
		}
	}
	if b, _ := json.Marshal(signer); !strings.Contains(string(b), `"Authorization":"[REDACTED]"`) {
		t.Errorf("the Signer's JSON does not name its headers: %s", b)
	}
}
