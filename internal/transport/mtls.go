package transport

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"reflect"
	"time"
)

// ErrMerchantCertRejected is wrapped by the *TransportError of a security
// call whose merchant TLS certificate (Config.Merchant: apiclient_cert.pem
// or apiclient_cert.p12) the server refused during the TLS handshake: it
// has expired, was revoked or replaced, or is not this merchant's. The
// server processed nothing: TransportError.Sent is false.
var ErrMerchantCertRejected = errors.New("wechatpay: the server refused the merchant TLS certificate (Config.Merchant, apiclient_cert)")

// certAlerts are the TLS alerts (RFC 8446 §6.2) by which a server refuses a
// client certificate.
var certAlerts = map[uint8]bool{
	42:  true, // bad_certificate
	43:  true, // unsupported_certificate
	44:  true, // certificate_revoked
	45:  true, // certificate_expired
	46:  true, // certificate_unknown
	48:  true, // unknown_ca
	49:  true, // access_denied
	116: true, // certificate_required
}

// merchantTLS returns base with the merchant certificate as the client
// certificate. The certificate is presented whatever CA names the server
// asks for, as curl (and so wechatpay-php) does: a server that does not
// trust it then says so with an alert, which certRejected recognises,
// rather than failing for want of a certificate.
func merchantTLS(base *tls.Config, cert tls.Certificate) *tls.Config {
	cfg := base.Clone()
	cfg.Certificates = []tls.Certificate{cert}
	cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
	return cfg
}

// certRejected returns err wrapped with ErrMerchantCertRejected when it is a
// server's TLS alert refusing the merchant certificate, else nil. leaf is
// the merchant certificate, described so that an expired one is plain.
func certRejected(err error, leaf *x509.Certificate) error {
	code, ok := remoteAlert(err)
	if !ok || !certAlerts[code] {
		return nil
	}
	if leaf == nil {
		return fmt.Errorf("%w: %w", ErrMerchantCertRejected, err)
	}
	state := "valid until " + leaf.NotAfter.UTC().Format(time.DateOnly)
	if now := time.Now(); now.After(leaf.NotAfter) {
		state = "expired on " + leaf.NotAfter.UTC().Format(time.DateOnly) + "; apply for a new one on the merchant platform, 商户平台"
	} else if now.Before(leaf.NotBefore) {
		state = "not valid before " + leaf.NotBefore.UTC().Format(time.DateOnly)
	}
	return fmt.Errorf("%w (serial %X, %s): %w", ErrMerchantCertRejected, leaf.SerialNumber, state, err)
}

// remoteAlert returns the code of the TLS alert the peer sent, when err is
// one. crypto/tls reports it as a *net.OpError "remote error" around an
// unexported uint8 type; tls.AlertError is accepted too.
func remoteAlert(err error) (uint8, bool) {
	if ae, ok := errors.AsType[tls.AlertError](err); ok {
		return uint8(ae), true
	}
	oe, ok := errors.AsType[*net.OpError](err)
	if !ok || oe.Op != "remote error" || oe.Err == nil {
		return 0, false
	}
	if v := reflect.ValueOf(oe.Err); v.Kind() == reflect.Uint8 {
		return uint8(v.Uint()), true
	}
	return 0, false
}
