package wechatpay_test

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// fastRetry retries quickly, so that the tests do not wait.
var fastRetry = wechatpay.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond, MaxDelay: 2 * time.Second}

func retryClient(t *testing.T, srv *wechatpaytest.Server, p wechatpay.RetryPolicy, edit func(*wechatpay.Config)) *wechatpay.Client {
	t.Helper()
	cfg := srv.Config()
	cfg.Retry = &p
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

var retryOrder = wechatpay.M{"json": wechatpay.M{
	"appid": "wxd678efh567hg6787", "mchid": "1900000109", "description": "Image形象店-深圳腾大-QQ公仔",
	"out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
	"amount": wechatpay.M{"total": 100, "currency": "CNY"},
}}

// Each fault of the sandbox against a client with retries on: how many
// requests the server receives, and what the caller gets.
func TestRetryFaults(t *testing.T) {
	const get, post = "GET v3/x", "POST v3/pay/transactions/native"
	for _, tc := range []struct {
		name       string
		route      string
		fault      wechatpaytest.Fault
		idempotent bool
		received   int  // requests the server gets
		ok         bool // the call succeeds in the end
		check      func(*testing.T, error)
	}{
		// A GET is retried after anything but a refusal it would meet again.
		{"GET 500 once", get, wechatpaytest.ServerError(500).Once(), false, 2, true, nil},
		{"GET 502 twice", get, wechatpaytest.ServerError(502).Times(2), false, 3, true, nil},
		{"GET 503 always", get, wechatpaytest.ServerError(503), false, 3, false, func(t *testing.T, err error) {
			re := retryError(t, err, 3)
			for i, e := range re.Errs {
				if !isStatus(e, 503) {
					t.Errorf("attempt %d: %v", i+1, e)
				}
			}
		}},
		{"GET 429 once", get, wechatpaytest.TooManyRequests().Once(), false, 2, true, nil},
		{"GET reset before headers", get, wechatpaytest.ResetBeforeHeaders().Once(), false, 2, true, nil},
		{"GET reset after headers", get, wechatpaytest.ResetAfterHeaders().Once(), false, 2, true, nil},
		{"GET truncated body", get, wechatpaytest.TruncatedBody().Once(), false, 2, true, nil},
		// Never retried, whatever the method.
		{"GET bad signature", get, wechatpaytest.BadSignature().Once(), false, 1, false, func(t *testing.T, err error) {
			var ve *wechatpay.VerifyError
			if !errors.As(err, &ve) || errors.As(err, new(*wechatpay.RetryError)) {
				t.Fatalf("want a bare *VerifyError, got %T: %v", err, err)
			}
		}},
		{"GET signtest probe", get, wechatpaytest.SignTestProbe().Once(), false, 1, false, nil},
		{"GET stale timestamp", get, wechatpaytest.StaleTimestamp().Once(), false, 1, false, nil},
		// A POST that may have been received is not sent again...
		{"POST 500", post, wechatpaytest.ServerError(500).Once(), false, 1, false, func(t *testing.T, err error) {
			if !isStatus(err, 500) || errors.As(err, new(*wechatpay.RetryError)) {
				t.Fatalf("want the bare 500, got %T: %v", err, err)
			}
		}},
		{"POST 429", post, wechatpaytest.TooManyRequests().Once(), false, 1, false, nil},
		{"POST reset before headers", post, wechatpaytest.ResetBeforeHeaders().Once(), false, 1, false, func(t *testing.T, err error) {
			var te *wechatpay.TransportError
			if !errors.As(err, &te) || !te.Sent {
				t.Fatalf("want a sent *TransportError, got %v", err)
			}
		}},
		{"POST reset after headers", post, wechatpaytest.ResetAfterHeaders().Once(), false, 1, false, nil},
		// ...unless the caller marked it idempotent.
		{"idempotent POST 500", post, wechatpaytest.ServerError(500).Once(), true, 2, true, nil},
		{"idempotent POST 429", post, wechatpaytest.TooManyRequests().Once(), true, 2, true, nil},
		{"idempotent POST reset before headers", post, wechatpaytest.ResetBeforeHeaders().Once(), true, 2, true, nil},
		{"idempotent POST reset after headers", post, wechatpaytest.ResetAfterHeaders().Once(), true, 2, true, nil},
		{"idempotent POST truncated body", post, wechatpaytest.TruncatedBody().Once(), true, 2, true, nil},
		{"idempotent POST bad signature", post, wechatpaytest.BadSignature().Once(), true, 1, false, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := wechatpaytest.NewServer()
			defer srv.Close()
			srv.HandleFunc("GET", "v3/x", echo)
			c := retryClient(t, srv, fastRetry, nil)
			srv.Fault(tc.route, tc.fault)
			method, path, _ := strings.Cut(tc.route, " ")
			opts := []wechatpay.Opts{}
			if method == "POST" {
				opts = append(opts, retryOrder, wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": answerSerial(srv)}})
			}
			if tc.idempotent {
				opts = append(opts, wechatpay.Idempotent())
			}
			res, err := c.Chain(path).Do(context.Background(), method, opts...)
			if tc.ok != (err == nil) {
				t.Fatalf("ok = %t, want %t: %v", err == nil, tc.ok, err)
			}
			if tc.ok && res.StatusCode != 200 {
				t.Fatal(res.StatusCode)
			}
			if tc.check != nil {
				tc.check(t, err)
			}
			if n := receivedCount(srv, tc.route, tc.received); n != tc.received {
				t.Fatalf("the server received %d requests, want %d", n, tc.received)
			}
			time.Sleep(20 * time.Millisecond) // nothing more arrives
			if n := srv.Count(tc.route); n != tc.received {
				t.Fatalf("the server received %d requests, want %d", n, tc.received)
			}
			if tc.received > 1 {
				sameBytesFreshSignature(t, srv, tc.route)
			}
		})
	}
}

func retryError(t *testing.T, err error, attempts int) *wechatpay.RetryError {
	t.Helper()
	var re *wechatpay.RetryError
	if !errors.As(err, &re) || re.Attempts != attempts || len(re.Errs) != attempts {
		t.Fatalf("want a *RetryError of %d attempts, got %T: %v", attempts, err, err)
	}
	if !strings.Contains(err.Error(), "attempts failed") {
		t.Fatalf("the error does not say how many attempts failed: %v", err)
	}
	return re
}

// sameBytesFreshSignature checks that every attempt of a route carried the
// same target and body, each signed afresh.
func sameBytesFreshSignature(t *testing.T, srv *wechatpaytest.Server, route string) {
	t.Helper()
	method, template, _ := strings.Cut(route, " ")
	var first *wechatpaytest.Received
	seen := map[string]bool{}
	for _, r := range srv.Received() {
		if r.Method != method || r.Route != template {
			continue
		}
		if first == nil {
			first = &r
		} else if r.Target != first.Target || !bytes.Equal(r.Body, first.Body) {
			t.Fatalf("a retry sent other bytes: %s %q, then %s %q", first.Target, first.Body, r.Target, r.Body)
		}
		auth := r.Header.Get("Authorization")
		if auth == "" || seen[auth] {
			t.Fatalf("a retry was not signed afresh: %q", auth)
		}
		seen[auth] = true
	}
}

// Retry-After, in seconds or as an HTTP date, is waited for; one longer
// than MaxDelay ends the retries.
func TestRetryAfter(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	c := retryClient(t, srv, fastRetry, nil)
	for _, date := range []bool{false, true} {
		ra := "1"
		if date {
			ra = time.Now().Add(2 * time.Second).UTC().Format(http.TimeFormat)
		}
		srv.Reset()
		srv.Fault("GET v3/x", wechatpaytest.TooManyRequests().RetryAfter(ra).Once())
		start := time.Now()
		if _, err := c.Chain("v3/x").Get(); err != nil {
			t.Fatal(err)
		}
		// An HTTP date has whole seconds: 2 s ahead is at least 1 s.
		if d := time.Since(start); d < time.Second {
			t.Fatalf("Retry-After %s: retried after %v", ra, d)
		}
		if n := srv.Count("GET v3/x"); n != 2 {
			t.Fatalf("received %d, want 2", n)
		}
	}
	srv.Reset()
	srv.Fault("GET v3/x", wechatpaytest.ServerError(503).RetryAfter("30").Once())
	start := time.Now()
	if _, err := c.Chain("v3/x").Get(); !isStatus(err, 503) || time.Since(start) > time.Second {
		t.Fatalf("a Retry-After beyond MaxDelay: %v after %v", err, time.Since(start))
	}
	if n := srv.Count("GET v3/x"); n != 1 {
		t.Fatalf("received %d, want 1", n)
	}
}

// The call's timeout and context bound every attempt and wait together.
func TestRetryBoundedByContext(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	c := retryClient(t, srv, wechatpay.RetryPolicy{MaxAttempts: 10, BaseDelay: 5 * time.Millisecond, MaxDelay: 5 * time.Second}, nil)

	// Waits of 1 s under a 1.5 s timeout: the third attempt could not
	// start in time, so the call ends after the second.
	srv.Fault("GET v3/x", wechatpaytest.ServerError(503).RetryAfter("1"))
	start := time.Now()
	_, err := c.Chain("v3/x").Get(wechatpay.M{"timeout": 1.5})
	retryError(t, err, 2)
	if d := time.Since(start); d < time.Second || d > 1500*time.Millisecond {
		t.Fatalf("ended after %v", d)
	}
	if n := srv.Count("GET v3/x"); n != 2 {
		t.Fatalf("received %d, want 2", n)
	}

	// Cancelled while waiting: the error says so, and keeps the attempt's.
	srv.Reset()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	_, err = c.Chain("v3/x").GetContext(ctx)
	var re *wechatpay.RetryError
	if !errors.As(err, &re) || re.Attempts != 1 || !errors.Is(re.Interrupted, context.Canceled) || !errors.Is(err, context.Canceled) || !isStatus(err, 503) {
		t.Fatalf("cancelled while waiting: %#v", err)
	}
	if n := srv.Count("GET v3/x"); n != 1 {
		t.Fatalf("received %d, want 1", n)
	}

	// AttemptTimeout cuts a hung attempt short, and the next one succeeds.
	srv.ClearFaults()
	srv.Reset()
	c = retryClient(t, srv, wechatpay.RetryPolicy{MaxAttempts: 2, BaseDelay: 5 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond}, nil)
	srv.Fault("GET v3/x", wechatpaytest.Latency(3*time.Second).Once())
	start = time.Now()
	if _, err := c.Chain("v3/x").Get(); err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
	if n := receivedCount(srv, "GET v3/x", 2); n != 2 {
		t.Fatalf("received %d, want 2", n)
	}
}

// refusingDialer makes the first n connections to a port nothing listens
// on (a real "connection refused"), then dials what was asked; it counts
// the dials.
type refusingDialer struct {
	refuse int32
	dials  atomic.Int32
	closed string
}

func newRefusingDialer(t *testing.T, n int32) *refusingDialer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	return &refusingDialer{refuse: n, closed: closed}
}

