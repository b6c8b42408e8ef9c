//go:build openssl && cgo

package openssl_test

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wechatpay-go/wechatpay/crypto/openssl"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// The interfaces the client's signer step looks for.
var (
	_ stdcrypto.Signer         = (*openssl.PrivateKey)(nil)
	_ middleware.MessageSigner = (*openssl.PrivateKey)(nil)
)

func newKey(t testing.TB, key *rsa.PrivateKey) *openssl.PrivateKey {
	t.Helper()
	k, err := openssl.NewPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// testMessages returns messages of many lengths: empty, around SHA-256's
// 64-byte block, one of 1 MiB, and random ones.
func testMessages(t testing.TB) [][]byte {
	t.Helper()
	var msgs [][]byte
	for _, n := range []int{0, 1, 55, 56, 63, 64, 65, 127, 128, 1000, 1 << 20} {
		msgs = append(msgs, randomBytes(t, n))
	}
	for range 100 {
		n, err := rand.Int(rand.Reader, big.NewInt(4096))
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, randomBytes(t, int(n.Int64())))
	}
	msgs = append(msgs, []byte("POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"appid\":\"wxd678efh567hg6787\"}\n"))
	return msgs
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignMatchesCryptoRSA(t *testing.T) {
	msgs := testMessages(t)
	for _, bits := range testKeySizes {
		t.Run("RSA-"+strconv.Itoa(bits), func(t *testing.T) {
			key := testKey(t, bits)
			k := newKey(t, key)
			for i, msg := range msgs {
				digest := sha256.Sum256(msg)
				want, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest[:])
				if err != nil {
					t.Fatal(err)
				}
				got, err := k.Sign(rand.Reader, digest[:], stdcrypto.SHA256)
				if err != nil {
					t.Fatalf("message %d (%d bytes): Sign: %v", i, len(msg), err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("message %d (%d bytes): Sign differs from crypto/rsa:\n got %x\nwant %x", i, len(msg), got, want)
				}
				got, err = k.SignMessage(context.Background(), msg)
				if err != nil {
					t.Fatalf("message %d (%d bytes): SignMessage: %v", i, len(msg), err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("message %d (%d bytes): SignMessage differs from crypto/rsa:\n got %x\nwant %x", i, len(msg), got, want)
				}
			}
		})
	}
}

func TestSignRefusesOtherSchemes(t *testing.T) {
	k := newKey(t, testKey(t, 2048))
	digest := sha256.Sum256([]byte("x"))
	for name, c := range map[string]struct {
		digest []byte
		opts   stdcrypto.SignerOpts
	}{
		"PSS":           {digest[:], &rsa.PSSOptions{Hash: stdcrypto.SHA256}},
		"SHA-1":         {digest[:20], stdcrypto.SHA1},
		"SHA-512":       {digest[:], stdcrypto.SHA512},
		"unhashed":      {digest[:], stdcrypto.Hash(0)},
		"nil opts":      {digest[:], nil},
		"short digest":  {digest[:31], stdcrypto.SHA256},
		"empty digest":  {nil, stdcrypto.SHA256},
		"long digest":   {append(digest[:], 0), stdcrypto.SHA256},
		"message given": {[]byte("not a digest"), stdcrypto.SHA256},
	} {
		if sig, err := k.Sign(nil, c.digest, c.opts); err == nil {
			t.Errorf("%s: signed (%x), want an error", name, sig)
		}
	}
}

func TestNewPrivateKeyWithoutPrecomputedValues(t *testing.T) {
	full := testKey(t, 2048)
	bare := &rsa.PrivateKey{PublicKey: full.PublicKey, D: full.D, Primes: full.Primes}
	digest := sha256.Sum256([]byte("x"))
	want, _ := rsa.SignPKCS1v15(nil, full, stdcrypto.SHA256, digest[:])
	got, err := newKey(t, bare).Sign(nil, digest[:], stdcrypto.SHA256)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("err = %v, same signature: %t", err, bytes.Equal(got, want))
	}
}

func TestNewPrivateKeyRefusesBadKeys(t *testing.T) {
	good := testKey(t, 2048)
	bad := *good
	bad.D = new(big.Int).Add(good.D, big.NewInt(2))
	for name, key := range map[string]*rsa.PrivateKey{
		"nil":          nil,
		"empty":        {},
		"no modulus":   {PublicKey: rsa.PublicKey{E: 65537}, D: big.NewInt(3)},
		"inconsistent": &bad,
	} {
		if k, err := openssl.NewPrivateKey(key); err == nil {
			k.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestClose(t *testing.T) {
	key := testKey(t, 2048)
	k, err := openssl.NewPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("x"))
	if _, err := k.Sign(nil, digest[:], stdcrypto.SHA256); err != nil {
		t.Fatal(err)
	}
	k.Close()
	k.Close()
	if _, err := k.Sign(nil, digest[:], stdcrypto.SHA256); !errors.Is(err, openssl.ErrClosed) {
		t.Fatalf("Sign after Close: %v", err)
	}
	if _, err := k.SignMessage(context.Background(), []byte("x")); !errors.Is(err, openssl.ErrClosed) {
		t.Fatalf("SignMessage after Close: %v", err)
	}
	if pub, ok := k.Public().(*rsa.PublicKey); !ok || !pub.Equal(&key.PublicKey) {
		t.Fatal("Public after Close: not the key's public key")
	}
	var nilKey *openssl.PrivateKey
	if _, err := nilKey.Sign(nil, digest[:], stdcrypto.SHA256); !errors.Is(err, openssl.ErrClosed) {
		t.Fatalf("Sign on nil: %v", err)
	}
	if nilKey.Public() != nil || nilKey.Close() != nil {
		t.Fatal("nil key: Public or Close")
	}
}

func TestString(t *testing.T) {
	key := testKey(t, 2048)
	k := newKey(t, key)
	s := k.String()
	if s != "openssl.PrivateKey(RSA-2048)" || strings.Contains(s, key.D.String()[:16]) {
		t.Fatalf("String() = %q", s)
	}
	// Every verb, JSON and slog show String.
	var out bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		fmt.Fprintf(&out, verb+"|", k)
		fmt.Fprintf(&out, verb+"|", struct{ K any }{k})
	}
	b, err := json.Marshal(struct{ K any }{k})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(b)
	slog.New(slog.NewJSONHandler(&out, nil)).Info("k", "k", k)
	slog.New(slog.NewTextHandler(&out, nil)).Info("k", "k", k)
	if got := out.String(); strings.Contains(got, key.D.String()[:16]) || strings.Contains(got, key.D.Text(16)[:16]) ||
		strings.Count(got, "openssl.PrivateKey(RSA-2048)") != 17 {
		t.Fatalf("printed %s", got)
	}
}

// TestConcurrentSignAndClose signs from many goroutines while the key is
// closed: each signature is valid or fails with ErrClosed (run with -race).
func TestConcurrentSignAndClose(t *testing.T) {
	key := testKey(t, 2048)
	k, err := openssl.NewPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256([]byte("concurrent"))
	want, _ := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest[:])
	var wg sync.WaitGroup
	errs := make(chan error, 8*20)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				sig, err := k.Sign(nil, digest[:], stdcrypto.SHA256)
				switch {
				case errors.Is(err, openssl.ErrClosed):
				case err != nil:
					errs <- err
				case !bytes.Equal(sig, want):
					errs <- errors.New("a concurrent signature differs")
				}
			}
		}()
	}
	k.Close()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestVersion(t *testing.T) {
	if v := openssl.Version(); !strings.Contains(v, "OpenSSL") {
		t.Fatalf("Version() = %q", v)
	}
}
