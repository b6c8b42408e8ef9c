package wechatpay_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// hostCert makes a self-signed server certificate for names.
func hostCert(t *testing.T, names ...string) (tls.Certificate, *x509.Certificate) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     names,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, cert
}

// wechatPayNet stands for the Internet as the client sees it: host names
// mapped to loopback listeners, and the dials counted per name.
type wechatPayNet struct {
	mu    sync.Mutex
	hosts map[string]string // "api.mch.weixin.qq.com:443" → "127.0.0.1:port"
	dials map[string]int
}

func (n *wechatPayNet) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	n.mu.Lock()
	n.dials[addr]++
	to, ok := n.hosts[addr]
	n.mu.Unlock()
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("no such host in the test network")}
	}
	return (&net.Dialer{}).DialContext(ctx, network, to)
}

func (n *wechatPayNet) count(addr string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dials[addr]
}

// backupNet serves srv over TLS as api2.mch.weixin.qq.com, with
// api.mch.weixin.qq.com refusing connections, and returns the network and
// the TLS config trusting api2's certificate.
func backupNet(t *testing.T, srv *wechatpaytest.Server) (*wechatPayNet, *tls.Config, tls.Certificate) {
	t.Helper()
	cert, leaf := hostCert(t, "api2.mch.weixin.qq.com", "api.mch.weixin.qq.com", "apihk.mch.weixin.qq.com")
	ts := httptest.NewUnstartedServer(srv)
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.StartTLS()
	t.Cleanup(ts.Close)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := ln.Addr().String()
	ln.Close()
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	n := &wechatPayNet{dials: map[string]int{}, hosts: map[string]string{
		"api.mch.weixin.qq.com:443":   refused,
		"apihk.mch.weixin.qq.com:443": refused,
		"api2.mch.weixin.qq.com:443":  ts.Listener.Addr().String(),
	}}
	return n, &tls.Config{RootCAs: roots}, cert
}

// A call to api.mch.weixin.qq.com that cannot connect goes, once, to
// api2.mch.weixin.qq.com, signed as it was.
func TestBackupDomain(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"host": r.Host, "code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
	})
	n, trust, _ := backupNet(t, srv)
	cfg := srv.Config()
	cfg.BaseURL = "" // the default, api.mch.weixin.qq.com
	cfg.DialContext, cfg.TLSConfig = n.dial, trust
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 1; i <= 2; i++ {
		res, err := c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{"out_trade_no": "1217752501201407033233368018"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Get("host").String() != "api2.mch.weixin.qq.com" || res.Request.URL.Host != "api2.mch.weixin.qq.com" {
			t.Fatalf("answered by %s for %s", res.Get("host"), res.Request.URL)
		}
		// The primary is tried first every time; the backup's connection is
		// kept for reuse.
		if n.count("api.mch.weixin.qq.com:443") != i || n.count("api2.mch.weixin.qq.com:443") != 1 {
			t.Fatalf("dials: %v", n.dials)
		}
	}
	// The per-call base_uri of the primary domain falls back too.
	if _, err := c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"base_uri": "https://api.mch.weixin.qq.com/", "json": wechatpay.M{}}); err != nil {
		t.Fatal(err)
	}
}

