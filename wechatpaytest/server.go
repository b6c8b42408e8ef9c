package wechatpaytest

import (
	"context"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
	// Platform is the platform certificate and its key (平台证书), the one
	// that signs; RotatePlatformCertificate replaces it, and Platforms
	// lists the valid ones.
	Platform *Identity
	// PublicKey is the WeChat Pay public key pair (微信支付公钥), named by
	// PublicKeyID.
	PublicKey *Identity
	// PublicKeyID is the public key's ID, "PUB_KEY_ID_…".
	PublicKeyID string
	// Secret is the APIv2 key; APIv3Key the APIv3 key.
	Secret, APIv3Key string

	mode           Mode
	srv            *httptest.Server
	tlsCert        *x509.Certificate // the HTTPS server's certificate; nil for plain HTTP
	tlsCertificate *tls.Certificate  // its key pair, kept by a data directory

	listener net.Listener // from WithListener; nil for 127.0.0.1:0
	addr     string       // the last address, from the data directory

	merchantSigner stdcrypto.Signer // from WithMerchantSigner; nil for a generated key

	// Options of the stateful sandbox.
	dataDir         string
	unlock          func() // drops the data directory's lock
	mchIDSet        bool
	strict          bool
	lenient         bool
	stateless       bool
	refundDelay     time.Duration
	notifyOpts      []NotifyOption
	rotationOverlap time.Duration
	onRequest       func(Received) // from OnRequest

	st *state   // orders, refunds, bills
	bg struct { // the server's own goroutines and timers, which Close stops
		mu     sync.Mutex
		closed bool
		ctx    context.Context
		cancel context.CancelFunc
		wg     sync.WaitGroup
		timers map[string]*time.Timer // refunds to complete, by out_refund_no
		client *http.Client           // sends the notifications of Pay and refunds
	}

	mu        sync.Mutex // guards the fields below, and Platform
	platforms []*Identity
	routes    []*route
	admin     []*route
	received  []*Received
	faults    []*armedFault
	now       func() time.Time
}

// Option configures NewServer and NewTLSServer.
type Option func(*Server)

// WithMode sets how the server signs its answers and what Config trusts.
func WithMode(m Mode) Option { return func(s *Server) { s.mode = m } }