func (d *refusingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if d.dials.Add(1) <= d.refuse {
		addr = d.closed
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// A call that was not sent (the connection was refused, the TLS handshake
// failed) is sent again whatever its method; a refusal of the merchant
// certificate, or of the server's certificate, is not retried.
func TestRetryNotSent(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	const route = "POST v3/pay/transactions/native"

	d := newRefusingDialer(t, 2)
	c := retryClient(t, srv, fastRetry, func(cfg *wechatpay.Config) { cfg.DialContext = d.dial })
	if _, err := c.Chain("v3/pay/transactions/native").Post(retryOrder, wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": answerSerial(srv)}}); err != nil {
		t.Fatal(err)
	}
	if n := srv.Count(route); n != 1 || d.dials.Load() != 3 {
		t.Fatalf("received %d after %d dials, want 1 after 3", n, d.dials.Load())
	}

	// Refused three times: the error holds each refusal.
	d = newRefusingDialer(t, 3)
	c = retryClient(t, srv, fastRetry, func(cfg *wechatpay.Config) { cfg.DialContext = d.dial })
	_, err := c.Chain("v3/pay/transactions/native").Post(retryOrder)
	re := retryError(t, err, 3)
	for _, e := range re.Errs {
		var te *wechatpay.TransportError
		if !errors.As(e, &te) || te.Sent || !strings.Contains(e.Error(), "refused") {
			t.Fatalf("want a refusal, got %v", e)
		}
	}
	if n := srv.Count(route); n != 1 {
		t.Fatalf("received %d, want 1 (the earlier call)", n)
	}

	// A TLS handshake cut by the server: not sent, so sent again.
	tlsSrv := wechatpaytest.NewTLSServer()
	defer tlsSrv.Close()
	cutter, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer cutter.Close()
	go func() {
		for {
			conn, err := cutter.Accept()
			if err != nil {
				return
			}
			conn.Read(make([]byte, 1)) // the ClientHello arrives, then the line drops
			conn.Close()
		}
	}()
	var dials atomic.Int32
	c = retryClient(t, tlsSrv, fastRetry, func(cfg *wechatpay.Config) {
		cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			if dials.Add(1) == 1 {
				addr = cutter.Addr().String()
			}
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
	})
	if _, err := c.Chain("v3/pay/transactions/native").Post(retryOrder, wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": answerSerial(tlsSrv)}}); err != nil {
		t.Fatal(err)
	}
	if n := tlsSrv.Count(route); n != 1 || dials.Load() != 2 {
		t.Fatalf("received %d after %d dials, want 1 after 2", n, dials.Load())
	}

	// A server whose certificate the client does not trust: once.
	dials.Store(0)
	c = retryClient(t, tlsSrv, fastRetry, func(cfg *wechatpay.Config) {
		cfg.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
		cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
	})
	if _, err := c.Chain("v3/x").Get(); err == nil || dials.Load() != 1 {
		t.Fatalf("an untrusted server certificate: %v after %d dials", err, dials.Load())
	}
}

// A merchant certificate the server refuses is refused again: one attempt.
func TestRetryMerchantCertRejected(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	const route = "v2/secapi/pay/refund"
	srv.HandleFunc("POST", route, func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(map[string]string{"refund_id": "1"})
	})
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	pool := x509.NewCertPool()
	pool.AddCert(srv.Platform.Cert) // not the merchant's CA
	ts.TLS = &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
	ts.StartTLS()
	defer ts.Close()
	roots := x509.NewCertPool()
	roots.AddCert(ts.Certificate())
	var dials atomic.Int32
	c := retryClient(t, srv, fastRetry, func(cfg *wechatpay.Config) {
		cfg.BaseURL = ts.URL + "/"
		cfg.TLSConfig = &tls.Config{RootCAs: roots}
		cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.Cert, Key: srv.Merchant.Key}
		cfg.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			dials.Add(1)
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		}
	})
	_, err := c.Chain(route).Post(wechatpay.M{"security": true, "idempotent": true, "xml": wechatpay.M{"mch_id": srv.MchID, "out_refund_no": "1"}})
	if !errors.Is(err, wechatpay.ErrMerchantCertRejected) || errors.As(err, new(*wechatpay.RetryError)) || dials.Load() != 1 {
		t.Fatalf("%v after %d dials; want ErrMerchantCertRejected after 1", err, dials.Load())
	}
	if n := srv.Count(route); n != 0 {
		t.Fatalf("received %d", n)
	}
}

