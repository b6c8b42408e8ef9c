//go:build !pkcs11 || !cgo

package pkcs11_test

import (
	stdcrypto "crypto"
	"errors"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/pkcs11"
)

// Without the tag (or cgo) the package still registers "pkcs11:", and both
// Open and crypto.LoadSigner say how to build, never quoting the URI.
func TestUnavailable(t *testing.T) {
	const uri = "pkcs11:token=wechatpay;object=apiclient?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=S3CRET"
	if pkcs11.Available {
		t.Fatal("Available in a build without the binding")
	}
	if s, err := pkcs11.Open(uri); s != nil || !errors.Is(err, pkcs11.ErrUnavailable) {
		t.Fatalf("Open = %v, %v; want ErrUnavailable", s, err)
	}
	s, err := crypto.LoadSigner(uri)
	if s != nil || !errors.Is(err, pkcs11.ErrUnavailable) || !errors.Is(err, crypto.ErrInvalidKey) || errors.Is(err, crypto.ErrNoKeyLoader) {
		t.Fatalf("LoadSigner = %v, %v; want ErrUnavailable", s, err)
	}
	if !strings.Contains(err.Error(), "built without the pkcs11 tag (go build -tags pkcs11, with cgo enabled)") || strings.Contains(err.Error(), "S3CRET") {
		t.Fatalf("%q", err)
	}
	var zero pkcs11.Signer
	if _, err := zero.Sign(nil, make([]byte, 32), stdcrypto.SHA256); !errors.Is(err, pkcs11.ErrClosed) {
		t.Fatalf("a zero Signer: %v", err)
	}
	if err := zero.Close(); err != nil {
		t.Fatal(err)
	}
}
