package wechatpay_test

import (
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Config.PrivateKey = "pkcs11:…" in a program without crypto/pkcs11: the
// ConfigError names the package and build tag, and never the URI's PIN.
func TestConfigKeyURIWithoutLoader(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	const uri = "pkcs11:token=wechatpay;object=apiclient?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=S3CRET-PIN-4711"
	for _, key := range []any{uri, crypto.NewSecret(uri)} {
		cfg := srv.Config()
		cfg.PrivateKey = key
		_, err := wechatpay.New(cfg)
		var ce *wechatpay.ConfigError
		var nl *crypto.NoKeyLoaderError
		if !errors.As(err, &ce) || ce.Field != "PrivateKey" || !errors.As(err, &nl) || nl.BuildTag != "pkcs11" {
			t.Fatalf("%T: %v", key, err)
		}
		if !strings.Contains(err.Error(), "github.com/wechatpay-go/wechatpay/crypto/pkcs11") || strings.Contains(err.Error(), "S3CRET") {
			t.Fatalf("%T: %v", key, err)
		}
	}
}

// hsmKey is a signer with resources, as one opened from a key URI is; it
// counts its Close calls.
type hsmKey struct {
	*rsa.PrivateKey
	closed *atomic.Int32
}

func (k hsmKey) Close() error {
	k.closed.Add(1)
	return nil
}

// testhsm: URIs open the merchant key of the sandbox registered in
// testHSM, as a token would.
var testHSM struct {
	sync.Mutex
	key    *rsa.PrivateKey
	closed atomic.Int32
}

func init() {
	crypto.RegisterKeyLoader("testhsm", func(uri string) (stdcrypto.Signer, error) {
		testHSM.Lock()
		defer testHSM.Unlock()
		return hsmKey{testHSM.key, &testHSM.closed}, nil
	})
}

// New owns what it opened from a key URI: Client.Close, or New failing,
// closes it, once. A signer the caller gave stays open.
func TestClientClosesSignersItOpened(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	testHSM.Lock()
	testHSM.key = srv.Merchant.Key
	testHSM.Unlock()
	closes := func() int32 { return testHSM.closed.Swap(0) }

	cfg := srv.Config()
	cfg.PrivateKey = crypto.NewSecret("testhsm:object=apiclient")
	cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: "testhsm:object=apiclient"}
	client, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Chain("v3/certificates").Do(context.Background(), "GET"); err != nil {
		t.Fatal(err)
	}
	if n := closes(); n != 0 {
		t.Fatalf("closed %d times while in use", n)
	}
	client.Close()
	client.Close()
	if n := closes(); n != 2 { // PrivateKey and Merchant.Key, each once
		t.Fatalf("Close closed %d signers, want 2", n)
	}

	cfg.Certs, cfg.APIv3Key = nil, crypto.Secret{} // New fails
	if _, err := wechatpay.New(cfg); err == nil {
		t.Fatal("New accepted a Config without Certs nor APIv3Key")
	}
	if n := closes(); n != 2 {
		t.Fatalf("a failed New closed %d signers, want 2", n)
	}

	cfg = srv.Config()
	cfg.PrivateKey = hsmKey{srv.Merchant.Key, &testHSM.closed}
	client, err = wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	client.Close()
	if n := closes(); n != 0 {
		t.Fatalf("Close closed the caller's signer (%d)", n)
	}
}
