package wechatpay

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// PlatformCertificate is a WeChat Pay platform certificate (平台证书), as
// v3/certificates delivers it, decrypted.
type PlatformCertificate struct {
	// Serial is the certificate's serial (serial_no), which answers name
	// in Wechatpay-Serial.
	Serial string
	// EffectiveTime and ExpireTime bound its use, as the answer states
	// (effective_time, expire_time).
	EffectiveTime, ExpireTime time.Time
	// Certificate is the parsed certificate, with its own NotBefore and
	// NotAfter.
	Certificate *x509.Certificate
	// PEM is the certificate as delivered, e.g. to save as
	// wechatpay_<serial>.pem.
	PEM []byte
}

// NotBefore returns the start of the period the certificate may be used
// in: the later of effective_time and the certificate's NotBefore.
func (p *PlatformCertificate) NotBefore() time.Time {
	if p.EffectiveTime.After(p.Certificate.NotBefore) {
		return p.EffectiveTime
	}
	return p.Certificate.NotBefore
}

// NotAfter returns the end of that period: the earlier of expire_time and
// the certificate's NotAfter.
func (p *PlatformCertificate) NotAfter() time.Time {
	if !p.ExpireTime.IsZero() && p.ExpireTime.Before(p.Certificate.NotAfter) {
		return p.ExpireTime
	}
	return p.Certificate.NotAfter
}

// ValidAt reports whether t is within [NotBefore, NotAfter].
func (p *PlatformCertificate) ValidAt(t time.Time) bool {
	return !t.Before(p.NotBefore()) && !t.After(p.NotAfter())
}

// ErrAPIv3KeyNotConfigured: fetching platform certificates needs the APIv3
// key, which decrypts them.
var ErrAPIv3KeyNotConfigured = errors.New("wechatpay: platform certificates are decrypted with Config.APIv3Key, which is not configured")

// CertificateError reports a v3/certificates answer, or a certificate in
// it, that cannot be used. It never holds the APIv3 key.
type CertificateError struct {
	// Serial is the certificate's serial_no, or "" for the whole answer.
	Serial string
	// Problem says what is wrong.
	Problem string
	// Err is the cause, if any: for a certificate that does not decrypt,
	// crypto.ErrCiphertext (a wrong APIv3 key, most likely).
	Err error
}

// Error says which certificate and what is wrong.
func (e *CertificateError) Error() string {
	msg := "wechatpay: platform certificates: "
	if e.Serial != "" {
		msg += e.Serial + ": "
	}
	msg += e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *CertificateError) Unwrap() error { return e.Err }

// FetchCertificates downloads WeChat Pay's platform certificates
// (v3/certificates, or Config.CertificatesPath: v3/global/certificates for
// cross-border merchants), decrypts each with Config.APIv3Key (AEAD_AES_256_GCM,
// with its nonce and associated_data), and verifies the answer's signature
// with them, as wechatpay-php's CertificateDownloader does: so it works for
// a client that does not know the certificates yet. The answer's
// Wechatpay-Serial must name one of the certificates delivered, or a key
// the client already trusts. The certificates are returned newest first;
// the client's keys are not changed (see StartCertificateRefresh; a client
// in certificate mode keeps them current itself, see Config.Certs).
//
// Merchants who use the WeChat Pay public key (微信支付公钥, PUB_KEY_ID_…)
// do not need platform certificates.
func (c *Client) FetchCertificates(ctx context.Context, opts ...Opts) ([]*PlatformCertificate, error) {
	certs, _, err := c.fetchCertificates(ctx, opts...)
	return certs, err
}

// fetchCertificates is FetchCertificates, returning the verified answer
// too, which a CertificateStore keeps.
func (c *Client) fetchCertificates(ctx context.Context, opts ...Opts) ([]*PlatformCertificate, *middleware.Response, error) {
	switch {
	case !c.v3ok:
		return nil, nil, ErrAPIv3NotConfigured
	case c.apiv3Key.IsZero():
		return nil, nil, ErrAPIv3KeyNotConfigured
	}
	var certs []*PlatformCertificate
	var resp *middleware.Response
	st := c.stacks[APIv3].Clone()
	verify := c.certificateVerifier(&certs, &resp)
	var err error
	if st.Has("verifier") {
		err = st.Replace("verifier", verify)
	} else {
		err = st.Unshift("verifier", verify)
	}
	if err != nil {
		return nil, nil, err
	}
	all := append(append([]Opts(nil), opts...), Options{Handler: st})
	if _, err := c.Chain(c.certPath).Do(ctx, http.MethodGet, all...); err != nil {
		return nil, nil, err
	}
	return certs, resp, nil
}

// certificatesPath is the chain that lists platform certificates for a
// client of base: the cross-border one on apihk.mch.weixin.qq.com, where
// WeChat Pay serves merchants outside mainland China (境外).
func certificatesPath(base *url.URL) string {
	if base != nil && strings.EqualFold(base.Hostname(), globalHost) {
		return globalCertificatesPath
	}
	return certificatesPathV3
}

