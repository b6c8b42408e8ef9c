//go:build pkcs11 && cgo

package pkcs11_test

import (
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	p11 "github.com/miekg/pkcs11"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/pkcs11"
	"github.com/wechatpay-go/wechatpay/internal/softhsmtest"
	"github.com/wechatpay-go/wechatpay/middleware"
)

var (
	_ middleware.ContextSigner = (*pkcs11.Signer)(nil)
	_ stdcrypto.Decrypter      = (*pkcs11.Signer)(nil)
)

// open opens the key labelled object in tok, closed when the test ends.
func open(t testing.TB, tok *softhsmtest.Token, object string, extra ...string) *pkcs11.Signer {
	t.Helper()
	s, err := pkcs11.Open(tok.URI(object, extra...))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// The key is made inside the token and never leaves it; what the Signer
// signs verifies with its public key, and it decrypts what WeChat Pay
// encrypts for the merchant.
func TestSignAndDecrypt(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pub := tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	s := open(t, tok, "apiclient")
	if !pub.Equal(s.Public()) {
		t.Fatal("Public() is not the key generated in the token")
	}

	msg := []byte("POST\n/v3/pay/transactions/jsapi\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{}\n")
	sig, err := crypto.Sign(s, msg)
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.Verify(pub, msg, sig); err != nil {
		t.Fatal(err)
	}

	// RSA-PSS, as TLS 1.3 client authentication asks.
	digest := sha256.Sum256(msg)
	pss := &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: stdcrypto.SHA256}
	psig, err := s.Sign(rand.Reader, digest[:], pss)
	if err != nil {
		t.Fatal(err)
	}
	if err := rsa.VerifyPSS(pub, stdcrypto.SHA256, digest[:], psig, pss); err != nil {
		t.Fatal(err)
	}

	// Sensitive fields: RSA-OAEP (SHA-1) to the merchant's key.
	ct, err := crypto.EncryptOAEP(pub, []byte("张三 13800138000"))
	if err != nil {
		t.Fatal(err)
	}
	pt, err := crypto.DecryptOAEP(s, ct)
	if err != nil || string(pt) != "张三 13800138000" {
		t.Fatalf("DecryptOAEP = %q, %v", pt, err)
	}
	if _, err := s.Decrypt(nil, []byte("x"), nil); !errors.Is(err, pkcs11.ErrToken) || !strings.Contains(err.Error(), "only RSA-OAEP") {
		t.Fatalf("PKCS#1 v1.5 decryption: %v", err)
	}
	if _, err := s.Decrypt(nil, []byte("x"), &rsa.OAEPOptions{Hash: stdcrypto.SHA256, MGFHash: stdcrypto.SHA1}); !errors.Is(err, pkcs11.ErrToken) {
		t.Fatalf("OAEP with mixed hashes: %v", err)
	}
	if _, err := s.Sign(nil, digest[:20], stdcrypto.SHA256); !errors.Is(err, pkcs11.ErrToken) || !strings.Contains(err.Error(), "the digest is 20 bytes") {
		t.Fatalf("short digest: %v", err)
	}
	if _, err := s.Sign(nil, digest[:], stdcrypto.Hash(0)); !errors.Is(err, pkcs11.ErrToken) {
		t.Fatalf("no hash: %v", err)
	}
}

