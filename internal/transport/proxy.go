package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/net/http/httpproxy"
	"golang.org/x/net/proxy"
)

// DialFunc makes a TCP connection, as Config.DialContext does.
type DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// Proxy is a parsed Config.Proxy.
//
// Every connection goes through a tunnel, HTTP CONNECT or SOCKS5, whatever
// the base URL's scheme: the request is then written exactly as it was
// signed (origin-form target), and TLS to WeChat Pay runs end to end inside
// the tunnel, so the proxy sees neither requests nor answers.
//
// The dialers take the call's context, as the connection pool dials with
// it: Config.ConnectTimeout, a call's timeout and its cancellation bound the
// proxy handshake too. (fasthttp's fasthttpproxy dialers take no context,
// which is why they are not used.)
type Proxy struct {
	u     *url.URL
	shown string // the URL with its password masked, for errors
}

// ParseProxy checks a Config.Proxy value. Its errors never quote the URL,
// which may hold a password.
func ParseProxy(raw string) (*Proxy, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("is not a URL: want scheme://[user:password@]host:port")
	}
	switch u.Scheme {
	case "http", "https", "socks5", "socks5h":
	default:
		return nil, fmt.Errorf("has scheme %q: want http, https, socks5 or socks5h", u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, errors.New("has no host: want scheme://[user:password@]host:port")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, errors.New("has a path or query: want scheme://[user:password@]host:port")
	}
	return &Proxy{u: u, shown: u.Redacted()}, nil
}

// Redacted returns the proxy URL with its password masked, for printing.
func (p *Proxy) Redacted() string { return p.shown }

// addr returns the proxy's host:port, with the scheme's usual port when
// none is given.
func (p *Proxy) addr() string {
	if port := p.u.Port(); port != "" {
		return p.u.Host
	}
	port := map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[p.u.Scheme]
	return net.JoinHostPort(p.u.Hostname(), port)
}

// dialer returns a dial function that reaches addr through the proxy,
// reaching the proxy itself with forward. tlsBase is the client's TLS
// configuration, used for an https proxy.
func (p *Proxy) dialer(forward DialFunc, tlsBase *tls.Config) (DialFunc, error) {
	switch p.u.Scheme {
	case "socks5", "socks5h":
		var auth *proxy.Auth
		if p.u.User != nil {
			pw, _ := p.u.User.Password()
			auth = &proxy.Auth{User: p.u.User.Username(), Password: pw}
		}
		remoteDNS := p.u.Scheme == "socks5h"
		return func(ctx context.Context, network, addr string) (net.Conn, error) {
			if !remoteDNS {
				resolved, err := resolve(ctx, addr)
				if err != nil {
					return nil, p.fail(err)
				}
				addr = resolved
			}
			// A dialer per connection, to keep the connection to the proxy:
			// the one x/net returns hides it, and the pool needs its socket
			// to check the connection before reuse.
			var under net.Conn
			d, err := proxy.SOCKS5("tcp", p.addr(), auth, contextDialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := forward(ctx, network, addr)
				under = c
				return c, err
			}))
			if err != nil {
				return nil, p.fail(err)
			}
			cd, ok := d.(proxy.ContextDialer)
			if !ok {
				return nil, p.fail(errors.New("the SOCKS5 dialer does not take a context"))
			}
			conn, err := cd.DialContext(ctx, network, addr)
			if err != nil {
				return nil, p.fail(err)
			}
			return &tunnelConn{Conn: conn, under: under}, nil
		}, nil
	}
	d := &connectDialer{p: p, forward: forward}
	if p.u.Scheme == "https" {
		d.tls = tlsBase.Clone()
		d.tls.ServerName = p.u.Hostname()
		d.tls.Certificates = nil
		d.tls.NextProtos = nil
	}
	if p.u.User != nil {
		pw, _ := p.u.User.Password()
		d.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(p.u.User.Username()+":"+pw))
	}
	return d.DialContext, nil
}

// EnvProxy is the proxy configuration of the environment: HTTPS_PROXY,
// HTTP_PROXY and NO_PROXY (or their lower-case forms), read once, and
// applied per host as net/http applies them (golang.org/x/net/http/httpproxy):
// HTTPS_PROXY for https URLs, HTTP_PROXY for http URLs, neither for a host
// NO_PROXY names, nor for localhost and loopback addresses.
type EnvProxy struct {
	use         func(*url.URL) (*url.URL, error)
	https, http *Proxy // nil when not set
}

// ProxyFromEnvironment reads the environment's proxy configuration. It
// returns nil when neither HTTPS_PROXY nor HTTP_PROXY is set. A value that
// is not a proxy URL is an error naming the variable, never its value
// (which may hold a password).
func ProxyFromEnvironment() (*EnvProxy, error) {
	cfg := httpproxy.FromEnvironment()
	e := &EnvProxy{use: cfg.ProxyFunc()}
	for _, v := range []struct {
		name, value string
		dst         **Proxy
	}{{"HTTPS_PROXY", cfg.HTTPSProxy, &e.https}, {"HTTP_PROXY", cfg.HTTPProxy, &e.http}} {
		if v.value == "" {
			continue
		}
		p, err := parseEnvProxy(v.value)
		if err != nil {
			return nil, fmt.Errorf("%s in the environment %w", v.name, err)
		}
		*v.dst = p
	}
	if e.https == nil && e.http == nil {
		return nil, nil
	}
	return e, nil
}

