package wechatpaytest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"time"
)

// WithRotationOverlap sets how long a platform certificate that
// RotatePlatformCertificate replaced stays valid: its expire_time becomes
// the rotation's time plus d, when that is earlier than its own. By
// default it keeps its own, a year after it was made. A short overlap lets
// a test watch the old certificate expire and leave v3/certificates.
func WithRotationOverlap(d time.Duration) Option {
	return func(s *Server) { s.rotationOverlap = d }
}

// RotatePlatformCertificate issues a new platform certificate (平台证书),
// with a new key, as WeChat Pay does before the current one expires:
// v3/certificates lists the old and the new side by side, answers and
// notifications are signed with the new one (in CertificateMode), and the
// old one stays valid, listed and trusted by Config, until it expires
// (WithRotationOverlap). It returns the new certificate, which Platform
// becomes: read Platform after the call, not while another goroutine
// rotates.
func (s *Server) RotatePlatformCertificate() (*Identity, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	id, err := newIdentity(key, "wechatpay platform")
	if err != nil {
		return nil, err
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	s.mu.Lock()
	before, current := append([]*Identity(nil), s.platforms...), s.Platform
	if s.rotationOverlap > 0 {
		retire := s.now().Add(s.rotationOverlap)
		for i, p := range s.platforms {
			if p.Cert.NotAfter.After(retire) {
				re, err := reissue(p, retire)
				if err != nil {
					s.mu.Unlock()
					return nil, err
				}
				s.platforms[i] = re
			}
		}
	}
	s.platforms = append(s.platforms, id)
	s.Platform = id
	s.mu.Unlock()
	if s.st.save != nil {
		if err := s.st.save(); err != nil {
			s.mu.Lock()
			s.platforms, s.Platform = before, current
			s.mu.Unlock()
			return nil, fmt.Errorf("wechatpaytest: saving the state: %w", err)
		}
	}
	return id, nil
}

// reissue makes the certificate of id again, the same key and serial,
// expiring at notAfter.
func reissue(id *Identity, notAfter time.Time) (*Identity, error) {
	old := id.Cert
	tmpl := &x509.Certificate{
		SerialNumber: old.SerialNumber, Subject: old.Subject, NotBefore: old.NotBefore, NotAfter: notAfter,
		KeyUsage: old.KeyUsage, ExtKeyUsage: old.ExtKeyUsage, DNSNames: old.DNSNames,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &id.Key.PublicKey, id.Key)
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &Identity{Key: id.Key, Cert: cert, Serial: id.Serial}, nil
}

// Platforms returns the platform certificates that are valid now, oldest
// first: the ones v3/certificates lists and Config trusts. The last is the
// one that signs.
func (s *Server) Platforms() []*Identity {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Identity
	for _, p := range s.platforms {
		if p == s.Platform || now.Before(p.Cert.NotAfter) {
			out = append(out, p)
		}
	}
	return out
}

// platform returns the platform certificate that signs.
func (s *Server) platform() *Identity {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Platform
}
