package wechatpay_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// testProxy is a loopback proxy, HTTP CONNECT or SOCKS5, that tunnels to
// whatever its route function maps the requested address to, and records
// the addresses it was asked for.
type testProxy struct {
	ln         net.Listener
	user, pass string                   // required credentials, if user != ""
	route      func(addr string) string // requested address → where to connect
	silent     bool                     // accept connections but never answer
	tls        *tls.Config              // serve the proxy over TLS (an https proxy)

	mu      sync.Mutex
	targets []string
	wg      sync.WaitGroup
	conns   map[net.Conn]bool
}

func startProxy(t *testing.T, socks bool, configure func(*testProxy)) *testProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &testProxy{ln: ln, route: func(a string) string { return a }, conns: map[net.Conn]bool{}}
	if configure != nil {
		configure(p)
	}
	if p.tls != nil {
		p.ln = tls.NewListener(ln, p.tls)
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := p.ln.Accept()
			if err != nil {
				return
			}
			p.mu.Lock()
			p.conns[c] = true
			p.mu.Unlock()
			p.wg.Add(1)
			go func() {
				defer p.wg.Done()
				defer c.Close()
				if p.silent {
					io.Copy(io.Discard, c)
					return
				}
				if socks {
					p.serveSOCKS5(c)
				} else {
					p.serveCONNECT(c)
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		for c := range p.conns {
			c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
	return p
}

func (p *testProxy) url(scheme string) string {
	auth := ""
	if p.user != "" {
		auth = p.user + ":" + p.pass + "@"
	}
	addr := p.ln.Addr().String()
	if p.tls != nil { // the certificate names localhost
		addr = strings.Replace(addr, "127.0.0.1", "localhost", 1)
	}
	return scheme + "://" + auth + addr
}

func (p *testProxy) record(addr string) {
	p.mu.Lock()
	p.targets = append(p.targets, addr)
	p.mu.Unlock()
}

func (p *testProxy) seen() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.targets...)
}

// dial connects to where addr routes, tracking the connection so that the
// cleanup closes it.
func (p *testProxy) dial(addr string) (net.Conn, error) {
	up, err := net.Dial("tcp", p.route(addr))
	if err == nil {
		p.mu.Lock()
		p.conns[up] = true
		p.mu.Unlock()
	}
	return up, err
}

func (p *testProxy) serveCONNECT(c net.Conn) {
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	if err != nil {
		return
	}
	if req.Method != http.MethodConnect {
		io.WriteString(c, "HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
		return
	}
	if p.user != "" {
		want := "Basic " + base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.pass))
		if req.Header.Get("Proxy-Authorization") != want {
			io.WriteString(c, "HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\n\r\n")
			return
		}
	}
	p.record(req.Host)
	up, err := p.dial(req.Host)
	if err != nil {
		io.WriteString(c, "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
		return
	}
	defer up.Close()
	io.WriteString(c, "HTTP/1.1 200 Connection established\r\n\r\n")
	pipe(c, br, up)
}

// serveSOCKS5 speaks RFC 1928 (no authentication, or RFC 1929
// username/password) for CONNECT.
func (p *testProxy) serveSOCKS5(c net.Conn) {
	br := bufio.NewReader(c)
	hdr := make([]byte, 2)
	if _, err := io.ReadFull(br, hdr); err != nil || hdr[0] != 5 {
		return
	}
	methods := make([]byte, hdr[1])
	io.ReadFull(br, methods)
	want := byte(0)
	if p.user != "" {
		want = 2
	}
	if !strings.ContainsRune(string(methods), rune(want)) {
		c.Write([]byte{5, 0xff})
		return
	}
	c.Write([]byte{5, want})
	if want == 2 {
		var ver, n [1]byte
		io.ReadFull(br, ver[:])
		io.ReadFull(br, n[:])
		user := make([]byte, n[0])
		io.ReadFull(br, user)
		io.ReadFull(br, n[:])
		pass := make([]byte, n[0])
		io.ReadFull(br, pass)
		if string(user) != p.user || string(pass) != p.pass {
			c.Write([]byte{1, 1})
			return
		}
		c.Write([]byte{1, 0})
	}
	req := make([]byte, 4)
	if _, err := io.ReadFull(br, req); err != nil || req[1] != 1 {
		return
	}
	var host string
	named := false
	switch req[3] {
	case 1:
		ip := make([]byte, 4)
		io.ReadFull(br, ip)
		host = net.IP(ip).String()
	case 3:
		var n [1]byte
		io.ReadFull(br, n[:])
		name := make([]byte, n[0])
		io.ReadFull(br, name)
		host = string(name)
		named = true
	case 4:
		ip := make([]byte, 16)
		io.ReadFull(br, ip)
		host = net.IP(ip).String()
	}
	var port [2]byte
	io.ReadFull(br, port[:])
	addr := net.JoinHostPort(host, strconv.Itoa(int(binary.BigEndian.Uint16(port[:]))))
	if named {
		p.record("name:" + addr)
	} else {
		p.record(addr)
	}
	up, err := p.dial(addr)
	if err != nil {
		c.Write([]byte{5, 5, 0, 1, 0, 0, 0, 0, 0, 0})
		return
	}
	defer up.Close()
	c.Write([]byte{5, 0, 0, 1, 127, 0, 0, 1, 0, 0})
	pipe(c, br, up)
}

func pipe(c net.Conn, br *bufio.Reader, up net.Conn) {
	done := make(chan struct{})
	go func() {
		io.Copy(up, br)
		up.(interface{ CloseWrite() error }).CloseWrite()
		close(done)
	}()
	io.Copy(c, up)
	c.Close()
	<-done
}

// Calls go through HTTP CONNECT and SOCKS5 proxies, to plain and TLS
// servers, with and without credentials.
func TestProxies(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	srv.HandleFunc("POST", "v2/secapi/pay/refund", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return wechatpaytest.FailV2("证书错误")
		}
		return wechatpaytest.Fields(map[string]string{"refund_id": "1"})
	})
	tlsBase, trust := mutualTLSServer(t, srv)
	proxyID, err := wechatpaytest.NewIdentity("proxy")
	if err != nil {
		t.Fatal(err)
	}
	trust.RootCAs.AddCert(proxyID.Cert) // for the https proxy
	plainAddr := strings.TrimSuffix(strings.TrimPrefix(srv.URL, "http://"), "/")
	tlsAddr := strings.TrimSuffix(strings.TrimPrefix(tlsBase, "https://"), "/")

	for _, tc := range []struct {
		scheme string
		socks  bool
		auth   bool
	}{
		{"http", false, false}, {"http", false, true},
		{"https", false, true},
		{"socks5", true, false}, {"socks5", true, true}, {"socks5h", true, true},
	} {
		t.Run(fmt.Sprintf("%s auth=%t", tc.scheme, tc.auth), func(t *testing.T) {
			p := startProxy(t, tc.socks, func(p *testProxy) {
				if tc.auth {
					p.user, p.pass = "merchant", "pr0xy-pa55"
				}
				if tc.scheme == "https" {
					p.tls = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{proxyID.Cert.Raw}, PrivateKey: proxyID.Key}}}
				}
			})
			cfg := srv.Config()
			cfg.Proxy = p.url(tc.scheme)
			cfg.TLSConfig = trust
			cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: srv.Merchant.KeyPEM()}
			c, err := wechatpay.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if _, err := c.Chain("v3/x").Get(); err != nil {
				t.Fatal(err)
			}
			res, err := c.Chain("v2/secapi/pay/refund").Post(wechatpay.M{"base_uri": tlsBase, "security": true,
				"xml": wechatpay.M{"mch_id": srv.MchID}})
			if err != nil || res.Get("refund_id").String() != "1" {
				t.Fatal(res, err)
			}
			if got := p.seen(); len(got) != 2 || got[0] != plainAddr || got[1] != tlsAddr {
				t.Fatalf("the proxy saw %v", got)
			}
			if strings.Contains(fmt.Sprint(cfg), "pr0xy-pa55") {
				t.Fatalf("the Config prints the proxy password: %v", cfg)
			}
		})
	}
}

