package openssl

import (
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
)

// ErrUnavailable is returned by the constructors of a build without the
// OpenSSL binding: one without the "openssl" build tag, or without cgo.
var ErrUnavailable = errors.New("openssl: not available: built without the openssl tag (go build -tags openssl, with cgo enabled)")

// ErrClosed is returned by the methods of a closed key.
var ErrClosed = errors.New("openssl: the key is closed")

// PrivateKey is an RSA private key held by OpenSSL. It implements
// crypto.Signer and middleware.MessageSigner for RSA PKCS#1 v1.5 signatures
// with SHA-256, the signatures of WeChat Pay APIv3; it is safe for
// concurrent use.
//
// The key is kept in OpenSSL's memory until Close, which should be called
// when no client uses the key any more; a key that is dropped without
// Close is freed by the garbage collector.
type PrivateKey struct {
	h   *handle // RLock to use, Lock to close
	pub *rsa.PublicKey
}

// NewPrivateKey copies key into OpenSSL. It fails with ErrUnavailable in a
// build without the binding, and when key is nil, invalid, or refused by
// OpenSSL.
func NewPrivateKey(key *rsa.PrivateKey) (*PrivateKey, error) {
	if key == nil {
		return nil, errors.New("openssl: nil *rsa.PrivateKey")
	}
	if !available {
		return nil, ErrUnavailable
	}
	if err := key.Validate(); err != nil {
		return nil, fmt.Errorf("openssl: invalid RSA private key: %w", err)
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	p, err := importPrivateKey(der)
	clear(der)
	if err != nil {
		return nil, err
	}
	pub := key.PublicKey
	return &PrivateKey{h: newHandle(p), pub: &pub}, nil
}

// Public returns the *rsa.PublicKey of the key.
func (k *PrivateKey) Public() stdcrypto.PublicKey {
	if k == nil {
		return nil
	}
	return k.pub
}

// Sign signs digest, a SHA-256 hash, with RSA PKCS#1 v1.5, as
// rsa.SignPKCS1v15 does. opts must hash with crypto.SHA256 and must not ask
// for PSS. rand is not used: OpenSSL draws its own randomness for blinding.
func (k *PrivateKey) Sign(_ io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	if err := checkOpts(opts); err != nil {
		return nil, err
	}
	if len(digest) != stdcrypto.SHA256.Size() {
		return nil, fmt.Errorf("openssl: the digest is %d bytes long, want %d (SHA-256)", len(digest), stdcrypto.SHA256.Size())
	}
	return k.sign(digest, false)
}

// SignMessage signs message with RSA PKCS#1 v1.5 and SHA-256, hashing it in
// OpenSSL (EVP_DigestSign). ctx is not used: signing is local and short.
func (k *PrivateKey) SignMessage(_ context.Context, message []byte) ([]byte, error) {
	return k.sign(message, true)
}

func (k *PrivateKey) sign(in []byte, isMessage bool) ([]byte, error) {
	if k == nil {
		return nil, ErrClosed
	}
	p := k.h.acquire()
	if p == nil {
		return nil, ErrClosed
	}
	defer k.h.release()
	return signWith(p, in, isMessage, (k.pub.N.BitLen()+7)/8)
}

// Close frees the key in OpenSSL; later signing fails with ErrClosed. It
// waits for signatures in progress, and may be called more than once.
func (k *PrivateKey) Close() error {
	if k != nil {
		k.h.close()
	}
	return nil
}

// String names the key without revealing it.
func (k *PrivateKey) String() string {
	if k == nil || k.pub == nil {
		return "openssl.PrivateKey(nil)"
	}
	return fmt.Sprintf("openssl.PrivateKey(RSA-%d)", k.pub.N.BitLen())
}

// GoString is String, for %#v.
func (k *PrivateKey) GoString() string { return k.String() }

// Format makes every fmt verb print String.
func (k *PrivateKey) Format(f fmt.State, verb rune) { fmt.Fprint(f, k.String()) }

// LogValue makes log/slog record String.
func (k *PrivateKey) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON encodes String as a JSON string.
func (k *PrivateKey) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

func checkOpts(opts stdcrypto.SignerOpts) error {
	if _, pss := opts.(*rsa.PSSOptions); pss {
		return errors.New("openssl: RSA-PSS is not supported, only PKCS#1 v1.5")
	}
	if opts == nil || opts.HashFunc() != stdcrypto.SHA256 {
		return errors.New("openssl: only SHA-256 digests are supported")
	}
	return nil
}
