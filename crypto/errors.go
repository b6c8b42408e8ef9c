package crypto

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package wraps at least one of
// them, so callers can branch with errors.Is however deep the wrapping goes.
// Messages say what went wrong and what to do about it; they never contain key
// bytes, PEM text, APIv2/APIv3 keys or plaintext.
var (
	// ErrInvalidKey reports key material that cannot be used: unreadable
	// source, malformed PEM/DER, a certificate or public key where a private
	// key is expected, a non-RSA key, an encrypted key, or a nil key.
	ErrInvalidKey = errors.New("crypto: invalid key")

	// ErrKeySize reports a symmetric key of the wrong length (AES-256 needs
	// exactly 32 bytes: the APIv3 key, or the MD5-hex of the APIv2 key), or
	// an RSA key too small for the plaintext to encrypt.
	ErrKeySize = errors.New("crypto: wrong key size")

	// ErrNonce reports an unusable nonce or IV: an empty AES-GCM nonce or an
	// AES-CBC IV that is not 16 bytes.
	ErrNonce = errors.New("crypto: invalid nonce")

	// ErrCiphertext reports ciphertext that is not valid base64, is too short
	// or misaligned, or fails authentication/decryption.
	ErrCiphertext = errors.New("crypto: invalid ciphertext")

	// ErrPadding reports PKCS#7 padding that does not check out after
	// decryption: usually the wrong key.
	ErrPadding = errors.New("crypto: invalid padding")

	// ErrVerification reports a signature that does not match the message and
	// public key.
	ErrVerification = errors.New("crypto: signature verification failed")

	// ErrSignType reports an APIv2 sign_type other than "MD5" or "HMAC-SHA256".
	ErrSignType = errors.New("crypto: unsupported sign type")

	// ErrCertificate reports certificate input that cannot be read or parsed.
	ErrCertificate = errors.New("crypto: invalid certificate")

	// ErrCertificateNotYetValid is wrapped by CheckValidity when the time
	// checked is before the certificate's NotBefore.
	ErrCertificateNotYetValid = errors.New("crypto: certificate not yet valid")

	// ErrCertificateExpired is wrapped by CheckValidity when the time checked
	// is after the certificate's NotAfter.
	ErrCertificateExpired = errors.New("crypto: certificate expired")
)

// wrap returns an error whose message is the sentinel's followed by detail,
// and which matches sentinel (and any extra errors) with errors.Is.
func wrap(sentinel error, detail string, extra ...error) error {
	return &detailError{sentinel: sentinel, detail: detail, extra: extra}
}

// wrapf is wrap with a format string. Arguments must never be secrets.
func wrapf(sentinel error, format string, args ...any) error {
	return wrap(sentinel, fmt.Sprintf(format, args...))
}

type detailError struct {
	sentinel error
	detail   string
	extra    []error
}

func (e *detailError) Error() string {
	return e.sentinel.Error() + ": " + e.detail
}

func (e *detailError) Unwrap() []error {
	return append([]error{e.sentinel}, e.extra...)
}
