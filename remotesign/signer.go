package remotesign

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/wechatpay-go/wechatpay/middleware"
)

// DefaultTimeout bounds a call to the service made without a deadline of its
// own (by Sign) when Signer.Client is nil.
const DefaultTimeout = 10 * time.Second

// maxAnswer caps the answer read from the service: a signature is a few
// hundred bytes.
const maxAnswer = 64 << 10

// defaultClient is used when Signer.Client is nil.
var defaultClient = &http.Client{Timeout: DefaultTimeout}

// Signer asks a central signing service for each APIv3 request's signature,
// in the wire format described in the package documentation. It implements
// crypto.Signer, middleware.ContextSigner and middleware.MessageSigner;
// wechatpay.Config.PrivateKey takes it. A Signer is safe for concurrent use
// once its fields are set.
type Signer struct {
	// URL is the service's signing endpoint, e.g.
	// "http://signer.internal:8080/v1/sign".
	URL string

	// MchID is the merchant ID (商户号) sent to the service as "mchid".
	MchID string

	// Serial is the merchant API certificate serial number
	// (商户API证书序列号) sent to the service as "serial_no".
	Serial string

	// PublicKey, when set, is the public key of the merchant API
	// certificate. Public returns it, and every signature the service
	// returns is verified with it before it is used.
	PublicKey *rsa.PublicKey

	// DigestOnly sends only the SHA-256 digest of the string to sign
	// ("digest"), never the string itself ("message").
	DigestOnly bool

	// Client calls the service; nil means a client whose timeout is
	// DefaultTimeout. Set it to call the service with mutual TLS, through a
	// proxy, and so on.
	Client *http.Client

	// Header is added to every call to the service, e.g. the Authorization
	// the service expects.
	Header http.Header
}

// request is the JSON body sent to the service.
type request struct {
	MchID   string `json:"mchid"`
	Serial  string `json:"serial_no"`
	Message []byte `json:"message,omitempty"` // base64 by encoding/json
	Digest  []byte `json:"digest,omitempty"`
}

// answer is the JSON body of the service's 200 answer.
type answer struct {
	Signature string `json:"signature"`
}

// Public returns PublicKey, or nil when it is not set.
func (s *Signer) Public() stdcrypto.PublicKey {
	if s.PublicKey == nil {
		return nil
	}
	return s.PublicKey
}

// Sign asks the service to sign digest, a SHA-256 hash, with RSA PKCS#1
// v1.5; opts must be crypto.SHA256. The call is bounded by the Client's
// timeout; use SignContext to bound it by a context. rand is not used.
func (s *Signer) Sign(rand io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	return s.SignContext(context.Background(), rand, digest, opts)
}

// SignContext is Sign under ctx, which bounds the call to the service.
func (s *Signer) SignContext(ctx context.Context, _ io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	if _, pss := opts.(*rsa.PSSOptions); pss || opts == nil || opts.HashFunc() != stdcrypto.SHA256 {
		return nil, errors.New("remotesign: only RSA PKCS#1 v1.5 signatures of SHA-256 digests are supported")
	}
	if len(digest) != sha256.Size {
		return nil, fmt.Errorf("remotesign: the digest is %d bytes long, want %d (SHA-256)", len(digest), sha256.Size)
	}
	return s.call(ctx, request{MchID: s.MchID, Serial: s.Serial, Digest: digest}, digest)
}

// SignMessage asks the service to sign message, the string to sign of an
// APIv3 request, with RSA PKCS#1 v1.5 and SHA-256. Unless DigestOnly is set,
// the service receives message itself. ctx bounds the call.
func (s *Signer) SignMessage(ctx context.Context, message []byte) ([]byte, error) {
	if len(message) == 0 {
		return nil, errors.New("remotesign: empty message")
	}
	digest := sha256.Sum256(message)
	req := request{MchID: s.MchID, Serial: s.Serial, Message: message}
	if s.DigestOnly {
		req.Message, req.Digest = nil, digest[:]
	}
	return s.call(ctx, req, digest[:])
}

// Middleware returns a "signer" step that signs through the service, for a
// stack built by hand or to replace a client's step:
//
//	client.Stack(wechatpay.APIv3).Replace("signer", s.Middleware())
func (s *Signer) Middleware() middleware.Middleware {
	return middleware.Signer(s.MchID, s.Serial, s)
}

// call posts req and returns the signature, checked against digest when
// PublicKey is set.
func (s *Signer) call(ctx context.Context, req request, digest []byte) ([]byte, error) {
	if s.URL == "" {
		return nil, errors.New("remotesign: Signer.URL is empty")
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("remotesign: %w", err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("remotesign: %w", err)
	}
	for k, vs := range s.Header {
		hreq.Header[k] = append([]string(nil), vs...)
	}
	hreq.Header.Set("Content-Type", "application/json")
	hreq.Header.Set("Accept", "application/json")
	client := s.Client
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(hreq)
	if err != nil {
		return nil, fmt.Errorf("remotesign: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("remotesign: reading the answer of %s: %w", redactURL(s.URL), err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("remotesign: %s answered %s: %s", redactURL(s.URL), resp.Status, excerpt(data))
	}
	var a answer
	if err := json.Unmarshal(data, &a); err != nil {
		return nil, fmt.Errorf("remotesign: %s answered 200 without a JSON signature: %s", redactURL(s.URL), excerpt(data))
	}
	sig, err := base64.StdEncoding.DecodeString(a.Signature)
	if err != nil || len(sig) == 0 {
		return nil, fmt.Errorf("remotesign: %s answered a signature that is not base64: %s", redactURL(s.URL), excerpt([]byte(a.Signature)))
	}
	if s.PublicKey != nil {
		if err := rsa.VerifyPKCS1v15(s.PublicKey, stdcrypto.SHA256, digest, sig); err != nil {
			return nil, fmt.Errorf("remotesign: the signature from %s does not verify with Signer.PublicKey (is the service signing with the key of merchant %s, certificate %s?)", redactURL(s.URL), s.MchID, s.Serial)
		}
	}
	return sig, nil
}

// excerpt quotes the start of a service's answer for an error message, with
// control characters replaced.
func excerpt(b []byte) string {
	const max = 200
	s := string(b)
	cut := len(s) > max
	if cut {
		s = s[:max]
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if cut {
		s += "…"
	}
	if s == "" {
		return "(empty)"
	}
	return fmt.Sprintf("%q", s)
}