// Refusals before sending and non-retryable answers: a 4xx, an APIv2
// business failure, an option or signing error.
func TestRetryNever(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	var calls atomic.Int32
	srv.HandleFunc("GET", "v3/x", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		calls.Add(1)
		return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", "bad")
	})
	c := retryClient(t, srv, fastRetry, nil)
	if _, err := c.Chain("v3/x").Get(); !isStatus(err, 400) || calls.Load() != 1 {
		t.Fatalf("400: %v, %d calls", err, calls.Load())
	}
	// An option error is found before anything is sent.
	if _, err := c.Chain("v3/x/{id}").Get(); !errors.As(err, new(*wechatpay.OptionError)) || calls.Load() != 1 {
		t.Fatalf("option error: %v", err)
	}
	// A signer that fails: nothing is sent, nothing retried.
	cfg := srv.Config()
	cfg.Retry = &fastRetry
	var signs atomic.Int32
	cfg.PrivateKey = failingSigner{srv.Merchant.Key, &signs}
	fc, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer fc.Close()
	if _, err := fc.Chain("v3/x").Get(); !errors.As(err, new(*wechatpay.SignError)) || signs.Load() != 1 || calls.Load() != 1 {
		t.Fatalf("sign error: %v after %d signatures", err, signs.Load())
	}
	// An APIv2 FAIL is a business answer, not retried even when idempotent.
	micropay := wechatpay.M{"idempotent": true, "xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "body": "image形象店-深圳腾大- QQ公仔",
		"out_trade_no": "1217752501201407033233368018", "total_fee": "888", "spbill_create_ip": "8.8.8.8",
		"auth_code": "120061098828009406",
	}}
	srv.HandleFunc("POST", "v2/pay/micropay", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.FailV2("SYSTEMERROR")
	})
	if _, err := c.Chain("v2/pay/micropay").Post(micropay); !errors.As(err, new(*wechatpay.V2Error)) || srv.Count("v2/pay/micropay") != 1 {
		t.Fatalf("APIv2 FAIL: %v, %d received", err, srv.Count("v2/pay/micropay"))
	}
}

