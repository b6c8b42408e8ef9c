//go:build openssl && cgo

package openssl_test

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto/openssl"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

var _ middleware.MessageVerifier = (*openssl.KeyStore)(nil)

// newOpenSSLClient returns a client of srv that signs and verifies with
// OpenSSL.
func newOpenSSLClient(t *testing.T, srv *wechatpaytest.Server) *wechatpay.Client {
	t.Helper()
	cfg := srv.Config()
	cfg.PrivateKey = newKey(t, srv.Merchant.Key)
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	keys, err := openssl.NewKeyStore(c.Keys())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Stack(wechatpay.APIv3).Replace("verifier", middleware.Verifier(keys)); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestClientWithOpenSSL(t *testing.T) {
	for _, mode := range []wechatpaytest.Mode{wechatpaytest.CertificateMode, wechatpaytest.PublicKeyMode} {
		srv := wechatpaytest.NewServer(wechatpaytest.WithMode(mode))
		defer srv.Close()
		srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			return wechatpaytest.JSON(200, map[string]any{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
		})
		srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			a := wechatpaytest.JSON(200, map[string]any{"trade_state": "SUCCESS"})
			a.Header = http.Header{"Wechatpay-Signature": {"dGFtcGVyZWQ="}} // not WeChat Pay's
			return a
		})
		c := newOpenSSLClient(t, srv)
		res, err := c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{"appid": "wxd678efh567hg6787"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Get("code_url").String() == "" {
			t.Fatalf("%s", res.Body)
		}
		_, err = c.Chain("v3/pay/transactions/id/{transaction_id}").GetContext(context.Background(), wechatpay.M{"transaction_id": "4200000000"})
		var ve *wechatpay.VerifyError
		if !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrBadSignature) || !errors.Is(err, rsa.ErrVerification) {
			t.Fatalf("a forged answer: err = %v", err)
		}
	}
}

func TestKeyStoreFollowsRotation(t *testing.T) {
	a, b := testKey(t, 2048), testKey(t, 3072)
	keys := middleware.NewKeys(map[string]*rsa.PublicKey{"PUB_KEY_ID_1": &a.PublicKey})
	s, err := openssl.NewKeyStore(keys)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{}\n")
	sigA, _ := newKey(t, a).SignMessage(context.Background(), msg)
	sigB, _ := newKey(t, b).SignMessage(context.Background(), msg)
	b64 := base64.StdEncoding.EncodeToString
	if err := s.VerifyMessage("PUB_KEY_ID_1", msg, b64(sigA)); err != nil {
		t.Fatal(err)
	}
	keys.Set("PUB_KEY_ID_1", &b.PublicKey)
	if err := s.VerifyMessage("PUB_KEY_ID_1", msg, b64(sigA)); !errors.Is(err, rsa.ErrVerification) {
		t.Fatalf("the replaced key still verifies: %v", err)
	}
	if err := s.VerifyMessage("PUB_KEY_ID_1", msg, b64(sigB)); err != nil {
		t.Fatalf("the new key: %v", err)
	}
	keys.Delete("PUB_KEY_ID_1")
	if err := s.VerifyMessage("PUB_KEY_ID_1", msg, b64(sigB)); err == nil {
		t.Fatal("a deleted key still verifies")
	}
	if err := s.VerifyMessage("PUB_KEY_ID_2", msg, "!!"); err == nil {
		t.Fatal("an unknown serial verifies")
	}
	keys.Set("PUB_KEY_ID_2", &a.PublicKey)
	if err := s.VerifyMessage("PUB_KEY_ID_2", msg, "!!"); !errors.Is(err, rsa.ErrVerification) {
		t.Fatalf("bad base64: %v", err)
	}
	if got := s.Serials(); len(got) != 1 || got[0] != "PUB_KEY_ID_2" {
		t.Fatalf("Serials() = %v", got)
	}
}