// parseEnvProxy reads a proxy variable as httpproxy does: a value without
// a scheme ("proxy:3128") is an http proxy.
func parseEnvProxy(v string) (*Proxy, error) {
	if u, err := url.Parse(v); err != nil || u.Scheme == "" || u.Host == "" {
		v = "http://" + v
	}
	return ParseProxy(v)
}

// For returns the proxy to reach addr (host:port) over https or http
// through, or nil to reach it directly.
func (e *EnvProxy) For(https bool, addr string) *Proxy {
	scheme, p := "http", e.http
	if https {
		scheme, p = "https", e.https
	}
	if p == nil {
		return nil
	}
	if u, err := e.use(&url.URL{Scheme: scheme, Host: addr}); err != nil || u == nil {
		return nil
	}
	return p
}

// routes returns the pool's dial function: through fixed when set, else
// through the proxy env chooses for each target, else direct.
func routes(direct DialFunc, fixed *Proxy, env *EnvProxy, tlsBase *tls.Config) (func(ctx context.Context, https bool, addr string) (net.Conn, error), error) {
	if fixed != nil {
		d, err := fixed.dialer(direct, tlsBase)
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context, _ bool, addr string) (net.Conn, error) { return d(ctx, "tcp", addr) }, nil
	}
	if env == nil {
		return func(ctx context.Context, _ bool, addr string) (net.Conn, error) { return direct(ctx, "tcp", addr) }, nil
	}
	dialers := map[*Proxy]DialFunc{}
	for _, p := range []*Proxy{env.https, env.http} {
		if p != nil && dialers[p] == nil {
			d, err := p.dialer(direct, tlsBase)
			if err != nil {
				return nil, err
			}
			dialers[p] = d
		}
	}
	return func(ctx context.Context, https bool, addr string) (net.Conn, error) {
		if p := env.For(https, addr); p != nil {
			return dialers[p](ctx, "tcp", addr)
		}
		return direct(ctx, "tcp", addr)
	}, nil
}

func (p *Proxy) fail(err error) error {
	return fmt.Errorf("proxy %s: %w", p.shown, err)
}

// contextDialer adapts a dial function to golang.org/x/net/proxy's Dialer
// and ContextDialer.
type contextDialer DialFunc

// Dial dials without a context.
func (d contextDialer) Dial(network, addr string) (net.Conn, error) {
	return d(context.Background(), network, addr)
}

// DialContext dials under ctx.
func (d contextDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d(ctx, network, addr)
}

// resolve replaces a host name in addr with its first address, for a
// SOCKS5 proxy that is to be given addresses rather than names.
func resolve(ctx context.Context, addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || net.ParseIP(host) != nil {
		return addr, err
	}
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("no address for %s", host)
	}
	return net.JoinHostPort(ips[0].IP.String(), port), nil
}

// connectDialer opens an HTTP CONNECT tunnel (RFC 9110 §9.3.6) through an
// HTTP or HTTPS proxy.
type connectDialer struct {
	p       *Proxy
	forward DialFunc
	tls     *tls.Config // for an https proxy; nil for http
	auth    string      // the Proxy-Authorization value, or ""
}

// DialContext opens a tunnel to addr under ctx.
func (d *connectDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	conn, err := d.forward(ctx, "tcp", d.p.addr())
	if err != nil {
		return nil, d.p.fail(err)
	}
	// The handshake is bounded by the context: its deadline, and its
	// cancellation, which interrupts a proxy that does not answer.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(aLongTimeAgo) })
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	tunnel, err := d.handshake(ctx, conn, addr)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		conn.Close()
		return nil, d.p.fail(err)
	}
	tunnel.SetDeadline(time.Time{})
	return tunnel, nil
}

func (d *connectDialer) handshake(ctx context.Context, conn net.Conn, addr string) (net.Conn, error) {
	if d.tls != nil {
		tc := tls.Client(conn, d.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		conn = tc
	}
	var b strings.Builder
	b.WriteString("CONNECT " + addr + " HTTP/1.1\r\nHost: " + addr + "\r\n")
	if d.auth != "" {
		b.WriteString("Proxy-Authorization: " + d.auth + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := conn.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodConnect})
	if err != nil {
		return nil, fmt.Errorf("CONNECT %s: %w", addr, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		resp.Body.Close()
		return nil, fmt.Errorf("CONNECT %s: %s", addr, resp.Status)
	}
	if br.Buffered() > 0 {
		// The proxy sent more than its answer: keep those bytes.
		return &bufferedConn{Conn: conn, r: br}, nil
	}
	return conn, nil
}

// tunnelConn is a connection through a SOCKS5 proxy. NetConn exposes the
// connection to the proxy, whose socket the pool checks before reuse.
type tunnelConn struct {
	net.Conn
	under net.Conn
}

// NetConn returns the connection to the proxy.
func (c *tunnelConn) NetConn() net.Conn { return c.under }

// bufferedConn is a connection whose first bytes were read ahead.
type bufferedConn struct {
	net.Conn
	r *bufio.Reader
}

// Read reads the bytes read ahead first.
func (c *bufferedConn) Read(p []byte) (int, error) { return c.r.Read(p) }
