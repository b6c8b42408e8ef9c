package crypto

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// LoadCertificate loads an X.509 certificate: a WeChat Pay platform
// certificate (wechatpay_<serial>.pem) or the merchant certificate
// (apiclient_cert.pem). src may be PEM text, "file://path" or a plain path.
func LoadCertificate(src string) (*x509.Certificate, error) {
	s, err := readSource(src, ErrCertificate)
	if err != nil {
		return nil, err
	}
	if s.scheme != "" {
		return nil, wrapf(ErrCertificate, "%s holds a bare key, not a certificate: pass PEM text, file://path or a path", s.scheme)
	}
	cert, err := ParseCertificate(s.data)
	return cert, withOrigin(s.origin, err)
}

// ParseCertificate parses an X.509 certificate from PEM (the first
// "CERTIFICATE" block) or DER bytes.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	if len(data) == 0 {
		return nil, wrap(ErrCertificate, "empty certificate input")
	}
	if !isPEM(data) {
		cert, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, wrapf(ErrCertificate, "not a DER X.509 certificate (%v); %s", err, describeDER(data, false))
		}
		return cert, nil
	}
	cert, seen, err := scanPEM(data, ErrCertificate, func(b *pem.Block) (*x509.Certificate, bool, error) {
		if b.Type != "CERTIFICATE" {
			return nil, false, nil
		}
		cert, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, true, wrapf(ErrCertificate, "the CERTIFICATE block does not parse: %v", err)
		}
		return cert, true, nil
	})
	if err != nil || seen == nil {
		return cert, err
	}
	return nil, wrapf(ErrCertificate, "no certificate in the PEM (found %s); %s", strings.Join(seen, ", "), wrongKindHint(seen, wantCertificate))
}

// CertificateSerial returns the certificate serial number as WeChat Pay
// writes it (the Wechatpay-Serial header, the serial_no of the
// Authorization header): upper-case hex of the serial's big-endian bytes.
//
// It matches PHP's PemUtil::parseCertificateSerialNo (OpenSSL BN_bn2hex):
// whole bytes, so a leading zero nibble is kept (0x03E8 gives "03E8", not
// "3E8") while the sign byte DER adds to serials with the top bit set is
// dropped. Zero gives "0", a negative serial gets a "-" prefix, and a nil
// certificate gives "".
func CertificateSerial(cert *x509.Certificate) string {
	if cert == nil || cert.SerialNumber == nil {
		return ""
	}
	n := cert.SerialNumber
	switch n.Sign() {
	case 0:
		return "0"
	case -1:
		return "-" + strings.ToUpper(hex.EncodeToString(new(big.Int).Neg(n).Bytes()))
	}
	return strings.ToUpper(hex.EncodeToString(n.Bytes()))
}

// ValidityError reports a certificate used outside its validity period. It
// wraps ErrCertificateNotYetValid or ErrCertificateExpired, and ErrCertificate.
type ValidityError struct {
	Serial    string    // CertificateSerial of the certificate
	NotBefore time.Time // start of validity
	NotAfter  time.Time // end of validity
	At        time.Time // the time checked
	Err       error     // ErrCertificateNotYetValid or ErrCertificateExpired
}

// Error says which certificate, which bound was crossed and what to do.
func (e *ValidityError) Error() string {
	if e.Err == ErrCertificateNotYetValid {
		return fmt.Sprintf("%v: %s is valid from %s, checked at %s: check the system clock",
			e.Err, e.Serial, e.NotBefore.UTC().Format(time.RFC3339), e.At.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("%v: %s expired at %s, checked at %s: fetch a current platform certificate (or use the platform public key)",
		e.Err, e.Serial, e.NotAfter.UTC().Format(time.RFC3339), e.At.UTC().Format(time.RFC3339))
}

// Unwrap lets errors.Is match both the specific and the general sentinel.
func (e *ValidityError) Unwrap() []error { return []error{e.Err, ErrCertificate} }

// CheckValidity reports whether cert is valid at the given time (inclusive
// of NotBefore and NotAfter, as X.509 defines). Platform certificates
// expire and are rotated, so verifiers should call it before trusting a
// certificate's key. It returns a *ValidityError, or an ErrCertificate error
// for a nil certificate.
func CheckValidity(cert *x509.Certificate, at time.Time) error {
	if cert == nil {
		return wrap(ErrCertificate, "nil certificate")
	}
	e := &ValidityError{Serial: CertificateSerial(cert), NotBefore: cert.NotBefore, NotAfter: cert.NotAfter, At: at}
	switch {
	case at.Before(cert.NotBefore):
		e.Err = ErrCertificateNotYetValid
	case at.After(cert.NotAfter):
		e.Err = ErrCertificateExpired
	default:
		return nil
	}
	return e
}
