package crypto

import (
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
)

// LoadPrivateKey loads the merchant's RSA private key (apiclient_key.pem),
// which signs every APIv3 request and decrypts sensitive fields.
//
// src may be PEM text (PKCS#1 "RSA PRIVATE KEY" or PKCS#8 "PRIVATE KEY"),
// "file://path", a plain file path, or bare base64 DER behind
// "private.pkcs1://" or "private.pkcs8://". Encrypted keys are not accepted:
// decrypt them first (openssl pkcs8 -in enc.pem -out key.pem). A key held
// in an HSM ("pkcs11:…") is no *rsa.PrivateKey: LoadSigner opens it.
func LoadPrivateKey(src string) (*rsa.PrivateKey, error) {
	s, err := readSource(src, ErrInvalidKey)
	if err != nil {
		return nil, err
	}
	var key *rsa.PrivateKey
	switch s.scheme {
	case SchemePrivatePKCS1:
		key, err = parsePrivateDER(s.data, formatPKCS1)
	case SchemePrivatePKCS8:
		key, err = parsePrivateDER(s.data, formatPKCS8)
	case SchemePublicPKCS1, SchemePublicSPKI:
		err = wrapf(ErrInvalidKey, "%s holds a public key; a private key needs %s or %s",
			s.scheme, SchemePrivatePKCS1, SchemePrivatePKCS8)
	default:
		key, err = ParsePrivateKey(s.data)
	}
	return key, withOrigin(s.origin, err)
}

// ParsePrivateKey parses an RSA private key from PEM (PKCS#1 or PKCS#8) or
// raw DER bytes. In PEM input other blocks (a certificate bundled in the same
// file, say) are skipped.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	if len(data) == 0 {
		return nil, wrap(ErrInvalidKey, "empty private key input")
	}
	if !isPEM(data) {
		return parsePrivateDER(data, formatUnknown)
	}
	key, seen, err := scanPEM(data, ErrInvalidKey, privateFromPEM)
	if err != nil || seen == nil {
		return key, err
	}
	return nil, wrapf(ErrInvalidKey, "no private key in the PEM (found %s); %s",
		strings.Join(seen, ", "), wrongKindHint(seen, wantPrivate))
}

// privateFromPEM claims the private-key block types.
func privateFromPEM(b *pem.Block) (*rsa.PrivateKey, bool, error) {
	switch b.Type {
	case "RSA PRIVATE KEY":
		if _, encrypted := b.Headers["DEK-Info"]; encrypted {
			return nil, true, wrap(ErrInvalidKey, "the RSA PRIVATE KEY is password-protected (DEK-Info header), which is not supported: "+
				"remove the password with `openssl rsa -in key.pem -out plain.pem`")
		}
		key, err := parsePrivateDER(b.Bytes, formatPKCS1)
		return key, true, err
	case "PRIVATE KEY":
		key, err := parsePrivateDER(b.Bytes, formatPKCS8)
		return key, true, err
	case "ENCRYPTED PRIVATE KEY":
		return nil, true, wrap(ErrInvalidKey, "the PEM holds an ENCRYPTED PRIVATE KEY, which is not supported: "+
			"decrypt it with `openssl pkcs8 -in key.pem -out plain.pem`")
	case "EC PRIVATE KEY":
		return nil, true, wrap(ErrInvalidKey, "the PEM holds an EC private key; WeChat Pay needs the merchant RSA key (apiclient_key.pem)")
	}
	return nil, false, nil
}

// LoadPublicKey loads an RSA public key: the WeChat Pay platform public key
// (pub_key.pem) or the key inside a platform certificate, used to verify
// response and notification signatures and to encrypt sensitive fields.
//
// src may be PEM text ("PUBLIC KEY", "RSA PUBLIC KEY" or "CERTIFICATE"),
// "file://path", a plain file path, or bare base64 DER behind
// "public.spki://" or "public.pkcs1://". PKCS#1 keys are converted with
// PKCS1ToSPKI, as the PHP SDK does.
func LoadPublicKey(src string) (*rsa.PublicKey, error) {
	s, err := readSource(src, ErrInvalidKey)
	if err != nil {
		return nil, err
	}
	var key *rsa.PublicKey
	switch s.scheme {
	case SchemePublicSPKI:
		key, err = parseSPKI(s.data)
	case SchemePublicPKCS1:
		key, err = parsePKCS1Public(s.data)
	case SchemePrivatePKCS1, SchemePrivatePKCS8:
		err = wrapf(ErrInvalidKey, "%s holds a private key; a public key needs %s or %s",
			s.scheme, SchemePublicSPKI, SchemePublicPKCS1)
	default:
		key, err = ParsePublicKey(s.data)
	}
	return key, withOrigin(s.origin, err)
}

