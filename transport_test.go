package wechatpay_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func TestTimeoutsAndCancel(t *testing.T) {
	before := goroutines()
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	release := make(chan struct{})
	srv.HandleFunc("POST", "v3/slow", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		select {
		case <-release:
		case <-time.After(3 * time.Second):
		}
		return wechatpaytest.JSON(200, map[string]any{})
	})
	c := newClient(t, srv)
	ch := c.Chain("v3/slow")
	check := func(name string, err error, want error, elapsed time.Duration) {
		t.Helper()
		var te *wechatpay.TransportError
		if !errors.As(err, &te) || !te.Sent || te.Op != "read" || !errors.Is(err, want) || elapsed > 2*time.Second {
			t.Errorf("%s: %v after %v; want a read *TransportError, Sent, wrapping %v", name, err, elapsed, want)
		}
	}
	start := time.Now()
	_, err := ch.Post(wechatpay.M{"timeout": 0.2, "json": wechatpay.M{}})
	check("M timeout", err, context.DeadlineExceeded, time.Since(start))

	start = time.Now()
	_, err = ch.Post(wechatpay.Options{Timeout: 200 * time.Millisecond, JSON: wechatpay.M{}})
	check("Options timeout", err, context.DeadlineExceeded, time.Since(start))

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	start = time.Now()
	_, err = ch.PostContext(ctx, wechatpay.M{"json": wechatpay.M{}})
	cancel()
	check("context deadline", err, context.DeadlineExceeded, time.Since(start))

	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start = time.Now()
	_, err = ch.PostContext(ctx, wechatpay.M{"json": wechatpay.M{}})
	check("context cancel", err, context.Canceled, time.Since(start))

	f := ch.PostAsync(wechatpay.M{"json": wechatpay.M{}})
	time.AfterFunc(200*time.Millisecond, f.Cancel)
	start = time.Now()
	_, err = f.Wait()
	check("future cancel", err, context.Canceled, time.Since(start))

	// A call cancelled before it starts sends nothing: it stops at the
	// signer (a *SignError) or, with signing done, at the dial.
	n := len(srv.Received())
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	_, err = ch.PostContext(ctx, wechatpay.M{"json": wechatpay.M{}})
	var te *wechatpay.TransportError
	var se *wechatpay.SignError
	if !errors.Is(err, context.Canceled) || !errors.As(err, &se) && !(errors.As(err, &te) && !te.Sent) {
		t.Fatal(err)
	}
	// A client Timeout applies when no call timeout is given.
	cfg := srv.Config()
	cfg.Timeout = 200 * time.Millisecond
	short, _ := wechatpay.New(cfg)
	start = time.Now()
	_, err = short.Chain("v3/slow").Post(wechatpay.M{"json": wechatpay.M{}})
	check("client timeout", err, context.DeadlineExceeded, time.Since(start))
	short.Close()
	close(release)
	srv.Close() // waits for the slow handlers, which record what they got
	if got := srv.Received()[n:]; len(got) != 1 {
		t.Fatalf("after the cancelled-before-start call, the server got %d calls, want only the client-timeout one", len(got))
	}
	c.Close()
	checkGoroutines(t, before)
}

func TestConnectErrorsAreNotSent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.BaseURL = "http://" + addr + "/"
	c, _ := wechatpay.New(cfg)
	defer c.Close()
	_, err = c.Chain("v3/certificates").Get()
	var te *wechatpay.TransportError
	if !errors.As(err, &te) || te.Sent || te.Op != "dial" {
		t.Fatal(err)
	}
	// A TLS handshake failure sends nothing either.
	cfg.BaseURL = strings.Replace(srv.URL, "http://", "https://", 1)
	c2, _ := wechatpay.New(cfg)
	defer c2.Close()
	_, err = c2.Chain("v3/certificates").Get()
	if !errors.As(err, &te) || te.Sent || te.Op != "dial" {
		t.Fatal(err)
	}
}

func TestMaxResponseSizeAndGzip(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	big := strings.Repeat("x", 4096)
	srv.HandleFunc("GET", "v3/big", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"x": big})
	})
	var zipped bytes.Buffer
	zw := gzip.NewWriter(&zipped)
	zw.Write([]byte(`{"plain":"text"}`))
	zw.Close()
	srv.HandleFunc("GET", "v3/gz", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		// Signed over the decompressed body, as the verifier checks it.
		return &wechatpaytest.Answer{Header: signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, time.Now().Unix(), `{"plain":"text"}`),
			Body: zipped.Bytes(), Unsigned: true}
	})
	srv.HandleFunc("GET", "v3/bomb", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(bytes.Repeat([]byte{'0'}, 10<<20))
		zw.Close()
		return &wechatpaytest.Answer{Header: http.Header{"Content-Encoding": {"gzip"}}, Body: b.Bytes(), Unsigned: true}
	})
	cfg := srv.Config()
	cfg.MaxResponseSize = 1024
	c, _ := wechatpay.New(cfg)
	defer c.Close()
	_, err := c.Chain("v3/big").Get()
	var te *wechatpay.TransportError
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "MaxResponseSize") {
		t.Fatal(err)
	}
	// A gzip bomb is stopped at the limit too.
	_, err = c.Chain("v3/bomb").Get()
	if !errors.As(err, &te) || !strings.Contains(err.Error(), "MaxResponseSize") {
		t.Fatal(err)
	}
	srv.HandleFunc("GET", "v3/gz", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		h := signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, time.Now().Unix(), `{"plain":"text"}`)
		h.Set("Content-Encoding", "gzip")
		return &wechatpaytest.Answer{Header: h, Body: zipped.Bytes(), Unsigned: true}
	})
	res, err := c.Chain("v3/gz").Get(wechatpay.M{"headers": wechatpay.M{"Accept-Encoding": "gzip"}})
	if err != nil || res.Get("plain").String() != "text" || res.Header.Get("Content-Encoding") != "" {
		t.Fatal(res, err)
	}
}

