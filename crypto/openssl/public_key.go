package openssl

import (
	"crypto/rsa"
	"crypto/x509"
	"errors"
	"fmt"
)

// PublicKey is an RSA public key held by OpenSSL, which verifies RSA
// PKCS#1 v1.5 signatures with SHA-256: WeChat Pay's signatures of answers
// and notifications (回调通知). It is safe for concurrent use.
//
// Like PrivateKey, it is kept in OpenSSL's memory until Close.
type PublicKey struct {
	h   *handle
	pub *rsa.PublicKey
}

// NewPublicKey copies pub into OpenSSL. It fails with ErrUnavailable in a
// build without the binding, and when pub is nil or refused by OpenSSL.
func NewPublicKey(pub *rsa.PublicKey) (*PublicKey, error) {
	if pub == nil || pub.N == nil || pub.N.Sign() <= 0 {
		return nil, errors.New("openssl: nil or empty *rsa.PublicKey")
	}
	if pub.E < 3 || pub.E%2 == 0 {
		return nil, fmt.Errorf("openssl: invalid RSA public exponent %d", pub.E)
	}
	if !available {
		return nil, ErrUnavailable
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("openssl: invalid RSA public key: %w", err)
	}
	p, err := importPublicKey(der)
	if err != nil {
		return nil, err
	}
	c := *pub
	return &PublicKey{h: newHandle(p), pub: &c}, nil
}

// Key returns the key as an *rsa.PublicKey.
func (k *PublicKey) Key() *rsa.PublicKey {
	if k == nil {
		return nil
	}
	return k.pub
}

// Verify checks sig, an RSA PKCS#1 v1.5 signature of a message whose
// SHA-256 hash is digest, as rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest,
// sig) does. An invalid signature gives rsa.ErrVerification.
func (k *PublicKey) Verify(digest, sig []byte) error { return k.verify(digest, sig, false) }

// VerifyMessage checks sig, an RSA PKCS#1 v1.5 signature with SHA-256 of
// message, hashing it in OpenSSL (EVP_DigestVerify). An invalid signature
// gives rsa.ErrVerification.
func (k *PublicKey) VerifyMessage(message, sig []byte) error { return k.verify(message, sig, true) }

func (k *PublicKey) verify(in, sig []byte, isMessage bool) error {
	if k == nil {
		return ErrClosed
	}
	p := k.h.acquire()
	if p == nil {
		return ErrClosed
	}
	defer k.h.release()
	return verifyWith(p, in, sig, isMessage)
}

// Close frees the key in OpenSSL; later verifying fails with ErrClosed. It
// waits for verifications in progress, and may be called more than once.
func (k *PublicKey) Close() error {
	if k != nil {
		k.h.close()
	}
	return nil
}