// ParsePublicKey parses an RSA public key from PEM ("PUBLIC KEY",
// "RSA PUBLIC KEY" or "CERTIFICATE") or raw DER (SPKI, PKCS#1 or an X.509
// certificate).
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	if len(data) == 0 {
		return nil, wrap(ErrInvalidKey, "empty public key input")
	}
	if !isPEM(data) {
		if key, err := parseSPKI(data); err == nil {
			return key, nil
		}
		if key, err := parsePKCS1Public(data); err == nil {
			return key, nil
		}
		if cert, err := x509.ParseCertificate(data); err == nil {
			return certificateRSAKey(cert)
		}
		return nil, wrap(ErrInvalidKey, "not a DER public key (SPKI or PKCS#1) or certificate; "+describeDER(data, false))
	}
	key, seen, err := scanPEM(data, ErrInvalidKey, publicFromPEM)
	if err != nil || seen == nil {
		return key, err
	}
	return nil, wrapf(ErrInvalidKey, "no public key or certificate in the PEM (found %s); %s",
		strings.Join(seen, ", "), wrongKindHint(seen, wantPublic))
}

// publicFromPEM claims the public-key and certificate block types.
func publicFromPEM(b *pem.Block) (*rsa.PublicKey, bool, error) {
	var key *rsa.PublicKey
	var err error
	switch b.Type {
	case "PUBLIC KEY":
		key, err = parseSPKI(b.Bytes)
	case "RSA PUBLIC KEY":
		key, err = parsePKCS1Public(b.Bytes)
	case "CERTIFICATE":
		var cert *x509.Certificate
		if cert, err = x509.ParseCertificate(b.Bytes); err != nil {
			return nil, true, wrapf(ErrInvalidKey, "the CERTIFICATE block does not parse: %v", err)
		}
		key, err = certificateRSAKey(cert)
	default:
		return nil, false, nil
	}
	return key, true, err
}

// PKCS1ToSPKI wraps a PKCS#1 RSAPublicKey (DER, the body of an
// "RSA PUBLIC KEY" PEM) into a SubjectPublicKeyInfo (DER, the body of a
// "PUBLIC KEY" PEM), byte for byte as the PHP SDK's Rsa::pkcs1ToSpki does:
// SEQUENCE { SEQUENCE { rsaEncryption, NULL }, BIT STRING { 0x00 || der } }.
func PKCS1ToSPKI(der []byte) ([]byte, error) {
	if _, err := x509.ParsePKCS1PublicKey(der); err != nil {
		if _, err := x509.ParsePKIXPublicKey(der); err == nil {
			return nil, wrap(ErrInvalidKey, "the key is SPKI, not PKCS#1: use "+SchemePublicSPKI+" or a \"PUBLIC KEY\" PEM header")
		}
		return nil, wrap(ErrInvalidKey, "not a PKCS#1 RSA public key; "+describeDER(der, false))
	}
	// AlgorithmIdentifier: SEQUENCE { OID 1.2.840.113549.1.1.1, NULL }
	algorithm := []byte{0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00}
	bitString := append([]byte{0x00}, der...) // no unused bits
	body := append(algorithm, 0x03)
	body = append(body, derLength(len(bitString))...)
	body = append(body, bitString...)
	out := append([]byte{0x30}, derLength(len(body))...)
	return append(out, body...), nil
}

// derLength encodes n as a DER definite length: short form up to 127, else
// 0x80|count followed by the minimal big-endian bytes.
func derLength(n int) []byte {
	if n <= 0x7f {
		return []byte{byte(n)}
	}
	var be []byte
	for v := n; v > 0; v >>= 8 {
		be = append([]byte{byte(v)}, be...)
	}
	return append([]byte{0x80 | byte(len(be))}, be...)
}

type derFormat int

const (
	formatUnknown derFormat = iota
	formatPKCS1
	formatPKCS8
)

// parsePrivateDER parses DER in the expected format (or either, when
// unknown) and explains what the bytes are when they are not that. The
// x509 errors are not passed on: the message is built here, from fixed text.
func parsePrivateDER(der []byte, format derFormat) (*rsa.PrivateKey, error) {
	if format != formatPKCS1 {
		if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			return rsaPrivate(k)
		}
	}
	if format != formatPKCS8 {
		if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return k, nil
		}
	}
	switch format {
	case formatPKCS1:
		if _, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			return nil, wrap(ErrInvalidKey, "the key is PKCS#8, not PKCS#1: use "+SchemePrivatePKCS8+" or a \"PRIVATE KEY\" PEM header")
		}
		return nil, wrap(ErrInvalidKey, "not a valid PKCS#1 RSA private key; "+describeDER(der, true))
	case formatPKCS8:
		if _, err := x509.ParsePKCS1PrivateKey(der); err == nil {
			return nil, wrap(ErrInvalidKey, "the key is PKCS#1, not PKCS#8: use "+SchemePrivatePKCS1+" or an \"RSA PRIVATE KEY\" PEM header")
		}
		return nil, wrap(ErrInvalidKey, "not a valid PKCS#8 private key; "+describeDER(der, true))
	}
	return nil, wrap(ErrInvalidKey, "not a PKCS#1 or PKCS#8 private key (PEM or DER); "+describeDER(der, true))
}