// The chains that list platform certificates, and the host of the second.
const (
	certificatesPathV3     = "v3/certificates"
	globalCertificatesPath = "v3/global/certificates"
	globalHost             = "apihk.mch.weixin.qq.com"
)

// certificateVerifier is the "verifier" step of a certificate download: it
// decrypts the certificates, then verifies the answer with them.
func (c *Client) certificateVerifier(out *[]*PlatformCertificate, answer **middleware.Response) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			resp, err := next.Handle(ctx, req)
			if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
				return resp, err
			}
			certs, err := decryptCertificates(resp.Body, c.apiv3Key)
			if err != nil {
				return nil, err
			}
			if err := middleware.VerifySignature(newDeliveredKeys(certs, c.keys), resp.Header, resp.Body, time.Now()); err != nil {
				return nil, &VerifyError{Err: err, Response: resp}
			}
			*out, *answer = certs, resp
			return resp, nil
		})
	}
}

// decryptCertificates reads a v3/certificates answer.
func decryptCertificates(body []byte, apiv3Key crypto.Secret) ([]*PlatformCertificate, error) {
	var answer struct {
		Data []struct {
			SerialNo           string `json:"serial_no"`
			EffectiveTime      string `json:"effective_time"`
			ExpireTime         string `json:"expire_time"`
			EncryptCertificate struct {
				Algorithm      string `json:"algorithm"`
				Nonce          string `json:"nonce"`
				AssociatedData string `json:"associated_data"`
				Ciphertext     string `json:"ciphertext"`
			} `json:"encrypt_certificate"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return nil, &CertificateError{Problem: "the answer is not the JSON of v3/certificates", Err: err}
	}
	if len(answer.Data) == 0 {
		return nil, &CertificateError{Problem: "the answer holds no certificate"}
	}
	out := make([]*PlatformCertificate, 0, len(answer.Data))
	for _, d := range answer.Data {
		fail := func(problem string, err error) ([]*PlatformCertificate, error) {
			return nil, &CertificateError{Serial: d.SerialNo, Problem: problem, Err: err}
		}
		enc := d.EncryptCertificate
		if enc.Algorithm != "AEAD_AES_256_GCM" {
			return fail(fmt.Sprintf("encrypted with %q; only AEAD_AES_256_GCM is supported", enc.Algorithm), nil)
		}
		key := apiv3Key.Reveal()
		pemText, err := crypto.DecryptAESGCM(key, []byte(enc.Nonce), enc.Ciphertext, []byte(enc.AssociatedData))
		clear(key)
		if err != nil {
			return fail("cannot be decrypted with Config.APIv3Key", err)
		}
		cert, err := crypto.ParseCertificate(pemText)
		if err != nil {
			return fail("is not a certificate", err)
		}
		if got := crypto.CertificateSerial(cert); !strings.EqualFold(got, d.SerialNo) {
			return fail(fmt.Sprintf("the certificate's own serial is %s", got), nil)
		}
		if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
			return fail("its key is not RSA", nil)
		}
		pc := &PlatformCertificate{Serial: d.SerialNo, Certificate: cert, PEM: pemText}
		if pc.EffectiveTime, err = time.Parse(time.RFC3339, d.EffectiveTime); err != nil {
			return fail("effective_time is not an RFC 3339 time", err)
		}
		if pc.ExpireTime, err = time.Parse(time.RFC3339, d.ExpireTime); err != nil {
			return fail("expire_time is not an RFC 3339 time", err)
		}
		out = append(out, pc)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NotBefore().After(out[j].NotBefore()) })
	return out, nil
}

// deliveredKeys verifies a certificate download with the certificates it
// delivered, or the keys the client already trusts.
type deliveredKeys struct {
	delivered map[string]*rsa.PublicKey
	known     *middleware.Keys
}

func newDeliveredKeys(certs []*PlatformCertificate, known *middleware.Keys) deliveredKeys {
	k := deliveredKeys{delivered: map[string]*rsa.PublicKey{}, known: known}
	for _, pc := range certs {
		k.delivered[pc.Serial] = pc.Certificate.PublicKey.(*rsa.PublicKey)
	}
	return k
}

// PublicKey looks serial up among the delivered certificates, then the
// client's keys.
func (k deliveredKeys) PublicKey(serial string) (*rsa.PublicKey, bool) {
	if pub, ok := k.delivered[serial]; ok {
		return pub, true
	}
	return k.known.PublicKey(serial)
}

// Serials lists both, for the error naming an unknown serial.
func (k deliveredKeys) Serials() []string {
	s := k.known.Serials()
	for serial := range k.delivered {
		if _, ok := k.known.PublicKey(serial); !ok {
			s = append(s, serial)
		}
	}
	sort.Strings(s)
	return s
}