// Keep-alive connections are reused, and one the server closed while idle
// is replaced without failing the next call.
func TestConnectionReuse(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	var dials atomic.Int32
	cfg := srv.Config()
	cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	c, _ := wechatpay.New(cfg)
	defer c.Close()
	for i := 0; i < 5; i++ {
		if _, err := c.Chain("v3/x").Get(); err != nil {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("%d dials for 5 sequential calls", n)
	}
	srv.CloseClientConnections()
	time.Sleep(50 * time.Millisecond)
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatalf("after the server closed the idle connection: %v", err)
	}
	if n := dials.Load(); n != 2 {
		t.Fatalf("%d dials", n)
	}
}

// An answer cut off after the request reached the server is an error, and
// the request is not sent again.
func TestNoResend(t *testing.T) {
	var hits atomic.Int32
	inner := wechatpaytest.NewServer()
	defer inner.Close()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"partial"))
		conn.Close()
	}))
	defer hs.Close()
	cfg := inner.Config()
	cfg.BaseURL = hs.URL + "/"
	c, _ := wechatpay.New(cfg)
	defer c.Close()
	for _, call := range []func() (*wechatpay.Response, error){
		func() (*wechatpay.Response, error) {
			return c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{"out_refund_no": "1"}})
		},
		func() (*wechatpay.Response, error) {
			return c.Chain("v3/refund/domestic/refunds/{out_refund_no}").Get(wechatpay.M{"out_refund_no": "1"})
		},
	} {
		hits.Store(0)
		_, err := call()
		var te *wechatpay.TransportError
		if !errors.As(err, &te) || !te.Sent || hits.Load() != 1 {
			t.Fatalf("%v, %d hits", err, hits.Load())
		}
	}
}

// Security calls present the merchant certificate, on connections of their
// own; other calls do not.
func TestMutualTLS(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("POST", "v2/secapi/pay/refund", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 || !r.TLS.PeerCertificates[0].Equal(srv.Merchant.Cert) {
			return wechatpaytest.FailV2("证书错误")
		}
		return wechatpaytest.Fields(map[string]string{"refund_id": "50000000382019052709732678859"})
	})
	srv.HandleFunc("POST", "v2/pay/orderquery", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			return wechatpaytest.FailV2("unexpected client certificate")
		}
		return wechatpaytest.Fields(nil)
	})
	ts := httptest.NewUnstartedServer(srv)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Merchant.Cert)
	ts.TLS = &tls.Config{ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool}
	ts.StartTLS()
	defer ts.Close()

	cfg := srv.Config()
	cfg.BaseURL = ts.URL + "/"
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	cfg.TLSConfig = &tls.Config{RootCAs: roots}
	xml := wechatpay.M{"mch_id": srv.MchID, "out_refund_no": "1"}

	cfg.Merchant = nil
	noCert, _ := wechatpay.New(cfg)
	defer noCert.Close()
	_, err := noCert.Chain("v2/secapi/pay/refund").Post(wechatpay.M{"security": true, "xml": xml})
	var te *wechatpay.TransportError
	if !errors.As(err, &te) || te.Sent || !strings.Contains(err.Error(), "Config.Merchant") {
		t.Fatal(err)
	}

	cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: srv.Merchant.KeyPEM()}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; i < 2; i++ {
		res, err := c.Chain("v2/secapi/pay/refund").Post(wechatpay.M{"security": true, "xml": xml})
		if err != nil || res.Get("refund_id").String() != "50000000382019052709732678859" {
			t.Fatal(res, err)
		}
		// The plain pool never carries the certificate.
		if _, err := c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": xml}); err != nil {
			t.Fatal(err)
		}
	}
	// Without security the refund is refused by the server.
	if _, err := c.Chain("v2/secapi/pay/refund").Post(wechatpay.M{"xml": xml}); err == nil {
		t.Fatal("refund without the certificate succeeded")
	}
	// A key that does not match the certificate is a Config error.
	other, _ := wechatpaytest.NewIdentity("other")
	cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: other.KeyPEM()}
	if _, err := wechatpay.New(cfg); !errors.Is(err, wechatpay.ErrConfig) {
		t.Fatal(err)
	}
}