// Many goroutines sign at once through a few sessions; every signature
// verifies.
func TestConcurrentSigning(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pub := tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	s := open(t, tok, "apiclient", "x-max-sessions=4")
	var wg sync.WaitGroup
	errs := make(chan error, 32*10)
	for g := range 32 {
		wg.Go(func() {
			for i := range 10 {
				msg := fmt.Appendf(nil, "goroutine %d message %d", g, i)
				sig, err := crypto.Sign(s, msg)
				if err == nil {
					err = crypto.Verify(pub, msg, sig)
				}
				if err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// Close while goroutines sign: each call either gives a signature that
// verifies or fails with ErrClosed; Close waits for those under way, and
// releases the module once the last Signer is closed.
func TestCloseWhileSigning(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pub := tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	s, err := pkcs11.Open(tok.URI("apiclient", "x-max-sessions=3"))
	if err != nil {
		t.Fatal(err)
	}
	if !softhsmtest.ModuleInUse(t) {
		t.Fatal("the module is not initialised while a Signer is open")
	}
	var wg sync.WaitGroup
	var signed sync.WaitGroup
	signed.Add(8)
	for g := range 8 {
		wg.Go(func() {
			first := true
			for i := 0; ; i++ {
				msg := fmt.Appendf(nil, "%d/%d", g, i)
				sig, err := crypto.Sign(s, msg)
				if err != nil {
					if !errors.Is(err, pkcs11.ErrClosed) {
						t.Errorf("signing while closing: %v", err)
					}
					if first {
						signed.Done()
					}
					return
				}
				if err := crypto.Verify(pub, msg, sig); err != nil {
					t.Error(err)
				}
				if first {
					first = false
					signed.Done()
				}
			}
		})
	}
	signed.Wait()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := crypto.Sign(s, []byte("late")); !errors.Is(err, pkcs11.ErrClosed) {
		t.Fatalf("Sign after Close: %v", err)
	}
	if _, err := s.Decrypt(nil, []byte("x"), &rsa.OAEPOptions{Hash: stdcrypto.SHA1}); !errors.Is(err, pkcs11.ErrClosed) {
		t.Fatalf("Decrypt after Close: %v", err)
	}
	if softhsmtest.ModuleInUse(t) {
		t.Fatal("the module is still initialised after the last Signer closed")
	}
}

// Each way of getting the URI wrong fails with its own error, which never
// shows the PIN.
func TestOpenErrors(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	tok.GenerateRSA(t, "twin", []byte{5}, 2048)
	tok.GenerateRSA(t, "twin", []byte{6}, 2048)
	tok.GenerateRSA(t, "lonely", []byte{7}, 2048)
	tok.DeletePublic(t, "lonely")
	tok.GenerateEC(t, "ec", []byte{8})

	// First, with no session open on the token (a logged-in one would let
	// any PIN through: PKCS#11 logs in the whole process).
	wrongPIN := strings.Replace(tok.URI("apiclient"), "pin-value="+tok.PIN, "pin-value=Wrong-PIN-0042", 1)
	_, err := pkcs11.Open(wrongPIN)
	var rv p11.Error
	if !errors.Is(err, pkcs11.ErrLogin) || !errors.As(err, &rv) || rv != p11.CKR_PIN_INCORRECT {
		t.Fatalf("wrong PIN: %v", err)
	}
	if strings.Contains(err.Error(), "Wrong-PIN") || !strings.Contains(err.Error(), "CKR_PIN_INCORRECT") {
		t.Fatalf("wrong PIN: %q", err)
	}

	for _, tc := range []struct {
		name string
		uri  string
		want error
		text string
	}{
		{"missing slot", strings.Replace(tok.URI("apiclient"), "token="+tok.Label, "slot-id=4242", 1), pkcs11.ErrTokenNotFound, "has no token with slot 4242"},
		{"missing token", strings.Replace(tok.URI("apiclient"), "token="+tok.Label, "token=no-such-token", 1),
			pkcs11.ErrTokenNotFound, `has no token with label "no-such-token"`},
		{"missing object", tok.URI("no-such-key"), pkcs11.ErrKeyNotFound, `token "` + tok.Label + `" holds no private key with label "no-such-key"`},
		{"private key alone", tok.URI("lonely"), pkcs11.ErrKeyNotFound, "and its public key (or certificate) beside it"},
		{"EC key", tok.URI("ec"), pkcs11.ErrNotRSA, `is an EC key, but WeChat Pay signs with RSA`},
		{"two keys", tok.URI("twin"), pkcs11.ErrURI, `2 private keys in token "` + tok.Label + `" have label "twin": add id=`},
		{"missing module", strings.Replace(tok.URI("apiclient"), "module-path=", "module-path=/nonexistent", 1), pkcs11.ErrModule, "no such file"},
		{"not a module", strings.Replace(tok.URI("apiclient"), "module-path="+tok.Module, "module-path=/etc/hostname", 1), pkcs11.ErrModule, `module "/etc/hostname"`},
	} {
		s, err := pkcs11.Open(tc.uri)
		if s != nil || !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: %v; want %v with %q", tc.name, err, tc.want, tc.text)
		}
		if err != nil && strings.Contains(err.Error(), tok.PIN) {
			t.Errorf("%s: the error shows the PIN: %v", tc.name, err)
		}
		// Through crypto.LoadSigner (Config.PrivateKey) the cause stays.
		if _, err := crypto.LoadSigner(tc.uri); !errors.Is(err, tc.want) || !errors.Is(err, crypto.ErrInvalidKey) {
			t.Errorf("%s: LoadSigner: %v", tc.name, err)
		}
	}

	// id= picks one of the twins; id= alone names a key too; the token
	// may be named by its serial number or slot too.
	slot, serial := tok.Slot(t)
	for _, uri := range []string{
		strings.Replace(tok.URI("apiclient"), "token="+tok.Label, "serial="+serial, 1),
		strings.Replace(tok.URI("apiclient"), "token="+tok.Label, fmt.Sprintf("slot-id=%d", slot), 1),
		strings.Replace(tok.URI("twin"), ";type=private", ";id=%05;type=private", 1),
		strings.Replace(tok.URI("twin"), "object=twin", "id=%06", 1),
	} {
		s, err := pkcs11.Open(uri)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := crypto.Sign(s, []byte("m")); err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
}
