package wechatpay

import (
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"sort"
	"sync"
	"time"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/internal/transport"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// DefaultBaseURL is WeChat Pay's API domain.
const DefaultBaseURL = "https://api.mch.weixin.qq.com/"

// DefaultBackupBaseURL is WeChat Pay's backup domain (备用域名), tried when
// api.mch.weixin.qq.com cannot be reached.
const DefaultBackupBaseURL = transport.DefaultBackupBaseURL

// Defaults applied by New to zero Config fields.
const (
	DefaultTimeout         = 30 * time.Second
	DefaultConnectTimeout  = 10 * time.Second
	DefaultIdleConnTimeout = 30 * time.Second
	DefaultMaxResponseSize = 32 << 20
	DefaultMaxIdleConns    = 16
)

// Config is what New needs to build a Client. Its fields match the keys of
// wechatpay-php's Builder::factory array, given in brackets.
//
// An APIv3 client needs MchID, Serial, PrivateKey and Certs, or APIv3Key in
// place of Certs (certificate mode, see Certs); an APIv2 client needs Secret
// (and MchID, to have each call's mch_id checked). A client may serve one
// protocol only: a call that needs what is not configured fails with a
// clear error.
//
// Config redacts its secrets when printed with fmt or log, encoded with
// encoding/json or logged with log/slog.
type Config struct {
	// MchID is the merchant ID (商户号) [mchid].
	MchID string

	// Serial is the serial number of the merchant API certificate
	// (商户API证书序列号) [serial].
	Serial string

	// PrivateKey is the merchant API private key (商户API私钥) [privateKey]:
	// a crypto.Signer, such as an *rsa.PrivateKey or a KMS/HSM key; a path
	// or "file://" path; or PEM text (or a "private.pkcs1://…" /
	// "private.pkcs8://…" form) as a string, []byte or crypto.Secret; or
	// a key URI that crypto.LoadSigner opens, such as the PKCS#11 URI
	// (RFC 7512) "pkcs11:token=…;object=…" of a key in an HSM, once the
	// crypto/pkcs11 package is imported (docs/signing.md). Client.Close
	// closes a signer New opened from a URI.
	//
	// Prefer a path, a loaded key or a crypto.Secret to PEM text in a plain
	// string: fmt prints a Config held in an unexported struct field field by
	// field, and a plain string would show there; those three never do. The
	// same goes for a key URI that carries its PIN (pin-value).
	PrivateKey any

	// Certs maps WeChat Pay's platform certificate serials (平台证书序列号)
	// and public key IDs (微信支付公钥ID, "PUB_KEY_ID_…") to what verifies
	// their signatures [certs]: an *rsa.PublicKey, an *x509.Certificate, or a
	// string or []byte crypto.LoadPublicKey or crypto.ParsePublicKey accepts.
	// Both kinds may be mixed, as during a migration to public keys.
	//
	// Certs may be empty when APIv3Key is set: the client is then in
	// certificate mode (平台证书模式). It downloads the platform certificates
	// itself on first use, one download however many goroutines call at
	// once, decrypting them with APIv3Key and verifying the answer with
	// them; until it holds one a call fails unsent, with ErrNoCertificates.
	// It looks for new ones when an answer or a notification names a serial
	// it does not know (a rotation), at most once per
	// CertificateRefresh.UnknownSerialInterval, and checks for newer ones
	// every CertificateRefresh.Interval. Setting CertificateStore puts a
	// client in certificate mode too, Certs then adding to what it
	// downloads. See docs/scaling.md.
	Certs map[string]any

	// Secret is the APIv2 key (APIv2密钥) [secret].
	Secret crypto.Secret

	// APIv3Key is the APIv3 key (APIv3密钥), which decrypts notifications
	// and downloaded platform certificates.
	APIv3Key crypto.Secret

	// CertificateStore, in certificate mode, is where the platform
	// certificates are shared with the other clients of the merchant, in
	// this process or others, so that one of them downloads for all: a
	// MemoryCertificateStore shared by the clients of a process, or a
	// redisstore.Store for many. Each client verifies what it reads there as
	// if it had downloaded it. Nil gives each client a store of its own.
	// Setting it needs APIv3Key. See docs/scaling.md.
	CertificateStore CertificateStore

	// CertificateRefresh tunes certificate mode: how often the platform
	// certificates are checked, the store's lease, the bound on downloads
	// caused by unknown serials, and the callbacks that report errors and
	// updates. Zero fields take their defaults.
	CertificateRefresh CertificateRefresh

	// CertificatesPath is the chain that lists the platform certificates,
	// for FetchCertificates and certificate mode: "v3/certificates", or
	// "v3/global/certificates" for cross-border merchants (境外商户), which is
	// the default when BaseURL's host is apihk.mch.weixin.qq.com.
	CertificatesPath string

	// Merchant is the merchant API certificate and key used as a TLS client
	// certificate by APIv2 calls made with Security [merchant]. It is
	// presented whatever CA names the server sends; a server refusing it
	// fails the call with ErrMerchantCertRejected, not sent.
	Merchant *MerchantCert

	// BaseURL is where calls go [base_uri]; DefaultBaseURL when empty. A
	// call's Options.BaseURL overrides it.
	BaseURL string

	// Timeout bounds one call, from sending to the end of the answer;
	// DefaultTimeout when zero. A call's Options.Timeout or context deadline
	// may shorten it.
	Timeout time.Duration

	// ConnectTimeout bounds the TCP connect and TLS handshake;
	// DefaultConnectTimeout when zero.
	ConnectTimeout time.Duration

	// WriteTimeout bounds writing a request, ReadTimeout reading its
	// answer; zero leaves only Timeout.
	WriteTimeout, ReadTimeout time.Duration

	// IdleConnTimeout is how long an idle keep-alive connection is kept;
	// DefaultIdleConnTimeout when zero. One whose socket cannot be checked
	// before reuse (see DialContext) is reused only within 2 seconds.
	IdleConnTimeout time.Duration

	// MaxIdleConns is the number of idle connections kept per host;
	// DefaultMaxIdleConns when zero.
	MaxIdleConns int

	// MaxConnsPerHost bounds the connections open to one host (idle, in
	// use or being dialled). A call beyond it waits for a connection to
	// come free, in the order the calls came, until its context or timeout
	// ends (a *TransportError with Sent false: nothing was sent). Zero:
	// no bound, every call in flight has its own connection, as with
	// net/http's transport.
	MaxConnsPerHost int

	// MaxResponseSize caps an answer body held in memory (downloads to a sink
	// are not capped); DefaultMaxResponseSize when zero.
	MaxResponseSize int64

	// UserAgent replaces the User-Agent header, which by default names this
	// SDK, Go and the operating system.
	UserAgent string

	// TLSConfig, when set, is the base TLS configuration, for example to
	// trust a private CA in tests.
	TLSConfig *tls.Config

	// DialContext, when set, makes the TCP connections (to the proxy, when
	// Proxy is set).
	//
	// Before reusing an idle keep-alive connection the client checks that
	// the server has not closed it, on the socket under the connection's
	// wrappers (TLS, proxy tunnels). When DialContext returns a wrapper,
	// give it a NetConn() net.Conn method returning the connection it wraps
	// (as tls.Conn has), or have it implement syscall.Conn; otherwise the
	// socket cannot be reached, and the connection is reused only within 2
	// seconds of its last use: a later call dials a new one.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)

	// BackupBaseURL is where a call goes, once, when it cannot connect to
	// its base URL's host (the TCP connection or the TLS handshake failed,
	// so nothing was sent: TransportError.Sent is false). Only its scheme
	// and host are used. Calls to api.mch.weixin.qq.com fall back to
	// DefaultBackupBaseURL (api2.mch.weixin.qq.com, 备用域名) unless this is
	// set; calls to other hosts have no backup unless this is set, and then
	// for BaseURL's host only. A request that may have reached WeChat Pay is
	// never sent again: see TransportError.Sent.
	BackupBaseURL string

	// NoBackup turns the backup domain off.
	NoBackup bool

	// Proxy, when set, sends every connection through a proxy server (代理):
	//
	//	http://[user:password@]host:port     HTTP CONNECT tunnel
	//	https://[user:password@]host:port    the same, over TLS to the proxy
	//	socks5://[user:password@]host:port   SOCKS5, host names resolved here
	//	socks5h://[user:password@]host:port  SOCKS5, host names resolved by the proxy
	//
	// TLS to WeChat Pay runs end to end inside the tunnel. ConnectTimeout
	// and each call's timeout bound the proxy handshake too. Idle
	// connections are checked before reuse through the tunnel. The
	// password never prints.
	//
	// When Proxy is empty, the proxy is taken from the environment as
	// net/http does (golang.org/x/net/http/httpproxy): HTTPS_PROXY for
	// https URLs, HTTP_PROXY for http URLs, and NO_PROXY naming the hosts
	// reached directly (upper or lower case; loopback addresses and
	// localhost are always reached directly). The variables are read once,
	// by New; the proxy is chosen for each host called, the backup domain
	// included. Proxy "direct" reaches every host directly, whatever the
	// environment says.
	Proxy string

	// Retry, when set, sends a call again when that is safe and worth it:
	// always when nothing was sent (the connection could not be made), and
	// for GET calls, or calls given the Idempotent option, also after a
	// cut connection, a timeout, a 5xx or a 429 answer, with growing waits
	// that honour Retry-After. Config.Timeout (or the timeout option) and
	// the call's context bound all attempts together. nil: every call is
	// made once. See RetryPolicy and docs/operations.md.
	Retry *RetryPolicy

	// Logger, when set, receives one record per call: its method, path
	// template, status, Request-ID, duration, number of attempts and, for
	// a failure, the class of its error. Bodies are added at the debug
	// level, their sensitive fields and anything that looks like
	// ciphertext redacted; keys, signatures and the Authorization header
	// never are. nil: no records. See docs/operations.md.
	Logger *slog.Logger
}

// RetryPolicy says how often, and how long apart, a call is sent again;
// see Config.Retry and middleware.RetryPolicy.
type RetryPolicy = middleware.RetryPolicy

// RetryError is the error of a call made more than once: Attempts says how
// many attempts were made, Errs what each met (errors.Is and errors.As
// reach every one, the last first).
type RetryError = middleware.RetryError

// ProxyDirect, as Config.Proxy, reaches every host directly, whatever the
// environment's HTTPS_PROXY and HTTP_PROXY say.
const ProxyDirect = "direct"

// MerchantCert is the merchant API certificate (apiclient_cert.pem) and its
// private key (apiclient_key.pem), or both in apiclient_cert.p12.
type MerchantCert struct {
	// Cert is an *x509.Certificate, or a string or []byte that
	// crypto.LoadCertificate or crypto.ParseCertificate accepts.
	Cert any
	// Key takes the same forms as Config.PrivateKey.
	Key any
	// PKCS12, in place of Cert and Key, is apiclient_cert.p12 (PKCS#12): a
	// path or "file://" path, or the file's bytes (DER, or base64 of it, as
	// a []byte or a string).
	PKCS12 any
	// Password unlocks PKCS12. When empty the merchant ID (Config.MchID) is
	// used, as WeChat Pay locks apiclient_cert.p12 with it.
	Password crypto.Secret
}

// ErrConfig matches every *ConfigError.
var ErrConfig = errors.New("wechatpay: invalid Config")

// ConfigError reports a Config field New cannot use.
type ConfigError struct {
	// Field is the Config field, e.g. "Serial" or `Certs["PUB_KEY_ID_…"]`.
	Field string
	// Problem says what is wrong and how to fix it.
	Problem string
	// Err is the underlying cause, if any.
	Err error
}

func (e *ConfigError) Error() string {
	msg := "wechatpay: Config." + e.Field + ": " + e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrConfig) true.
func (e *ConfigError) Is(target error) bool { return target == ErrConfig }

// Errors of calls that need what the Config does not have.
var (
	// ErrAPIv3NotConfigured: an APIv3 call on a client without MchID,
	// Serial, PrivateKey and Certs.
	ErrAPIv3NotConfigured = errors.New("wechatpay: APIv3 calls need Config.MchID, Serial, PrivateKey and Certs (or APIv3Key)")
	// ErrAPIv2NotConfigured: an APIv2 call on a client without Secret.
	ErrAPIv2NotConfigured = errors.New("wechatpay: APIv2 calls need Config.Secret (the APIv2 key)")
)

// Protocol names one of the two WeChat Pay protocols, for Client.Stack.
type Protocol string

// The two protocols.
const (
	APIv2 Protocol = "v2"
	APIv3 Protocol = "v3"
)

// Client calls WeChat Pay. It is safe for concurrent use; make one per
// merchant and keep it. PHP: the object Builder::factory returns.
type Client struct {
	mchid     string
	base      *url.URL
	baseStr   string // base.String(), made once
	timeout   time.Duration
	userAgent string
	v3ok      bool
	v2ok      bool
	keys      *middleware.Keys
	signer    stdcrypto.Signer // the merchant API private key: notification replies, payment signatures, DecryptSensitive
	serial    string           // the merchant API certificate serial
	secret    crypto.Secret    // the APIv2 key
	apiv3Key  crypto.Secret
	stacks    map[Protocol]*middleware.Stack
	handlers  map[Protocol]middleware.Handler
	transport *transport.Transport
	logger    *slog.Logger // nil: no records
	certPath  string       // the chain that lists platform certificates
	certs     *certManager // in certificate mode; nil otherwise

	// life ends when the client is closed; background work (certificate
	// refresh) runs under it and is counted in bg, which Close waits for.
	life   context.Context
	end    context.CancelFunc
	lifeMu sync.Mutex
	closed bool
	bg     sync.WaitGroup
	owned  []io.Closer // signers New opened from key URIs, closed by Close
}

// New builds a Client from cfg, checking it first: every problem found is
// reported, each as a *ConfigError (errors.Is(err, ErrConfig) holds).
// PHP: Builder::factory.
func New(cfg Config) (*Client, error) {
	var errs []error
	bad := func(field, problem string, err error) {
		errs = append(errs, &ConfigError{Field: field, Problem: problem, Err: err})
	}

	c := &Client{mchid: cfg.MchID, apiv3Key: cfg.APIv3Key, secret: cfg.Secret, serial: cfg.Serial, stacks: map[Protocol]*middleware.Stack{}, handlers: map[Protocol]middleware.Handler{}}

	// APIv3: all four or none.
	var signer stdcrypto.Signer
	var keys []middleware.KeyInfo
	if cfg.Serial != "" || cfg.PrivateKey != nil || len(cfg.Certs) > 0 {
		c.v3ok = true
		if cfg.MchID == "" {
			bad("MchID", "is empty: set it to your merchant ID (商户号), needed by APIv3 calls", nil)
		}
		if cfg.Serial == "" {
			bad("Serial", "is empty: set it to the serial number of your merchant API certificate (商户API证书序列号)", nil)
		}
		if cfg.PrivateKey == nil {
			bad("PrivateKey", "is empty: set it to your merchant API private key (apiclient_key.pem)", nil)
		} else if s, err := loadSigner(cfg.PrivateKey); err != nil {
			bad("PrivateKey", "cannot be used", err)
		} else {
			signer = s
			c.adopt(cfg.PrivateKey, s)
		}
		if len(cfg.Certs) == 0 && cfg.APIv3Key.IsZero() {
			bad("Certs", "is empty: add WeChat Pay's public key (by its PUB_KEY_ID_…) or platform certificate (by its serial), or set APIv3Key to have the client download the platform certificates", nil)
		}
		keys = loadCerts(cfg.Certs, cfg.Serial, bad)
	}
	c.keys = middleware.NewKeys(nil)
	c.keys.Update(keys)
	c.signer, c.serial = signer, cfg.Serial

	if !cfg.Secret.IsZero() {
		c.v2ok = true
		if n := cfg.Secret.Len(); n != 32 {
			bad("Secret", fmt.Sprintf("is %d bytes long: the APIv2 key (APIv2密钥) is 32 characters", n), nil)
		}
	}
	if !cfg.APIv3Key.IsZero() {
		if n := cfg.APIv3Key.Len(); n != 32 {
			bad("APIv3Key", fmt.Sprintf("is %d bytes long: the APIv3 key (APIv3密钥) is 32 characters", n), nil)
		}
	}
	certMode := c.v3ok && !cfg.APIv3Key.IsZero() && (len(cfg.Certs) == 0 || cfg.CertificateStore != nil)
	if cfg.CertificateStore != nil && (!c.v3ok || cfg.APIv3Key.IsZero()) {
		bad("CertificateStore", "needs APIv3 (MchID, Serial, PrivateKey) and APIv3Key, which decrypts the certificates it shares", nil)
	}
	switch cfg.CertificatesPath {
	case "", certificatesPathV3, globalCertificatesPath:
	default:
		bad("CertificatesPath", fmt.Sprintf("is %q: use %q, or %q for cross-border merchants (境外商户)", cfg.CertificatesPath, certificatesPathV3, globalCertificatesPath), nil)
	}
	if !c.v3ok && !c.v2ok {
		bad("Secret", "and the APIv3 fields are all empty: configure APIv3 (MchID, Serial, PrivateKey, Certs), APIv2 (Secret), or both", nil)
	}

	base := cfg.BaseURL
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := parseBaseURL(base)
	if err != nil {
		bad("BaseURL", "is not an absolute http(s) URL", err)
	}
	c.base = u
	if u != nil {
		c.baseStr = u.String()
	}
	c.certPath = cfg.CertificatesPath
	if c.certPath == "" {
		c.certPath = certificatesPath(u)
	}

	var backups transport.Backups
	if !cfg.NoBackup {
		var custom *url.URL
		if cfg.BackupBaseURL != "" {
			custom, err = parseBaseURL(cfg.BackupBaseURL)
			if err == nil && u == nil {
				err = errors.New("there is no valid BaseURL to back up")
			}
			if err != nil {
				bad("BackupBaseURL", "is not an absolute http(s) URL", err)
			}
		}
		backups = transport.NewBackups(u, custom)
	}
	var proxy *transport.Proxy
	var envProxy *transport.EnvProxy
	switch cfg.Proxy {
	case "":
		if envProxy, err = transport.ProxyFromEnvironment(); err != nil {
			bad("Proxy", "is empty, and the environment's proxy cannot be used (set Proxy, or Proxy \"direct\" to ignore the environment)", err)
		}
	case ProxyDirect:
	default:
		if proxy, err = transport.ParseProxy(cfg.Proxy); err != nil {
			bad("Proxy", err.Error(), nil)
		}
	}
	if r := cfg.Retry; r != nil && (r.MaxAttempts < 0 || r.BaseDelay < 0 || r.MaxDelay < 0 || r.AttemptTimeout < 0) {
		bad("Retry", "has a negative field: MaxAttempts, BaseDelay, MaxDelay and AttemptTimeout are zero (the default) or positive", nil)
	}
	if cfg.MaxConnsPerHost < 0 {
		bad("MaxConnsPerHost", "is negative: zero (no bound) or a positive number of connections", nil)
	}
	var merchantCert *tls.Certificate
	if cfg.Merchant != nil {
		cert, err := loadMerchantCert(cfg.Merchant, cfg.MchID)
		if err != nil {
			bad("Merchant", "cannot be used", err)
		} else {
			c.adopt(cfg.Merchant.Key, cert.PrivateKey)
			merchantCert = &cert
		}
	}
	if len(errs) > 0 {
		c.closeOwned()
		return nil, errors.Join(errs...)
	}

	c.life, c.end = context.WithCancel(context.Background())
	c.timeout = orDefault(cfg.Timeout, DefaultTimeout)
	c.userAgent = cfg.UserAgent
	if c.userAgent == "" {
		c.userAgent = defaultUserAgent()
	}
	maxBody := cfg.MaxResponseSize
	if maxBody <= 0 {
		maxBody = DefaultMaxResponseSize
	}
	maxIdle := cfg.MaxIdleConns
	if maxIdle <= 0 {
		maxIdle = DefaultMaxIdleConns
	}
	c.transport, err = transport.New(transport.Options{
		Dial:            cfg.DialContext,
		Proxy:           proxy,
		EnvProxy:        envProxy,
		TLSConfig:       cfg.TLSConfig,
		MerchantCert:    merchantCert,
		Backups:         backups,
		ConnectTimeout:  orDefault(cfg.ConnectTimeout, DefaultConnectTimeout),
		IdleConnTimeout: orDefault(cfg.IdleConnTimeout, DefaultIdleConnTimeout),
		WriteTimeout:    cfg.WriteTimeout,
		ReadTimeout:     cfg.ReadTimeout,
		MaxIdleConns:    maxIdle,
		MaxConnsPerHost: cfg.MaxConnsPerHost,
		MaxBodySize:     maxBody,
	})
	if err != nil {
		c.closeOwned()
		return nil, &ConfigError{Field: "Proxy", Problem: "cannot be used", Err: err}
	}

	c.logger = cfg.Logger
	v3 := &middleware.Stack{}
	v2 := &middleware.Stack{}
	if cfg.Retry != nil {
		// Outermost, outside the signing steps: every attempt is signed
		// afresh, and steps added with Unshift see the call once.
		retry := middleware.Retry(*cfg.Retry, transport.Permanent...)
		v3.Push("retry", retry)
		v2.Push("retry", retry)
	}
	if c.v3ok {
		verifier := middleware.Verifier(c.keys)
		if certMode {
			c.certs = newCertManager(c, cfg.CertificateStore, cfg.CertificateRefresh)
			verifier = c.certs.verifier()
		}
		v3.Push("verifier", verifier)
		v3.Push("http_errors", middleware.HTTPErrors())
		v3.Push(stepSerial, serialHeader(c.keys))
		v3.Push("signer", middleware.Signer(cfg.MchID, cfg.Serial, signer))
	} else {
		v3.Push("http_errors", middleware.HTTPErrors())
	}
	v2.Push("transform_response", middleware.TransformResponse(cfg.Secret))
	v2.Push("http_errors", middleware.HTTPErrors())
	v2.Push("transform_request", middleware.TransformRequest(cfg.MchID, cfg.Secret))
	for p, s := range map[Protocol]*middleware.Stack{APIv3: v3, APIv2: v2} {
		c.stacks[p] = s
		c.handlers[p] = s.Handler(c.transport)
	}
	return c, nil
}

// Stack returns the middleware stack of a protocol, to customise: insert a
// logger before "signer", replace "signer" with a remote signer, and so on.
// Edits apply to the calls that start after them. PHP: $instance->getDriver()->select('v2').
func (c *Client) Stack(p Protocol) *middleware.Stack { return c.stacks[p] }

// Keys returns the WeChat Pay public keys the client verifies with, keyed by
// platform certificate serial or public key ID. It may be updated while the
// client is in use, as when platform certificates rotate.
func (c *Client) Keys() *middleware.Keys { return c.keys }

// MchID returns the configured merchant ID.
func (c *Client) MchID() string { return c.mchid }

// Close closes idle connections and makes later calls fail. Calls in flight
// finish first. Background work the client started, such as a certificate
// refresh, is stopped, and Close returns once it has ended. A signer New
// opened from a key URI in Config (a PKCS#11 token session) is closed too.
// Close may be called more than once.
func (c *Client) Close() error {
	c.lifeMu.Lock()
	c.closed = true
	c.lifeMu.Unlock()
	c.end()
	c.transport.Close()
	c.bg.Wait()
	return c.closeOwned()
}

// goBackground runs fn in a goroutine under the client's lifetime, which
// Close ends and waits for. It fails when the client is closed.
func (c *Client) goBackground(fn func(life context.Context)) error {
	c.lifeMu.Lock()
	defer c.lifeMu.Unlock()
	if c.closed {
		return transport.ErrClosed
	}
	c.bg.Add(1)
	go func() {
		defer c.bg.Done()
		fn(c.life)
	}()
	return nil
}

// CloseIdleConnections closes the connections kept for reuse; the client
// stays usable.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// adopt takes ownership of key when New opened it from a key URI (a
// string or crypto.Secret, not a signer the caller made and owns) and it
// holds resources, such as a PKCS#11 token session.
func (c *Client) adopt(given any, key any) {
	if _, callers := given.(stdcrypto.Signer); callers {
		return
	}
	if cl, ok := key.(io.Closer); ok {
		c.owned = append(c.owned, cl)
	}
}

// closeOwned closes the signers New opened, once.
func (c *Client) closeOwned() error {
	c.lifeMu.Lock()
	owned := c.owned
	c.owned = nil
	c.lifeMu.Unlock()
	var errs []error
	for _, cl := range owned {
		errs = append(errs, cl.Close())
	}
	return errors.Join(errs...)
}

func loadSigner(v any) (stdcrypto.Signer, error) {
	switch k := v.(type) {
	case stdcrypto.Signer:
		return k, nil
	case string:
		return crypto.LoadSigner(k)
	case []byte:
		return crypto.ParsePrivateKey(k)
	case crypto.Secret:
		b := k.Reveal()
		defer clear(b)
		return crypto.LoadSigner(string(b))
	}
	return nil, fmt.Errorf("unsupported type %T: use a crypto.Signer, a crypto.Secret, a string or a []byte", v)
}

// loadKeyInfo loads a Config.Certs entry; a certificate gives its validity
// period too.
// loadCerts loads Config.Certs, reporting each unusable entry to bad. A
// certificate keeps its validity period, which the verifier checks.
func loadCerts(certs map[string]any, merchantSerial string, bad func(field, problem string, err error)) []middleware.KeyInfo {
	var keys []middleware.KeyInfo
	for _, serial := range sortedKeys(certs) {
		field := fmt.Sprintf("Certs[%q]", serial)
		switch {
		case serial == "":
			bad(field, "has an empty serial", nil)
		case serial == merchantSerial:
			bad(field, "is keyed by the merchant certificate serial (Config.Serial): Certs holds WeChat Pay's platform certificates or public keys, not yours", nil)
		default:
			info, err := loadKeyInfo(serial, certs[serial])
			if err != nil {
				bad(field, "cannot be used", err)
				continue
			}
			keys = append(keys, info)
		}
	}
	return keys
}

func loadKeyInfo(serial string, v any) (middleware.KeyInfo, error) {
	info := middleware.KeyInfo{Serial: serial}
	if cert, err := loadCertificate(v); err == nil {
		v = cert
		info.NotBefore, info.NotAfter = cert.NotBefore, cert.NotAfter
	}
	pub, err := loadPublicKey(v)
	info.PublicKey = pub
	return info, err
}

// loadCertificate loads an *x509.Certificate, or a string or []byte that
// crypto.LoadCertificate or crypto.ParseCertificate accepts.
func loadCertificate(v any) (*x509.Certificate, error) {
	switch c := v.(type) {
	case *x509.Certificate:
		return c, nil
	case string:
		return crypto.LoadCertificate(c)
	case []byte:
		return crypto.ParseCertificate(c)
	}
	return nil, fmt.Errorf("unsupported type %T: use an *x509.Certificate, a string or a []byte", v)
}

func loadPublicKey(v any) (*rsa.PublicKey, error) {
	switch k := v.(type) {
	case *rsa.PublicKey:
		return k, nil
	case *x509.Certificate:
		if pub, ok := k.PublicKey.(*rsa.PublicKey); ok {
			return pub, nil
		}
		return nil, errors.New("the certificate's key is not RSA")
	case string:
		return crypto.LoadPublicKey(k)
	case []byte:
		return crypto.ParsePublicKey(k)
	}
	return nil, fmt.Errorf("unsupported type %T: use an *rsa.PublicKey, an *x509.Certificate, a string or a []byte", v)
}

func loadMerchantCert(m *MerchantCert, mchid string) (tls.Certificate, error) {
	var cert *x509.Certificate
	var key stdcrypto.Signer
	var chain []*x509.Certificate
	var err error
	if m.PKCS12 != nil {
		if m.Cert != nil || m.Key != nil {
			return tls.Certificate{}, errors.New("set either PKCS12 or Cert and Key, not both")
		}
		if cert, key, chain, err = loadPKCS12(m.PKCS12, m.Password, mchid); err != nil {
			return tls.Certificate{}, err
		}
	} else {
		if cert, err = loadCertificate(m.Cert); err != nil {
			return tls.Certificate{}, fmt.Errorf("Cert: %w", err)
		}
		if key, err = loadSigner(m.Key); err != nil {
			return tls.Certificate{}, fmt.Errorf("Key: %w", err)
		}
	}
	if pub, ok := cert.PublicKey.(interface {
		Equal(stdcrypto.PublicKey) bool
	}); !ok || !pub.Equal(key.Public()) {
		return tls.Certificate{}, errors.New("Key is not the private key of Cert")
	}
	out := tls.Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
	for _, ca := range chain {
		out.Certificate = append(out.Certificate, ca.Raw)
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