// socks5 resolves host names here; socks5h hands them to the proxy.
func TestSOCKS5NameResolution(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1 : len(srv.URL)-1]
	for scheme, want := range map[string]string{
		"socks5":  "127.0.0.1:" + port,
		"socks5h": "name:localhost:" + port,
	} {
		p := startProxy(t, true, func(p *testProxy) {
			p.route = func(a string) string { return strings.Replace(a, "localhost", "127.0.0.1", 1) }
		})
		cfg := srv.Config()
		cfg.Proxy = p.url(scheme)
		cfg.BaseURL = "http://localhost:" + port + "/"
		c, _ := wechatpay.New(cfg)
		if _, err := c.Chain("v3/x").Get(); err != nil {
			t.Fatalf("%s: %v", scheme, err)
		}
		c.Close()
		if got := p.seen(); len(got) != 1 || got[0] != want {
			t.Errorf("%s: the proxy was asked for %v, want %s", scheme, got, want)
		}
	}
}

// Refusals and silences of a proxy are dial errors, sent nothing, and show
// no password; timeouts and the answer size cap hold through a tunnel.
func TestProxyFailuresAndLimits(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	release := make(chan struct{})
	defer close(release)
	srv.HandleFunc("GET", "v3/slow", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		select {
		case <-release:
		case <-time.After(3 * time.Second):
		}
		return wechatpaytest.JSON(200, map[string]any{})
	})
	srv.HandleFunc("GET", "v3/big", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"x": strings.Repeat("x", 4096)})
	})
	const secret = "pr0xy-pa55"
	dialErr := func(t *testing.T, proxyURL string, connectTimeout time.Duration, want string) {
		t.Helper()
		cfg := srv.Config()
		cfg.Proxy = proxyURL
		cfg.ConnectTimeout = connectTimeout
		c, _ := wechatpay.New(cfg)
		defer c.Close()
		start := time.Now()
		_, err := c.Chain("v3/slow").Get()
		var te *wechatpay.TransportError
		if !errors.As(err, &te) || te.Sent || te.Op != "dial" || !strings.Contains(err.Error(), want) || time.Since(start) > 2*time.Second {
			t.Fatalf("%v after %v; want a dial error, not sent, mentioning %q", err, time.Since(start), want)
		}
		if strings.Contains(err.Error(), secret) {
			t.Fatalf("the error shows the password: %v", err)
		}
	}
	authed := func(p *testProxy) { p.user, p.pass = "merchant", secret }
	t.Run("wrong HTTP proxy password", func(t *testing.T) {
		p := startProxy(t, false, authed)
		dialErr(t, strings.Replace(p.url("http"), secret, secret+"x", 1), 0, "407 Proxy Authentication Required")
	})
	t.Run("wrong SOCKS5 password", func(t *testing.T) {
		p := startProxy(t, true, authed)
		dialErr(t, strings.Replace(p.url("socks5"), secret, secret+"x", 1), 0, "authentication failed")
	})
	t.Run("silent HTTP proxy", func(t *testing.T) {
		p := startProxy(t, false, func(p *testProxy) { authed(p); p.silent = true })
		dialErr(t, p.url("http"), 300*time.Millisecond, "proxy http://merchant:xxxxx@")
	})
	t.Run("silent SOCKS5 proxy", func(t *testing.T) {
		p := startProxy(t, true, func(p *testProxy) { p.silent = true })
		dialErr(t, p.url("socks5"), 300*time.Millisecond, "proxy socks5://")
	})
	t.Run("no proxy listening", func(t *testing.T) {
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		addr := ln.Addr().String()
		ln.Close()
		dialErr(t, "http://merchant:"+secret+"@"+addr, 0, "connection refused")
	})
	for _, scheme := range []string{"http", "socks5"} {
		t.Run("limits through "+scheme, func(t *testing.T) {
			p := startProxy(t, scheme != "http", nil)
			cfg := srv.Config()
			cfg.Proxy = p.url(scheme)
			cfg.MaxResponseSize = 1024
			c, _ := wechatpay.New(cfg)
			defer c.Close()
			start := time.Now()
			_, err := c.Chain("v3/slow").Get(wechatpay.M{"timeout": 0.2})
			var te *wechatpay.TransportError
			if !errors.As(err, &te) || te.Op != "read" || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
				t.Fatalf("timeout: %v after %v", err, time.Since(start))
			}
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(200*time.Millisecond, cancel)
			if _, err := c.Chain("v3/slow").GetContext(ctx); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancel: %v", err)
			}
			if _, err := c.Chain("v3/big").Get(); !errors.As(err, &te) || !strings.Contains(err.Error(), "MaxResponseSize") {
				t.Fatalf("size cap: %v", err)
			}
		})
	}
}

func TestProxyConfigErrors(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	for raw, want := range map[string]string{
		"ftp://proxy:21":                      `scheme "ftp"`,
		"http://user:s3cret@/":                "no host",
		"http://user:s3cret@proxy:8080/path":  "path or query",
		"http://user:s3cret@proxy:8080?x=1":   "path or query",
		"http://user:s3cret@[::1%zz:8080":     "not a URL",
		"socks5://user:s3cret@proxy:1080/?a=": "path or query",
	} {
		cfg := srv.Config()
		cfg.Proxy = raw
		_, err := wechatpay.New(cfg)
		var ce *wechatpay.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Proxy" || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: %v", raw, err)
		}
		if s := fmt.Sprint(cfg); strings.Contains(s, "s3cret") {
			t.Errorf("%s: printed %s", raw, s)
		}
	}
}
