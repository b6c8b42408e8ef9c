//go:build !openssl || !cgo

package openssl_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/crypto/openssl"
	"github.com/wechatpay-go/wechatpay/middleware"
)

func TestUnavailable(t *testing.T) {
	key := testKey(t, 2048)
	if k, err := openssl.NewPrivateKey(key); k != nil || !errors.Is(err, openssl.ErrUnavailable) {
		t.Fatalf("NewPrivateKey = %v, %v; want ErrUnavailable", k, err)
	}
	if k, err := openssl.NewPublicKey(&key.PublicKey); k != nil || !errors.Is(err, openssl.ErrUnavailable) {
		t.Fatalf("NewPublicKey = %v, %v; want ErrUnavailable", k, err)
	}
	if !strings.Contains(openssl.ErrUnavailable.Error(), "built without the openssl tag") {
		t.Fatalf("ErrUnavailable = %q does not say how to get the binding", openssl.ErrUnavailable)
	}
	if v := openssl.Version(); v != "" {
		t.Fatalf("Version() = %q, want empty", v)
	}
}

func TestKeyStoreUnavailable(t *testing.T) {
	if s, err := openssl.NewKeyStore(middleware.NewKeys(nil)); s != nil || !errors.Is(err, openssl.ErrUnavailable) {
		t.Fatalf("NewKeyStore = %v, %v; want ErrUnavailable", s, err)
	}
}