// What may have reached WeChat Pay is never sent again; what cannot go
// anywhere fails as not sent.
func TestBackupDomainLimits(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	n, trust, cert := backupNet(t, srv)
	newClient := func(edit func(*wechatpay.Config)) *wechatpay.Client {
		cfg := srv.Config()
		cfg.BaseURL = ""
		cfg.DialContext, cfg.TLSConfig = n.dial, trust
		if edit != nil {
			edit(&cfg)
		}
		c, err := wechatpay.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	var te *wechatpay.TransportError
	notSent := func(t *testing.T, err error, want string) {
		t.Helper()
		if !errors.As(err, &te) || te.Sent || te.Op != "dial" || !strings.Contains(err.Error(), want) {
			t.Fatalf("%v; want a dial error, not sent, mentioning %q", err, want)
		}
	}

	t.Run("a request that reached the primary", func(t *testing.T) {
		// The primary accepts, reads the request and hangs up: the call may
		// have happened, and the backup is not tried.
		ln, _ := net.Listen("tcp", "127.0.0.1:0")
		defer ln.Close()
		go func() {
			for {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				tc := tls.Server(conn, &tls.Config{Certificates: []tls.Certificate{cert}})
				buf := make([]byte, 4096)
				tc.Read(buf)
				tc.Close()
			}
		}()
		n.mu.Lock()
		refused := n.hosts["api.mch.weixin.qq.com:443"]
		n.hosts["api.mch.weixin.qq.com:443"] = ln.Addr().String()
		n.mu.Unlock()
		defer func() {
			n.mu.Lock()
			n.hosts["api.mch.weixin.qq.com:443"] = refused
			n.mu.Unlock()
		}()
		before := n.count("api2.mch.weixin.qq.com:443")
		_, err := newClient(nil).Chain("v3/x").Get()
		if !errors.As(err, &te) || !te.Sent {
			t.Fatalf("%v; want a transport error, may have been sent", err)
		}
		if n.count("api2.mch.weixin.qq.com:443") != before {
			t.Fatal("the request was sent again to the backup domain")
		}
	})
	t.Run("NoBackup", func(t *testing.T) {
		before := n.count("api2.mch.weixin.qq.com:443")
		_, err := newClient(func(c *wechatpay.Config) { c.NoBackup = true }).Chain("v3/x").Get()
		notSent(t, err, "api.mch.weixin.qq.com")
		if n.count("api2.mch.weixin.qq.com:443") != before {
			t.Fatal("NoBackup dialled the backup")
		}
	})
	t.Run("custom base URL", func(t *testing.T) {
		before := n.count("api2.mch.weixin.qq.com:443")
		_, err := newClient(func(c *wechatpay.Config) { c.BaseURL = "https://apihk.mch.weixin.qq.com/" }).Chain("v3/x").Get()
		notSent(t, err, "apihk.mch.weixin.qq.com")
		if n.count("api2.mch.weixin.qq.com:443") != before {
			t.Fatal("a custom base URL fell back to api2")
		}
	})
	t.Run("custom base URL with BackupBaseURL", func(t *testing.T) {
		res, err := newClient(func(c *wechatpay.Config) {
			c.BaseURL, c.BackupBaseURL = "https://apihk.mch.weixin.qq.com/", "https://api2.mch.weixin.qq.com/"
		}).Chain("v3/x").Get()
		if err != nil || res.Request.URL.Host != "api2.mch.weixin.qq.com" {
			t.Fatal(res, err)
		}
	})
	t.Run("both domains down", func(t *testing.T) {
		_, err := newClient(func(c *wechatpay.Config) { c.BackupBaseURL = "https://api3.mch.weixin.qq.com/" }).Chain("v3/x").Get()
		notSent(t, err, "the backup domain was tried after https://api.mch.weixin.qq.com")
		if te.Addr != "https://api3.mch.weixin.qq.com" {
			t.Fatal(te.Addr)
		}
	})
	t.Run("cancelled call", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		before := n.count("api2.mch.weixin.qq.com:443")
		_, err := newClient(nil).Chain("v3/x").GetContext(ctx)
		if !errors.Is(err, context.Canceled) || n.count("api2.mch.weixin.qq.com:443") != before {
			t.Fatal(err)
		}
	})
	t.Run("bad BackupBaseURL", func(t *testing.T) {
		cfg := srv.Config()
		cfg.BackupBaseURL = "api2.mch.weixin.qq.com"
		if _, err := wechatpay.New(cfg); !errors.Is(err, wechatpay.ErrConfig) || !strings.Contains(err.Error(), "BackupBaseURL") {
			t.Fatal(err)
		}
	})
}
