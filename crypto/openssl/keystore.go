package openssl

import (
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"

	"github.com/wechatpay-go/wechatpay/middleware"
)

// KeyStore verifies WeChat Pay's signatures with OpenSSL, with the keys of
// another KeyStore, such as a client's Keys (platform certificates,
// 平台证书, or the WeChat Pay public key, 微信支付公钥). It follows that
// store's updates: a key added or replaced there is copied into OpenSSL when
// it is first used. It implements middleware.MessageVerifier, so the
// "verifier" step and middleware.VerifySignature check signatures with
// OpenSSL:
//
//	keys, err := openssl.NewKeyStore(client.Keys())
//	…
//	client.Stack(wechatpay.APIv3).Replace("verifier", middleware.Verifier(keys))
//
// It is safe for concurrent use. Keys copied into OpenSSL are freed by the
// garbage collector once unused.
type KeyStore struct {
	keys  middleware.KeyStore
	cache sync.Map // serial → *cached
}

// cached is the OpenSSL copy of the key a serial had.
type cached struct {
	pub *rsa.PublicKey
	key *PublicKey
}

// NewKeyStore returns a KeyStore that verifies with the keys of keys. It
// fails with ErrUnavailable in a build without the binding.
func NewKeyStore(keys middleware.KeyStore) (*KeyStore, error) {
	if keys == nil {
		return nil, errors.New("openssl: nil KeyStore")
	}
	if !available {
		return nil, ErrUnavailable
	}
	return &KeyStore{keys: keys}, nil
}

// PublicKey returns the key of serial in the underlying store.
func (s *KeyStore) PublicKey(serial string) (*rsa.PublicKey, bool) { return s.keys.PublicKey(serial) }

// Serials returns the serials of the underlying store when it lists them
// (as middleware.Keys does), for error messages.
func (s *KeyStore) Serials() []string {
	if k, ok := s.keys.(interface{ Serials() []string }); ok {
		return k.Serials()
	}
	return nil
}

// VerifyMessage checks signature, base64 as in the Wechatpay-Signature
// header, as an RSA PKCS#1 v1.5 SHA-256 signature of message by the key of
// serial. An invalid signature gives rsa.ErrVerification.
func (s *KeyStore) VerifyMessage(serial string, message []byte, signature string) error {
	key, err := s.key(serial)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return fmt.Errorf("%w: the signature is not base64", rsa.ErrVerification)
	}
	return key.VerifyMessage(message, sig)
}

// key returns the OpenSSL copy of serial's current key, making it when the
// key is new or was replaced.
func (s *KeyStore) key(serial string) (*PublicKey, error) {
	pub, ok := s.keys.PublicKey(serial)
	if !ok {
		return nil, fmt.Errorf("openssl: no key for serial %q", serial)
	}
	if c, ok := s.cache.Load(serial); ok && c.(*cached).pub == pub {
		return c.(*cached).key, nil
	}
	key, err := NewPublicKey(pub)
	if err != nil {
		return nil, err
	}
	// A replaced copy is not closed: a verification may still be using
	// it. The garbage collector frees it.
	s.cache.Store(serial, &cached{pub: pub, key: key})
	return key, nil
}
