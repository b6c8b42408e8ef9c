package wechatpaytest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
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
	// Platform is the platform certificate and its key (平台证书).
	Platform *Identity
	// PublicKey is the WeChat Pay public key pair (微信支付公钥), named by
	// PublicKeyID.
	PublicKey *Identity
	// PublicKeyID is the public key's ID, "PUB_KEY_ID_…".
	PublicKeyID string
	// Secret is the APIv2 key; APIv3Key the APIv3 key.
	Secret, APIv3Key string

	mode Mode
	srv  *httptest.Server

	mu       sync.Mutex
	routes   []*route
	received []Received
	now      func() time.Time
}

// Option configures NewServer.
type Option func(*Server)

// WithMode sets how the server signs its answers and what Config trusts.
func WithMode(m Mode) Option { return func(s *Server) { s.mode = m } }

// WithMchID sets the merchant ID (default "1900000109").
func WithMchID(id string) Option { return func(s *Server) { s.MchID = id } }

// WithClock makes the server read time from now, e.g. to test clock skew.
func WithClock(now func() time.Time) Option { return func(s *Server) { s.now = now } }

// NewServer starts a server on 127.0.0.1. Close it when done.
func NewServer(opts ...Option) *Server {
	s, err := newServer(opts)
	if err != nil {
		panic("wechatpaytest: " + err.Error())
	}
	s.srv = httptest.NewServer(s)
	s.URL = s.srv.URL + "/"
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
	return s, nil
}

// Close shuts the server down.
func (s *Server) Close() { s.srv.Close() }

// CloseClientConnections closes the connections clients hold to the
// server, as a server closing idle keep-alive connections does.
func (s *Server) CloseClientConnections() { s.srv.CloseClientConnections() }

// Config returns a client Config for this server in its Mode: merchant
// identity, the keys that verify the server's answers, the APIv2 and APIv3
// keys, and the base URL.
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
	return wechatpay.Config{
		MchID:      s.MchID,
		Serial:     s.Merchant.Serial,
		PrivateKey: s.Merchant.Key,
		Certs:      certs,
		Secret:     crypto.NewSecret(s.Secret),
		APIv3Key:   crypto.NewSecret(s.APIv3Key),
		BaseURL:    s.URL,
	}
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
	Method string
	// Target is the request target exactly as received (path and query).
	Target string
	Header http.Header
	Body   []byte
	// Route is the matched template, or "" when none matched.
	Route string
	// Status is the status code answered.
	Status int
}

// Received returns the requests received so far, oldest first.
func (s *Server) Received() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Reset forgets the received requests.
func (s *Server) Reset() {
	s.mu.Lock()
	s.received = nil
	s.mu.Unlock()
}

// ServeHTTP answers one request: route, authenticate, handle, sign.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rt, vars := s.match(r.Method, r.URL.EscapedPath())
	req := &Request{Request: r, Body: body, Vars: vars}
	var ans *Answer
	switch {
	case rt == nil:
		ans = ErrorJSON(http.StatusNotFound, "RESOURCE_NOT_EXISTS", fmt.Sprintf("no such endpoint: %s %s", r.Method, r.URL.Path))
	default:
		req.Route, req.Protocol = rt.template, rt.protocol
		if rt.protocol == "v2" {
			ans = s.authenticateV2(req)
		} else {
			ans = s.authenticateV3(req)
		}
		if ans == nil {
			ans = rt.handler(req)
		}
		if ans == nil {
			ans = &Answer{Status: http.StatusNoContent}
		}
	}
	status := s.write(w, req, ans)
	s.mu.Lock()
	s.received = append(s.received, Received{Method: r.Method, Target: r.RequestURI, Header: r.Header.Clone(), Body: body, Route: req.Route, Status: status})
	s.mu.Unlock()
}

// write signs ans and sends it, returning the status.
func (s *Server) write(w http.ResponseWriter, req *Request, ans *Answer) int {
	status := ans.Status
	if status == 0 {
		status = http.StatusOK
	}
	body := ans.Body
	h := w.Header()
	for k, vs := range ans.Header {
		h[k] = vs
	}
	switch {
	case req.Protocol == "v2" && body == nil && ans.Fields != nil:
		fields := ans.Fields
		if !ans.Unsigned {
			fields = signV2(fields, req.signType(), s.Secret)
		}
		body = encodeXML(fields)
		setDefault(h, "Content-Type", "text/xml; charset=utf-8")
	case body == nil && ans.JSON != nil:
		body, _ = json.Marshal(ans.JSON)
		setDefault(h, "Content-Type", "application/json; charset=utf-8")
	}
	setDefault(h, "Request-ID", randomString(32))
	if req.Protocol != "v2" && !ans.Unsigned {
		key, serial := s.answerKey()
		for k, v := range signV3Answer(key, serial, s.now(), body) {
			setDefault(h, k, v)
		}
	}
	w.WriteHeader(status)
	w.Write(body)
	return status
}

func setDefault(h http.Header, k, v string) {
	if h.Get(k) == "" {
		h.Set(k, v)
	}
}

// route is a registered endpoint.
type route struct {
	method   string
	template string   // as registered, e.g. "v3/pay/transactions/id/{transaction_id}"
	protocol string   // "v2" or "v3"
	segments []string // of the path on the wire, e.g. ["v3","pay","transactions","id","{transaction_id}"]
	handler  HandlerFunc
}

// HandlerFunc answers a request that passed authentication.
type HandlerFunc func(*Request) *Answer

// HandleFunc registers h for method and template. The template is written as
// in the client's chain: "v3/pay/transactions/id/{transaction_id}" or
// "v2/pay/micropay"; a {name} segment matches any one segment, and its
// decoded value is in Request.Vars. A later registration of the same method
// and template replaces the earlier one.
func (s *Server) HandleFunc(method, template string, h HandlerFunc) {
	rt := &route{method: strings.ToUpper(method), template: template, protocol: "v3", handler: h}
	wire := template
	if len(wire) >= 3 && strings.EqualFold(wire[:3], "v2/") {
		rt.protocol, wire = "v2", wire[3:]
	}
	rt.segments = strings.Split(strings.TrimPrefix(wire, "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.routes {
		if old.method == rt.method && old.template == rt.template {
			s.routes[i] = rt
			return
		}
	}
	s.routes = append(s.routes, rt)
}

// match finds the route for a method and escaped path; literal segments win
// over variables.
func (s *Server) match(method, escapedPath string) (*route, map[string]string) {
	parts := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	s.mu.Lock()
	defer s.mu.Unlock()
	var best *route
	var bestVars map[string]string
	bestScore := -1
	for _, rt := range s.routes {
		if rt.method != method || len(rt.segments) != len(parts) {
			continue
		}
		vars, score, ok := map[string]string{}, 0, true
		for i, seg := range rt.segments {
			if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
				v, err := url.PathUnescape(parts[i])
				if err != nil {
					ok = false
					break
				}
				vars[seg[1:len(seg)-1]] = v
				continue
			}
			if seg != parts[i] {
				ok = false
				break
			}
			score++
		}
		if ok && score > bestScore {
			best, bestVars, bestScore = rt, vars, score
		}
	}
	return best, bestVars
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