// An APIv2 call marked idempotent is sent again with the same bytes: its
// nonce_str, and so its sign, are those of the first attempt.
func TestRetryV2SameBytes(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := retryClient(t, srv, fastRetry, nil)
	micropay := wechatpay.M{"xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "body": "image形象店-深圳腾大- QQ公仔",
		"out_trade_no": "1217752501201407033233368018", "total_fee": "888", "spbill_create_ip": "8.8.8.8",
		"auth_code": "120061098828009406",
	}}
	srv.Fault("v2/pay/micropay", wechatpaytest.ServerError(502).Once())
	if _, err := c.Chain("v2/pay/micropay").Post(micropay); !isStatus(err, 502) || srv.Count("v2/pay/micropay") != 1 {
		t.Fatalf("not idempotent: %v, %d received", err, srv.Count("v2/pay/micropay"))
	}
	srv.Reset()
	srv.Fault("v2/pay/micropay", wechatpaytest.ServerError(502).Once())
	if _, err := c.Chain("v2/pay/micropay").Post(micropay, wechatpay.Idempotent()); err != nil {
		t.Fatal(err)
	}
	rs := srv.Received()
	if len(rs) != 2 || !bytes.Equal(rs[0].Body, rs[1].Body) || !bytes.Contains(rs[0].Body, []byte("<nonce_str>")) {
		t.Fatalf("the attempts differ: %d received\n%s\n%s", len(rs), rs[0].Body, rs[len(rs)-1].Body)
	}
}

