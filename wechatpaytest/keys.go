package wechatpaytest

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"time"
)

// Identity is a key pair with its self-signed certificate and the serial
// WeChat Pay would name it by.
type Identity struct {
	// Key is the RSA-2048 private key; nil for a merchant key given with
	// WithMerchantSigner, which stays where it is (an HSM, say).
	Key    *rsa.PrivateKey
	Cert   *x509.Certificate // the self-signed certificate of the key
	Serial string            // uppercase hex of the certificate serial number
}

// PublicKey returns the public key of the identity, from its certificate.
func (id *Identity) PublicKey() *rsa.PublicKey {
	pub, _ := id.Cert.PublicKey.(*rsa.PublicKey)
	return pub
}

// KeyPEM returns the private key as PKCS#8 PEM, or nil when the key was
// given with WithMerchantSigner.
func (id *Identity) KeyPEM() []byte {
	if id.Key == nil {
		return nil
	}
	der, _ := x509.MarshalPKCS8PrivateKey(id.Key)
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// CertPEM returns the certificate as PEM.
func (id *Identity) CertPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: id.Cert.Raw})
}

// PublicKeyPEM returns the public key as SPKI PEM, the form of WeChat Pay's
// pub_key.pem.
func (id *Identity) PublicKeyPEM() []byte {
	der, _ := x509.MarshalPKIXPublicKey(id.PublicKey())
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// NewIdentity makes a fresh RSA-2048 key and a certificate for it, valid
// from an hour ago for a year.
func NewIdentity(commonName string) (*Identity, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	return newIdentity(key, commonName)
}

// newIdentity makes the certificate of key, which signs it itself: an
// *rsa.PrivateKey, or any crypto.Signer of an RSA key.
func newIdentity(key stdcrypto.Signer, commonName string) (*Identity, error) {
	if _, ok := key.Public().(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("the %s key is %T, not RSA", commonName, key.Public())
	}
	sn := make([]byte, 20)
	if _, err := rand.Read(sn); err != nil {
		return nil, err
	}
	sn[0] = sn[0]&0x7f | 0x10 // positive, and 40 hex digits like WeChat Pay's serials
	tmpl := &x509.Certificate{
		SerialNumber: new(big.Int).SetBytes(sn),
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"wechatpaytest"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().AddDate(1, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	rsaKey, _ := key.(*rsa.PrivateKey)
	return &Identity{Key: rsaKey, Cert: cert, Serial: strings.ToUpper(fmt.Sprintf("%040x", cert.SerialNumber))}, nil
}

// Generating RSA keys is slow, so the keys (not the certificates or
// serials) are made once per process and shared by servers.
var sharedKeys = sync.OnceValues(func() ([3]*rsa.PrivateKey, error) {
	var keys [3]*rsa.PrivateKey
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return keys, err
		}
		keys[i] = k
	}
	return keys, nil
})

// serverCertificate is the TLS servers' certificate for 127.0.0.1 and
// localhost: a self-signed ECDSA P-256 one, made once per process.
var serverCertificate = sync.OnceValues(func() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "wechatpaytest", Organization: []string{"wechatpaytest"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().AddDate(1, 0, 0),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
})
