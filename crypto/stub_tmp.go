// Temporary stand-in for the crypto package while it is written; removed at merge.
package crypto

import (
	stdcrypto "crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

var (
	ErrInvalidKey   = errors.New("crypto: invalid key")
	ErrKeySize      = errors.New("crypto: key size")
	ErrCiphertext   = errors.New("crypto: ciphertext")
	ErrPadding      = errors.New("crypto: padding")
	ErrVerification = errors.New("crypto: verification failed")
	ErrSignType     = errors.New("crypto: unknown sign type")
)

const (
	SignTypeMD5        = "MD5"
	SignTypeHMACSHA256 = "HMAC-SHA256"
)

type Secret struct{ p *[]byte }

func NewSecret(s string) Secret { b := []byte(s); return Secret{&b} }
func (s Secret) Reveal() []byte {
	if s.p == nil {
		return nil
	}
	return append([]byte(nil), *s.p...)
}
func (s Secret) Len() int {
	if s.p == nil {
		return 0
	}
	return len(*s.p)
}
func (s Secret) IsZero() bool               { return s.Len() == 0 }
func (s Secret) String() string             { return "[REDACTED]" }
func (s Secret) Format(f fmt.State, _ rune) { f.Write([]byte("[REDACTED]")) }

func read(src string) ([]byte, error) {
	if strings.HasPrefix(src, "-----BEGIN") {
		return []byte(src), nil
	}
	return os.ReadFile(strings.TrimPrefix(src, "file://"))
}
func LoadPrivateKey(src string) (*rsa.PrivateKey, error) {
	b, err := read(src)
	if err != nil {
		return nil, err
	}
	return ParsePrivateKey(b)
}
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, ErrInvalidKey
	}
	if k, err := x509.ParsePKCS1PrivateKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, ErrInvalidKey
	}
	r, ok := k.(*rsa.PrivateKey)
	if !ok {
		return nil, ErrInvalidKey
	}
	return r, nil
}
func LoadPublicKey(src string) (*rsa.PublicKey, error) {
	b, err := read(src)
	if err != nil {
		return nil, err
	}
	return ParsePublicKey(b)
}
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, ErrInvalidKey
	}
	if blk.Type == "CERTIFICATE" {
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, ErrInvalidKey
		}
		p, _ := c.PublicKey.(*rsa.PublicKey)
		return p, nil
	}
	if k, err := x509.ParsePKCS1PublicKey(blk.Bytes); err == nil {
		return k, nil
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, ErrInvalidKey
	}
	p, _ := k.(*rsa.PublicKey)
	return p, nil
}
func LoadCertificate(src string) (*x509.Certificate, error) {
	b, err := read(src)
	if err != nil {
		return nil, err
	}
	return ParseCertificate(b)
}
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	blk, _ := pem.Decode(data)
	if blk == nil {
		return nil, ErrInvalidKey
	}
	return x509.ParseCertificate(blk.Bytes)
}
func CertificateSerial(c *x509.Certificate) string { return fmt.Sprintf("%X", c.SerialNumber) }
func Sign(signer stdcrypto.Signer, message []byte) (string, error) {
	h := sha256.Sum256(message)
	s, err := signer.Sign(rand.Reader, h[:], stdcrypto.SHA256)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(s), nil
}
func Verify(pub *rsa.PublicKey, message []byte, signature string) error {
	s, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return ErrVerification
	}
	h := sha256.Sum256(message)
	if rsa.VerifyPKCS1v15(pub, stdcrypto.SHA256, h[:], s) != nil {
		return ErrVerification
	}
	return nil
}
func HashSign(signType string, data, key []byte) (string, error) {
	switch signType {
	case SignTypeMD5:
		h := md5.New()
		h.Write(data)
		h.Write([]byte("&key="))
		h.Write(key)
		return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
	case SignTypeHMACSHA256:
		h := hmac.New(sha256.New, key)
		h.Write(data)
		h.Write([]byte("&key="))
		h.Write(key)
		return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
	}
	return "", ErrSignType
}
func Equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
func EncryptAESGCM(key, nonce, plaintext, aad []byte) (string, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return "", ErrKeySize
	}
	g, _ := cipher.NewGCMWithNonceSize(b, len(nonce))
	return base64.StdEncoding.EncodeToString(g.Seal(nil, nonce, plaintext, aad)), nil
}
func DecryptAESGCM(key, nonce []byte, ciphertext string, aad []byte) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, ErrKeySize
	}
	ct, err := base64.StdEncoding.DecodeString(ciphertext)
	if err != nil {
		return nil, ErrCiphertext
	}
	g, _ := cipher.NewGCMWithNonceSize(b, len(nonce))
	return g.Open(nil, nonce, ct, aad)
}
