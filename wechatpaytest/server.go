package wechatpaytest

import (
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
)

// Mode says how WeChat Pay's signatures are verified: with platform
// certificates (平台证书), with the WeChat Pay public key (微信支付公钥), or
// both, as during a migration.
type Mode int

const (
	// CertificateMode: answers are signed with the platform certificate's
	// key and name its serial.
	CertificateMode Mode = iota
	// PublicKeyMode: answers are signed with the WeChat Pay public key's key
	// and name its PUB_KEY_ID_….
	PublicKeyMode
	// BothModes: answers are signed as in PublicKeyMode, and the Config
	// trusts both.
	BothModes
)

// Server is a fake WeChat Pay listening on 127.0.0.1.
type Server struct {
	// URL is the base URL to give the client, with a trailing slash.
	URL string
	// MchID is the merchant ID the server expects.
	MchID string
	// Merchant is the merchant API certificate and key (商户API证书).
	Merchant *Identity
	// Platform is the platform certificate and its key (平台证书).
	Platform *Identity
	// PublicKey is the WeChat Pay public key pair (微信支付公钥), named by
	// PublicKeyID.
	PublicKey *Identity
	// PublicKeyID is the public key's ID, "PUB_KEY_ID_…".
	PublicKeyID string
	// Secret is the APIv2 key; APIv3Key the APIv3 key.
	Secret, APIv3Key string

	mode    Mode
	srv     *httptest.Server
	tlsCert *x509.Certificate // the HTTPS server's certificate; nil for plain HTTP

	listener net.Listener // from WithListener; nil for 127.0.0.1:0

	merchantSigner stdcrypto.Signer // from WithMerchantSigner; nil for a generated key

	mu       sync.Mutex
	routes   []*route
	received []*Received
	faults   []*armedFault
	now      func() time.Time
}

// Option configures NewServer and NewTLSServer.
type Option func(*Server)

// WithMode sets how the server signs its answers and what Config trusts.
func WithMode(m Mode) Option { return func(s *Server) { s.mode = m } }

// WithMchID sets the merchant ID (default "1900000109").
func WithMchID(id string) Option { return func(s *Server) { s.MchID = id } }

// WithClock makes the server read time from now, e.g. to test clock skew.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// WithListener makes the server accept on l instead of a new listener on
// 127.0.0.1 with a free port; Close closes it.
func WithListener(l net.Listener) Option { return func(s *Server) { s.listener = l } }

// WithMerchantSigner makes signer the merchant API private key, in place of
// a generated one: a key held in an HSM (crypto/pkcs11), say, which never
// leaves it. The server makes the merchant API certificate (Merchant.Cert)
// for signer's public key, signed by signer itself, and verifies requests
// with it; Config hands signer out as PrivateKey and as the key of the
// merchant TLS certificate. Merchant.Key is nil. signer must hold an RSA
// key; the server does not close it.
func WithMerchantSigner(signer stdcrypto.Signer) Option {
	return func(s *Server) { s.merchantSigner = signer }
}

// NewServer starts a plain HTTP server on 127.0.0.1. Close it when done.
// APIv2 calls that need the merchant certificate (security) need
// NewTLSServer.
func NewServer(opts ...Option) *Server {
	s := mustNewServer(opts)
	s.srv = s.unstarted()
	s.srv.Start()
	s.URL = s.srv.URL + "/"
	return s
}

// NewTLSServer starts an HTTPS server on 127.0.0.1 with a self-signed
// certificate that the Config it hands out trusts. It asks every client for
// a certificate without requiring one, refuses any other than the merchant
// API certificate during the handshake, and answers the APIv2 endpoints
// that need the merchant certificate (security) only when it was presented,
// as WeChat Pay's mutual TLS does.
func NewTLSServer(opts ...Option) *Server {
	s := mustNewServer(opts)
	cert, err := serverCertificate()
	if err != nil {
		panic("wechatpaytest: " + err.Error())
	}
	s.tlsCert = cert.Leaf
	pool := x509.NewCertPool()
	pool.AddCert(s.Merchant.Cert)
	s.srv = s.unstarted()
	s.srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}
	s.srv.StartTLS()
	s.URL = s.srv.URL + "/"
	return s
}

// unstarted returns the httptest server, on the listener of WithListener
// when there is one.
func (s *Server) unstarted() *httptest.Server {
	hs := httptest.NewUnstartedServer(s)
	if s.listener != nil {
		hs.Listener.Close()
		hs.Listener = s.listener
	}
	return hs
}

func mustNewServer(opts []Option) *Server {
	s, err := newServer(opts)
	if err != nil {
		panic("wechatpaytest: " + err.Error())
	}
	return s
}