// An upload is sent again whole when its Media can be read again, and not
// when it came from a one-shot reader.
func TestRetryUpload(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	const route = "POST v3/merchant/media/upload"
	c := retryClient(t, srv, fastRetry, nil)
	path := filepath.Join(t.TempDir(), "photo.jpg")
	os.WriteFile(path, bytes.Repeat([]byte("\xff\xd8jpeg"), 64<<10), 0o600)

	media, err := wechatpay.OpenMedia(path)
	if err != nil {
		t.Fatal(err)
	}
	srv.Fault(route, wechatpaytest.ResetBeforeHeaders().Once())
	if _, err := c.Upload(context.Background(), "v3/merchant/media/upload", media, wechatpay.Idempotent()); err != nil {
		t.Fatal(err)
	}
	rs := srv.Received()
	if len(rs) != 2 || len(rs[0].Body) < 64<<10*6 || !bytes.Equal(rs[0].Body, rs[1].Body) {
		t.Fatalf("%d received; the bodies differ", len(rs))
	}

	srv.Reset()
	once, err := wechatpay.NewMedia("photo.jpg", io.MultiReader(bytes.NewReader([]byte("\xff\xd8jpeg"))), wechatpay.MediaSHA256(strings.Repeat("0", 64)))
	if err != nil {
		t.Fatal(err)
	}
	srv.Fault(route, wechatpaytest.ResetBeforeHeaders().Once())
	_, err = c.Upload(context.Background(), "v3/merchant/media/upload", once, wechatpay.Idempotent())
	var te *wechatpay.TransportError
	if !errors.As(err, &te) || !te.Sent || srv.Count(route) != 1 {
		t.Fatalf("a one-shot body: %v, %d received", err, srv.Count(route))
	}
}

