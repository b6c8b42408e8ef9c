package wechatpay_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// wrappedConn is a Config.DialContext wrapper, as one that counts bytes or
// traces calls would be. Embedding the net.Conn interface hides the
// socket; NetConn, when exposed, leads back to it.
type wrappedConn struct{ net.Conn }

// exposedConn is wrappedConn with NetConn.
type exposedConn struct{ wrappedConn }

func (c exposedConn) NetConn() net.Conn { return c.Conn }

// A keep-alive connection the server closed while it was idle is not
// reused, whatever wraps it: the next call goes out on a fresh connection
// and reaches the server exactly once.
func TestStaleConnectionThroughWrappers(t *testing.T) {
	proxyID, err := wechatpaytest.NewIdentity("proxy")
	if err != nil {
		t.Fatal(err)
	}
	proxyTLS := func(p *testProxy) {
		p.tls = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{proxyID.Cert.Raw}, PrivateKey: proxyID.Key}}}
	}
	for _, tc := range []struct {
		name   string
		tls    bool   // the server speaks HTTPS
		proxy  string // proxy scheme, or ""
		expose bool   // the DialContext wrapper has NetConn
	}{
		{name: "SOCKS5 proxy", proxy: "socks5"},
		{name: "SOCKS5 proxy, HTTPS server", proxy: "socks5", tls: true},
		{name: "HTTP CONNECT proxy", proxy: "http"},
		{name: "HTTP CONNECT proxy, HTTPS server", proxy: "http", tls: true},
		{name: "HTTPS proxy, HTTPS server (TLS in TLS)", proxy: "https", tls: true},
		{name: "HTTPS proxy, HTTP server", proxy: "https"},
		{name: "DialContext wrapper with NetConn", expose: true},
		{name: "DialContext wrapper with NetConn, HTTPS server", expose: true, tls: true},
		{name: "DialContext wrapper with NetConn under a SOCKS5 proxy", proxy: "socks5", expose: true, tls: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var srv *wechatpaytest.Server
			if tc.tls {
				srv = wechatpaytest.NewTLSServer()
			} else {
				srv = wechatpaytest.NewServer()
			}
			defer srv.Close()
			srv.HandleFunc("GET", "v3/x", echo)
			cfg := srv.Config()
			var dials atomic.Int32
			cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				dials.Add(1)
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil || !tc.expose {
					return c, err
				}
				return exposedConn{wrappedConn{c}}, nil
			}
			if tc.proxy != "" {
				p := startProxy(t, tc.proxy == "socks5", func(p *testProxy) {
					if tc.proxy == "https" {
						proxyTLS(p)
					}
				})
				cfg.Proxy = p.url(tc.proxy)
				if tc.proxy == "https" {
					if cfg.TLSConfig == nil {
						cfg.TLSConfig = &tls.Config{}
					}
					cfg.TLSConfig = cfg.TLSConfig.Clone()
					if cfg.TLSConfig.RootCAs = srv.CertPool(); cfg.TLSConfig.RootCAs == nil {
						cfg.TLSConfig.RootCAs = x509.NewCertPool()
					}
					cfg.TLSConfig.RootCAs.AddCert(proxyID.Cert)
				}
			}
			c, err := wechatpay.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			for range 2 {
				if _, err := c.Chain("v3/x").Get(); err != nil {
					t.Fatal(err)
				}
			}
			if n := dials.Load(); n != 1 {
				t.Fatalf("%d dials for two calls in a row: the connection was not reused", n)
			}
			srv.CloseClientConnections()
			time.Sleep(100 * time.Millisecond) // the close reaches the client through the proxy
			if _, err := c.Chain("v3/x").Get(); err != nil {
				t.Fatalf("after the server closed the idle connection: %v", err)
			}
			if n := dials.Load(); n != 2 {
				t.Fatalf("%d dials, want 2", n)
			}
			if n := srv.Count("v3/x"); n != 3 {
				t.Fatalf("the server saw %d calls, want 3", n)
			}
		})
	}
}

// A connection whose socket cannot be reached through its wrappers is
// reused only shortly after its last use.
func TestOpaqueConnectionIdleBound(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	cfg := srv.Config()
	var dials atomic.Int32
	cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return wrappedConn{c}, nil
	}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wechatpay.SetOpaqueIdleTimeout(c, 300*time.Millisecond)
	for range 3 {
		if _, err := c.Chain("v3/x").Get(); err != nil {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d dials for calls within the bound: the connection was not reused", n)
	}
	srv.CloseClientConnections()
	time.Sleep(400 * time.Millisecond)
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatalf("after the server closed the idle connection: %v", err)
	}
	if n := dials.Load(); n != 2 {
		t.Fatalf("%d dials, want 2", n)
	}
	if n := srv.Count("v3/x"); n != 4 {
		t.Fatalf("the server saw %d calls, want 4", n)
	}
}