func newServer(opts []Option) (*Server, error) {
	keys, err := sharedKeys()
	if err != nil {
		return nil, err
	}
	s := &Server{MchID: "1900000109", Secret: randomString(32), APIv3Key: randomString(32), now: time.Now}
	if s.Merchant, err = newIdentity(keys[0], "merchant"); err != nil {
		return nil, err
	}
	if s.Platform, err = newIdentity(keys[1], "wechatpay platform"); err != nil {
		return nil, err
	}
	if s.PublicKey, err = newIdentity(keys[2], "wechatpay public key"); err != nil {
		return nil, err
	}
	n, _ := rand.Int(rand.Reader, big.NewInt(1e18))
	s.PublicKeyID = fmt.Sprintf("PUB_KEY_ID_01%018d", n)
	for _, o := range opts {
		o(s)
	}
	if s.merchantSigner != nil {
		if s.Merchant, err = newIdentity(s.merchantSigner, "merchant"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Close shuts the server down, waiting for the requests in flight.
func (s *Server) Close() { s.srv.Close() }

// CloseClientConnections closes the connections clients hold to the
// server, as a server closing idle keep-alive connections does.
func (s *Server) CloseClientConnections() { s.srv.CloseClientConnections() }

// Mode returns how the server signs its answers.
func (s *Server) Mode() Mode { return s.mode }

// Config returns a client Config for this server in its Mode: merchant
// identity, the keys that verify the server's answers, the APIv2 and APIv3
// keys, the merchant TLS certificate, and the base URL (trusting the
// server's certificate when it is a TLS server).
func (s *Server) Config() wechatpay.Config { return s.ConfigFor(s.mode) }

// ConfigFor returns a client Config trusting the keys of mode m.
func (s *Server) ConfigFor(m Mode) wechatpay.Config {
	certs := map[string]any{}
	if m == CertificateMode || m == BothModes {
		certs[s.Platform.Serial] = s.Platform.Cert
	}
	if m == PublicKeyMode || m == BothModes {
		certs[s.PublicKeyID] = &s.PublicKey.Key.PublicKey
	}
	cfg := wechatpay.Config{
		MchID:      s.MchID,
		Serial:     s.Merchant.Serial,
		PrivateKey: s.Merchant.Key,
		Certs:      certs,
		Secret:     crypto.NewSecret(s.Secret),
		APIv3Key:   crypto.NewSecret(s.APIv3Key),
		Merchant:   &wechatpay.MerchantCert{Cert: s.Merchant.CertPEM(), Key: s.Merchant.KeyPEM()},
		BaseURL:    s.URL,
	}
	if s.merchantSigner != nil {
		cfg.PrivateKey = s.merchantSigner
		cfg.Merchant.Key = s.merchantSigner
	}
	if s.tlsCert != nil {
		cfg.TLSConfig = &tls.Config{RootCAs: s.CertPool()}
	}
	return cfg
}

// CertPool returns a pool holding the HTTPS server's certificate, or nil
// for a plain HTTP server.
func (s *Server) CertPool() *x509.CertPool {
	if s.tlsCert == nil {
		return nil
	}
	pool := x509.NewCertPool()
	pool.AddCert(s.tlsCert)
	return pool
}

// TLSCertificatePEM returns the HTTPS server's certificate as PEM, or nil
// for a plain HTTP server.
func (s *Server) TLSCertificatePEM() []byte {
	if s.tlsCert == nil {
		return nil
	}
	return (&Identity{Cert: s.tlsCert}).CertPEM()
}

// answerKey returns the key answers are signed with and the serial they name.
func (s *Server) answerKey() (*rsa.PrivateKey, string) {
	if s.mode == CertificateMode {
		return s.Platform.Key, s.Platform.Serial
	}
	return s.PublicKey.Key, s.PublicKeyID
}

// Received is a request the server got.
type Received struct {
	// Method is the HTTP method.
	Method string
	// Target is the request target exactly as received (path and query).
	Target string
	// Header holds the request headers.
	Header http.Header
	// Body is the request body as received.
	Body []byte
	// Route is the matched template, or "" when none matched.
	Route string
	// Status is the status code answered; 0 when the connection was cut
	// before an answer (a fault).
	Status int
}

// Received returns the requests received so far, oldest first.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.received))
	for i, r := range s.received {
		out[i] = *r
	}
	return out
}

// Count returns how many requests were received for the route (a template
// as in HandleFunc, optionally prefixed by a method: "POST v3/refund/domestic/refunds").
func (s *Server) Count(route string) int {
	method, template := splitRoute(route)
	n := 0
	for _, r := range s.Received() {
		if r.Route == template && (method == "" || method == r.Method) {
			n++
		}
	}
	return n
}

// Reset forgets the received requests.
func (s *Server) Reset() {
	s.mu.Lock()
	s.received = nil
	s.mu.Unlock()
}

// record notes a request as received and returns a function that sets the
// status it was answered with.
func (s *Server) record(rv Received) func(status int) {
	p := &rv
	s.mu.Lock()
	s.received = append(s.received, p)
	s.mu.Unlock()
	return func(status int) {
		s.mu.Lock()
		p.Status = status
		s.mu.Unlock()
	}
}

const alphanum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		x, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alphanum))))
		b[i] = alphanum[x.Int64()]
	}
	return string(b)
}