// WithMchID sets the merchant ID (default "1900000109").
func WithMchID(id string) Option { return func(s *Server) { s.MchID, s.mchIDSet = id, true } }

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
// NewTLSServer. It panics when the server cannot start; Start returns the
// error instead.
func NewServer(opts ...Option) *Server {
	s, err := Start(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// NewTLSServer starts an HTTPS server on 127.0.0.1 with a self-signed
// certificate that the Config it hands out trusts. It asks every client for
// a certificate without requiring one, refuses any other than the merchant
// API certificate during the handshake, and answers the APIv2 endpoints
// that need the merchant certificate (security) only when it was presented,
// as WeChat Pay's mutual TLS does. It panics when the server cannot start;
// StartTLS returns the error instead.
func NewTLSServer(opts ...Option) *Server {
	s, err := StartTLS(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Start starts a plain HTTP server as NewServer does, and returns an error
// when it cannot (an address in use, a data directory that does not
// load): for programs, such as a command line's sandbox, rather than
// tests.
func Start(opts ...Option) (*Server, error) { return start(opts, false) }

// StartTLS starts an HTTPS server as NewTLSServer does, and returns an
// error when it cannot.
func StartTLS(opts ...Option) (*Server, error) { return start(opts, true) }

func start(opts []Option, useTLS bool) (*Server, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, prefixed(err)
	}
	if s.listener == nil {
		if s.listener, err = s.listen(); err != nil {
			s.releaseDataDir()
			return nil, prefixed(err)
		}
	}
	s.srv = &httptest.Server{Listener: s.listener, Config: &http.Server{Handler: s}}
	if useTLS {
		if s.tlsCertificate == nil {
			cert, err := serverCertificate()
			if err != nil {
				s.listener.Close()
				s.releaseDataDir()
				return nil, prefixed(err)
			}
			s.tlsCertificate = &cert
		}
		if s.tlsCert = s.tlsCertificate.Leaf; s.tlsCert == nil {
			if s.tlsCert, err = x509.ParseCertificate(s.tlsCertificate.Certificate[0]); err != nil {
				s.listener.Close()
				s.releaseDataDir()
				return nil, prefixed(err)
			}
		}
		pool := x509.NewCertPool()
		pool.AddCert(s.Merchant.Cert)
		s.srv.TLS = &tls.Config{
			Certificates: []tls.Certificate{*s.tlsCertificate},
			ClientAuth:   tls.VerifyClientCertIfGiven,
			ClientCAs:    pool,
			MinVersion:   tls.VersionTLS12,
		}
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL + "/"
	if s.dataDir != "" {
		s.mu.Lock()
		s.addr = s.listener.Addr().String()
		s.mu.Unlock()
		if err := s.save(); err != nil {
			s.Close()
			return nil, prefixed(fmt.Errorf("data directory: %w", err))
		}
	}
	// Refunds a restarted server left PROCESSING complete in their turn.
	for _, rf := range s.processingRefunds() {
		s.scheduleRefund(rf)
	}
	return s, nil
}

// listen opens a listener on the data directory's last address when it
// is free, else on 127.0.0.1 with a free port.
func (s *Server) listen() (net.Listener, error) {
	if s.addr != "" {
		if l, err := net.Listen("tcp", s.addr); err == nil {
			return l, nil
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		l, err = net.Listen("tcp6", "[::1]:0")
	}
	return l, err
}

func prefixed(err error) error {
	if strings.HasPrefix(err.Error(), "wechatpaytest: ") {
		return err
	}
	return fmt.Errorf("wechatpaytest: %w", err)
}

func (s *Server) processingRefunds() []string {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	var out []string
	for no, rf := range s.st.refunds {
		if rf.Status == refundProcessing {
			out = append(out, no)
		}
	}
	return out
}

func newServer(opts []Option) (*Server, error) {
	keys, err := sharedKeys()
	if err != nil {
		return nil, err
	}
	s := &Server{MchID: "1900000109", Secret: randomString(32), APIv3Key: randomString(32), now: time.Now,
		st: newState(), refundDelay: time.Second}
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
	s.platforms = []*Identity{s.Platform}
	for _, o := range opts {
		o(s)
	}
	if s.merchantSigner != nil {
		if s.dataDir != "" {
			return nil, errors.New("wechatpaytest: WithMerchantSigner and WithDataDir cannot be combined: a data directory keeps the merchant key itself")
		}
		if s.Merchant, err = newIdentity(s.merchantSigner, "merchant"); err != nil {
			return nil, err
		}
	}
	if s.dataDir != "" {
		if err := s.openDataDir(); err != nil {
			return nil, err
		}
	}
	s.bg.ctx, s.bg.cancel = context.WithCancel(context.Background())
	s.bg.timers = map[string]*time.Timer{}
	s.bg.client = &http.Client{Timeout: 10 * time.Second, Transport: http.DefaultTransport.(*http.Transport).Clone()}
	s.admin = s.adminRoutes()
	return s, nil
}

// OnRequest calls f with each request once it is answered (or its
// connection cut by a fault), from the goroutine that served it: a
// command line's sandbox logs a line per request with it. f must be safe
// for concurrent use and should return quickly.
func OnRequest(f func(Received)) Option { return func(s *Server) { s.onRequest = f } }

// WithStrictOrders answers the queries, closes and refunds of orders the
// server did not create as WeChat Pay answers them: 404 ORDER_NOT_EXIST,
// RESOURCE_NOT_EXISTS (APIv2: ORDERNOTEXIST, REFUNDNOTEXIST). Without it
// they get an answer generated from the catalog, as before the server kept
// state, so that a test may query any order; the orders it created are
// answered from its state either way.
func WithStrictOrders() Option { return func(s *Server) { s.strict = true } }

// WithoutState makes the server answer every endpoint from the catalog,
// as it did before it kept state: orders are not kept, so an out_trade_no
// may be reused freely and every query answers SUCCESS with made-up
// values. It is for tests written against that server (or sweeping the
// catalog's samples, which share their order numbers); Pay, refunds and
// the bills of the state have nothing to act on.
func WithoutState() Option { return func(s *Server) { s.stateless = true } }

// WithRefundDelay sets how long a refund stays PROCESSING before it
// succeeds on its own (default a second); a negative d leaves it
// PROCESSING until CompleteRefund.
func WithRefundDelay(d time.Duration) Option { return func(s *Server) { s.refundDelay = d } }

// WithNotifyOptions configures how the server sends the notifications of
// its own state (Pay, refunds): TimeScale to run WeChat Pay's retry
// schedule faster in a test, WithHTTPClient for an HTTPS receiver,
// OnAttempt to log attempts.
func WithNotifyOptions(opts ...NotifyOption) Option {
	return func(s *Server) { s.notifyOpts = append(s.notifyOpts, opts...) }
}

// Close shuts the server down, waiting for the requests in flight; it
// stops the notifications under way and the refunds waiting to succeed,
// and waits for its goroutines to end.
func (s *Server) Close() {
	s.srv.Close()
	s.bg.mu.Lock()
	s.bg.closed = true
	for no, t := range s.bg.timers {
		t.Stop()
		delete(s.bg.timers, no)
	}
	s.bg.mu.Unlock()
	s.bg.cancel()
	s.bg.wg.Wait()
	s.bg.client.CloseIdleConnections()
	s.releaseDataDir()
}

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
		for _, p := range s.Platforms() {
			certs[p.Serial] = p.Cert
		}
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
		p := s.platform()
		return p.Key, p.Serial
	}
	return s.PublicKey.Key, s.PublicKeyID
}

// Received is a request the server got.
type Received struct {
	// Method is the HTTP method.
	Method string
	// Target is the request target exactly as received (path and query).
	Target string
	// Host is the Host header, which Header does not hold.
	Host string
	// Header holds the request headers, but Host and Transfer-Encoding.
	Header http.Header
	// TransferEncoding holds the Transfer-Encoding header's codings
	// ("chunked" for a body sent without a length).
	TransferEncoding []string
	// Body is the request body as received.
	Body []byte
	// Route is the matched template, or "" when none matched.
	Route string
	// Status is the status code answered; 0 when the connection was cut
	// before an answer (a fault).
	Status int
	// Verified tells whether the request's signature held: the APIv3
	// Authorization or the APIv2 sign. It is false too when the request
	// was answered before its signature was checked: an unknown path, an
	// APIv2 security call without the merchant certificate.
	Verified bool
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

// record notes a request as received.
func (s *Server) record(rv Received) *Received {
	p := &rv
	s.mu.Lock()
	s.received = append(s.received, p)
	s.mu.Unlock()
	return p
}

// answered sets the status a recorded request was answered with, and
// whether its signature verified.
func (s *Server) answered(p *Received, status int, verified bool) {
	s.mu.Lock()
	p.Status, p.Verified = status, verified
	s.mu.Unlock()
}

// report hands a recorded request, once answered (or cut), to OnRequest.
func (s *Server) report(p *Received) {
	if s.onRequest == nil {
		return
	}
	s.mu.Lock()
	rv := *p
	s.mu.Unlock()
	s.onRequest(rv)
}

const alphanum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomString(n int) string {
	// One read of random bytes, each kept when below the largest multiple
	// of len(alphanum) (248), so that every character is equally likely.
	b := make([]byte, n)
	var pool [64]byte
	for i, j := 0, len(pool); i < n; j++ {
		if j == len(pool) {
			rand.Read(pool[:])
			j = 0
		}
		if c := pool[j]; int(c) < 256/len(alphanum)*len(alphanum) {
			b[i] = alphanum[int(c)%len(alphanum)]
			i++
		}
	}
	return string(b)
}