// rsaPrivate narrows a parsed PKCS#8 key to RSA.
func rsaPrivate(k any) (*rsa.PrivateKey, error) {
	if key, ok := k.(*rsa.PrivateKey); ok {
		return key, nil
	}
	return nil, wrapf(ErrInvalidKey, "the PKCS#8 key is %s, but WeChat Pay needs the merchant RSA key (apiclient_key.pem)", keyKind(k))
}

func parseSPKI(der []byte) (*rsa.PublicKey, error) {
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		if _, err := x509.ParsePKCS1PublicKey(der); err == nil {
			return nil, wrap(ErrInvalidKey, "the key is PKCS#1, not SPKI: use "+SchemePublicPKCS1+" or an \"RSA PUBLIC KEY\" PEM header")
		}
		return nil, wrap(ErrInvalidKey, "not a valid SPKI public key; "+describeDER(der, false))
	}
	if key, ok := k.(*rsa.PublicKey); ok {
		return key, nil
	}
	return nil, wrapf(ErrInvalidKey, "the public key is %s, but WeChat Pay signs with RSA", keyKind(k))
}

func parsePKCS1Public(der []byte) (*rsa.PublicKey, error) {
	spki, err := PKCS1ToSPKI(der)
	if err != nil {
		return nil, err
	}
	return parseSPKI(spki)
}

// certificateRSAKey returns the RSA key a certificate carries.
func certificateRSAKey(cert *x509.Certificate) (*rsa.PublicKey, error) {
	if key, ok := cert.PublicKey.(*rsa.PublicKey); ok {
		return key, nil
	}
	return nil, wrapf(ErrInvalidKey, "certificate %s carries %s, but WeChat Pay signs with RSA",
		CertificateSerial(cert), keyKind(cert.PublicKey))
}

// keyKind names a key's algorithm for messages (never its value).
func keyKind(k any) string {
	switch k.(type) {
	case *rsa.PrivateKey, *rsa.PublicKey:
		return "an RSA key"
	case *ecdsa.PrivateKey, *ecdsa.PublicKey, *ecdh.PrivateKey, *ecdh.PublicKey:
		return "an EC key"
	case ed25519.PrivateKey, ed25519.PublicKey:
		return "an Ed25519 key"
	case nil:
		return "no key"
	}
	return fmt.Sprintf("a %T", k)
}

// describeDER says what DER bytes are when they are not what was expected,
// so the message can point at the right file.
func describeDER(der []byte, wantPrivate bool) string {
	if _, err := x509.ParseCertificate(der); err == nil {
		if wantPrivate {
			return "it is an X.509 certificate; the merchant private key is apiclient_key.pem"
		}
		return "it is an X.509 certificate"
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		return "it is a public key (SPKI) holding " + keyKind(k)
	}
	if _, err := x509.ParsePKCS1PublicKey(der); err == nil {
		return "it is an RSA public key (PKCS#1)"
	}
	if _, err := x509.ParseECPrivateKey(der); err == nil {
		return "it is an EC private key; WeChat Pay needs RSA"
	}
	if !wantPrivate {
		_, err1 := x509.ParsePKCS1PrivateKey(der)
		_, err8 := x509.ParsePKCS8PrivateKey(der)
		if err1 == nil || err8 == nil {
			return "it is a private key: pass the WeChat Pay platform certificate or platform public key"
		}
	}
	if wantPrivate {
		return "check that the whole apiclient_key.pem was copied"
	}
	return "check that the whole platform certificate or public key was copied"
}

// What a parser wanted, for wrongKindHint.
const (
	wantPrivate = iota
	wantPublic
	wantCertificate
)

// wrongKindHint turns the PEM block types found into advice.
func wrongKindHint(seen []string, want int) string {
	for _, t := range seen {
		switch {
		case want == wantPrivate && (t == "CERTIFICATE" || strings.HasSuffix(t, "PUBLIC KEY")):
			return "that is public material: the merchant private key is apiclient_key.pem"
		case want == wantPublic && strings.HasSuffix(t, "PRIVATE KEY"):
			return "that is a private key: pass the WeChat Pay platform certificate or platform public key"
		case want == wantCertificate && strings.HasSuffix(t, "PRIVATE KEY"):
			return "that is a private key, which must never be used where a certificate is expected"
		}
	}
	switch want {
	case wantPrivate:
		return "expected RSA PRIVATE KEY or PRIVATE KEY"
	case wantPublic:
		return "expected PUBLIC KEY, RSA PUBLIC KEY or CERTIFICATE"
	}
	return "expected a CERTIFICATE block"
}
