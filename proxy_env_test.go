package wechatpay_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// clearProxyEnv empties the proxy variables for the test (t.Setenv
// restores them after), so that the machine's own do not interfere.
func clearProxyEnv(t *testing.T) {
	for _, k := range []string{"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy", "REQUEST_METHOD"} {
		t.Setenv(k, "")
	}
}

// HTTPS_PROXY, HTTP_PROXY and NO_PROXY are honoured as net/http honours
// them, per host, unless Config.Proxy says otherwise; they are read by New.
func TestProxyFromEnvironment(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1 : len(srv.URL)-1]
	named := "sandbox.test:" + port // a host that is not loopback, so that a proxy applies
	loopback := "127.0.0.1:" + port
	route := func(a string) string { return strings.Replace(a, "sandbox.test", "127.0.0.1", 1) }
	// Direct connections to sandbox.test go to the loopback server too.
	var direct []string
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "sandbox.test:") {
			direct = append(direct, addr)
		}
		return (&net.Dialer{}).DialContext(ctx, network, route(addr))
	}
	httpProxy := startProxy(t, false, func(p *testProxy) { p.route = route })
	httpsProxy := startProxy(t, false, func(p *testProxy) { p.route = route })
	cfgProxy := startProxy(t, true, func(p *testProxy) { p.route = route })
	seen := func() (h, s, c []string) { return httpProxy.seen(), httpsProxy.seen(), cfgProxy.seen() }

	call := func(t *testing.T, base, proxy string) {
		t.Helper()
		cfg := srv.Config()
		cfg.BaseURL, cfg.Proxy, cfg.DialContext = base, proxy, dial
		c, err := wechatpay.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if _, err := c.Chain("v3/x").Get(); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name       string
		env        map[string]string
		base       string
		proxy      string // Config.Proxy
		h, s, c    int    // connections each proxy saw
		directDial int
	}{
		{"HTTP_PROXY for an http URL", map[string]string{"HTTP_PROXY": httpProxy.url("http"), "HTTPS_PROXY": httpsProxy.url("http")}, "http://" + named + "/", "", 1, 0, 0, 0},
		{"lower case, no scheme", map[string]string{"http_proxy": strings.TrimPrefix(httpProxy.url("http"), "http://")}, "http://" + named + "/", "", 1, 0, 0, 0},
		{"NO_PROXY names the host", map[string]string{"HTTP_PROXY": httpProxy.url("http"), "NO_PROXY": "example.com,sandbox.test"}, "http://" + named + "/", "", 0, 0, 0, 1},
		{"NO_PROXY by domain suffix", map[string]string{"HTTP_PROXY": httpProxy.url("http"), "no_proxy": ".test"}, "http://" + named + "/", "", 0, 0, 0, 1},
		{"loopback is never proxied", map[string]string{"HTTP_PROXY": httpProxy.url("http")}, "http://" + loopback + "/", "", 0, 0, 0, 0},
		{"NO_PROXY for 127.0.0.1", map[string]string{"HTTP_PROXY": httpProxy.url("http"), "NO_PROXY": "127.0.0.1"}, "http://" + loopback + "/", "", 0, 0, 0, 0},
		{"Config.Proxy wins", map[string]string{"HTTP_PROXY": httpProxy.url("http")}, "http://" + named + "/", cfgProxy.url("socks5h"), 0, 0, 1, 0},
		{"Proxy direct ignores the environment", map[string]string{"HTTP_PROXY": httpProxy.url("http")}, "http://" + named + "/", wechatpay.ProxyDirect, 0, 0, 0, 1},
		{"HTTPS_PROXY alone leaves http URLs direct", map[string]string{"HTTPS_PROXY": httpsProxy.url("http")}, "http://" + named + "/", "", 0, 0, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearProxyEnv(t)
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			h0, s0, c0 := seen()
			d0 := len(direct)
			call(t, tc.base, tc.proxy)
			h, s, c := seen()
			if len(h)-len(h0) != tc.h || len(s)-len(s0) != tc.s || len(c)-len(c0) != tc.c || len(direct)-d0 != tc.directDial {
				t.Fatalf("HTTP_PROXY saw %v, HTTPS_PROXY %v, Config.Proxy %v, direct dials %v", h[len(h0):], s[len(s0):], c[len(c0):], direct[d0:])
			}
		})
	}

	// The environment is read by New: a change afterwards does not move
	// an existing client.
	t.Run("read by New", func(t *testing.T) {
		clearProxyEnv(t)
		cfg := srv.Config()
		cfg.BaseURL, cfg.DialContext = "http://"+named+"/", dial
		c, err := wechatpay.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		t.Setenv("HTTP_PROXY", httpProxy.url("http"))
		h0 := len(httpProxy.seen())
		c.CloseIdleConnections()
		if _, err := c.Chain("v3/x").Get(); err != nil || len(httpProxy.seen()) != h0 {
			t.Fatalf("%v; the proxy saw %v", err, httpProxy.seen()[h0:])
		}
	})
}

// The proxy is chosen per host: a call moved to the backup domain goes
// the way the environment says for that host.
func TestProxyFromEnvironmentBackup(t *testing.T) {
	clearProxyEnv(t)
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	n, trust, _ := backupNet(t, srv)
	// The proxy reaches the Internet as the test network has it: the
	// primary domain refuses.
	p := startProxy(t, false, func(p *testProxy) {
		p.route = func(a string) string {
			n.mu.Lock()
			defer n.mu.Unlock()
			return n.hosts[a]
		}
	})
	t.Setenv("HTTPS_PROXY", p.url("http"))
	t.Setenv("NO_PROXY", "api2.mch.weixin.qq.com")
	cfg := srv.Config()
	cfg.BaseURL = ""
	cfg.DialContext, cfg.TLSConfig = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if strings.HasPrefix(addr, "127.0.0.1:") { // the proxy
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
		return n.dial(ctx, network, addr)
	}, trust
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Chain("v3/x").Get()
	if err != nil || res.Request.URL.Host != "api2.mch.weixin.qq.com" {
		t.Fatal(res, err)
	}
	if got := p.seen(); len(got) != 1 || got[0] != "api.mch.weixin.qq.com:443" {
		t.Fatalf("the proxy saw %v", got)
	}
	if n.count("api2.mch.weixin.qq.com:443") != 1 || n.count("api.mch.weixin.qq.com:443") != 0 {
		t.Fatalf("direct dials %v", n.dials)
	}
}

// A proxy variable that is not a proxy URL fails New, naming the variable
// and not its password.
func TestProxyFromEnvironmentInvalid(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	for name, value := range map[string]string{
		"HTTPS_PROXY": "ftp://user:s3cret@proxy:21",
		"http_proxy":  "http://user:s3cret@proxy:8080/path",
	} {
		clearProxyEnv(t)
		t.Setenv(name, value)
		_, err := wechatpay.New(srv.Config())
		var ce *wechatpay.ConfigError
		if !errors.As(err, &ce) || ce.Field != "Proxy" || !strings.Contains(err.Error(), strings.ToUpper(name)) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s=%s: %v", name, value, err)
		}
		// Proxy "direct" does not read the environment.
		cfg := srv.Config()
		cfg.Proxy = wechatpay.ProxyDirect
		if c, err := wechatpay.New(cfg); err != nil {
			t.Errorf("%s with Proxy direct: %v", name, err)
		} else {
			c.Close()
		}
	}
}