// A download cut short is fetched again into a File, which starts over;
// one into a caller's Writer that got part of the file is not.
func TestRetryDownload(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	const route = "GET v3/billdownload/file"
	c := retryClient(t, srv, fastRetry, nil)
	url := srv.URL + "v3/billdownload/file?token=retry"
	want := wechatpaytest.BillContent("retry")
	dest := filepath.Join(t.TempDir(), "bill.csv")

	srv.Fault(route, wechatpaytest.TruncatedBody().Once())
	res, err := c.DownloadURL(context.Background(), url, wechatpay.Download{File: dest})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, want) || res.Written != int64(len(want)) || srv.Count(route) != 2 {
		t.Fatalf("%d received; the file has %d bytes, want %d", srv.Count(route), len(got), len(want))
	}

	srv.Reset()
	srv.Fault(route, wechatpaytest.TruncatedBody().Once())
	var buf bytes.Buffer
	if _, err := c.DownloadURL(context.Background(), url, wechatpay.Download{Writer: &buf}); err == nil || srv.Count(route) != 1 {
		t.Fatalf("into a Writer: %v, %d received", err, srv.Count(route))
	}

	// Nothing reached the Writer before a 503: sent again.
	srv.Reset()
	buf.Reset()
	srv.Fault(route, wechatpaytest.ServerError(503).Once())
	if _, err := c.DownloadURL(context.Background(), url, wechatpay.Download{Writer: &buf}); err != nil || !bytes.Equal(buf.Bytes(), want) || srv.Count(route) != 2 {
		t.Fatalf("a 503 before the file: %v, %d received", err, srv.Count(route))
	}

	// The sink option's file starts over too.
	srv.Reset()
	srv.Fault(route, wechatpaytest.TruncatedBody().Once())
	sink := filepath.Join(t.TempDir(), "sink.csv")
	if _, err := c.Chain("v3/billdownload/file").Get(wechatpay.M{"query": wechatpay.M{"token": "retry"}, "sink": sink}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(sink); !bytes.Equal(got, want) || srv.Count(route) != 2 {
		t.Fatalf("sink: %d received; %d bytes", srv.Count(route), len(got))
	}
}

// failingSigner is a merchant key whose every signature fails.
type failingSigner struct {
	key   *rsa.PrivateKey
	signs *atomic.Int32
}

func (s failingSigner) Public() stdcrypto.PublicKey { return s.key.Public() }

func (s failingSigner) Sign(io.Reader, []byte, stdcrypto.SignerOpts) ([]byte, error) {
	s.signs.Add(1)
	return nil, errors.New("the HSM is offline")
}
