package wechatpay_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The fault matrix: each fault of the server, seen from the client. Every
// case checks the error's type and reason, that the request reached the
// server exactly once (the client never re-sends a call the server may
// have received), and that no goroutine outlives the client and server.
func TestFaults(t *testing.T) {
	const route = "POST v3/pay/transactions/native"
	native := wechatpay.M{"json": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": "1900000109", "description": "Image形象店-深圳腾大-QQ公仔",
		"out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
		"amount": wechatpay.M{"total": 100, "currency": "CNY"},
	}}
	transport := func(sent bool) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var te *wechatpay.TransportError
			if !errors.As(err, &te) {
				t.Fatalf("want *TransportError, got %T: %v", err, err)
			}
			if te.Sent != sent {
				t.Fatalf("Sent = %t, want %t: %v", te.Sent, sent, err)
			}
		}
	}
	apiError := func(status int, code string) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var ae *wechatpay.APIError
			if !errors.As(err, &ae) || ae.StatusCode != status || ae.Code != code {
				t.Fatalf("want *APIError %d %s, got %T: %v", status, code, err, err)
			}
		}
	}
	verify := func(reason error) func(*testing.T, error) {
		return func(t *testing.T, err error) {
			var ve *wechatpay.VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, reason) {
				t.Fatalf("want *VerifyError wrapping %v, got %T: %v", reason, err, err)
			}
			if ve.Response == nil || ve.Response.StatusCode != http.StatusOK {
				t.Fatalf("the VerifyError does not hold the answer: %+v", ve.Response)
			}
		}
	}
	cases := []struct {
		name  string
		fault wechatpaytest.Fault
		opts  wechatpay.M
		check func(*testing.T, error)
	}{
		{"latency beyond the timeout", wechatpaytest.Latency(5 * time.Second), wechatpay.M{"timeout": 500 * time.Millisecond}, func(t *testing.T, err error) {
			transport(true)(t, err)
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("want context.DeadlineExceeded, got %v", err)
			}
		}},
		{"reset before headers", wechatpaytest.ResetBeforeHeaders(), nil, transport(true)},
		{"reset after headers", wechatpaytest.ResetAfterHeaders(), nil, transport(true)},
		{"truncated body", wechatpaytest.TruncatedBody(), nil, transport(true)},
		{"500", wechatpaytest.ServerError(http.StatusInternalServerError), nil, apiError(500, "SYSTEM_ERROR")},
		{"503", wechatpaytest.ServerError(http.StatusServiceUnavailable), nil, apiError(503, "SYSTEM_ERROR")},
		{"429", wechatpaytest.TooManyRequests(), nil, apiError(429, "FREQUENCY_LIMITED")},
		{"stale timestamp", wechatpaytest.StaleTimestamp(), nil, verify(wechatpay.ErrClockSkew)},
		{"bad signature", wechatpaytest.BadSignature(), nil, verify(wechatpay.ErrBadSignature)},
		{"missing headers", wechatpaytest.MissingHeaders(), nil, verify(wechatpay.ErrMissingHeaders)},
		{"signtest probe", wechatpaytest.SignTestProbe(), nil, verify(wechatpay.ErrSignTest)},
		{"unknown serial", wechatpaytest.UnknownSerial(), nil, verify(wechatpay.ErrUnknownSerial)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := goroutines()
			srv := wechatpaytest.NewServer()
			c, err := wechatpay.New(srv.Config())
			if err != nil {
				t.Fatal(err)
			}
			srv.Fault(route, tc.fault.Once())
			serial := wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": answerSerial(srv)}}
			_, err = c.Chain("v3/pay/transactions/native").Post(native, serial, tc.opts)
			tc.check(t, err)
			if n := receivedCount(srv, route, 1); n != 1 {
				t.Fatalf("the server received the call %d times, want 1", n)
			}
			// The fault was one-shot: the next call succeeds.
			if _, err := c.Chain("v3/pay/transactions/native").Post(native, serial); err != nil {
				t.Fatalf("after the fault: %v", err)
			}
			c.Close()
			srv.Close()
			checkGoroutines(t, before)
		})
	}
}

// APIv2 answers carry their signature in the sign field.
func TestFaultsV2(t *testing.T) {
	micropay := wechatpay.M{"xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": "1900000109", "body": "image形象店-深圳腾大- QQ公仔",
		"out_trade_no": "1217752501201407033233368018", "total_fee": "888", "spbill_create_ip": "8.8.8.8",
		"auth_code": "120061098828009406",
	}}
	for _, tc := range []struct {
		name   string
		fault  wechatpaytest.Fault
		reason error
	}{
		{"bad sign", wechatpaytest.BadSignature(), wechatpay.ErrBadSignature},
		{"no sign", wechatpaytest.MissingHeaders(), wechatpay.ErrMissingSign},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := wechatpaytest.NewServer()
			defer srv.Close()
			micropay["xml"].(wechatpay.M)["mch_id"] = srv.MchID
			c := newClient(t, srv)
			srv.Fault("v2/pay/micropay", tc.fault.Once())
			_, err := c.Chain("v2/pay/micropay").Post(micropay)
			var ve *wechatpay.VerifyError
			if !errors.As(err, &ve) || !errors.Is(err, tc.reason) {
				t.Fatalf("want *VerifyError wrapping %v, got %T: %v", tc.reason, err, err)
			}
			if _, err := c.Chain("v2/pay/micropay").Post(micropay); err != nil {
				t.Fatal(err)
			}
			if n := srv.Count("v2/pay/micropay"); n != 2 {
				t.Fatalf("received %d calls, want 2", n)
			}
		})
	}
	t.Run("5xx", func(t *testing.T) {
		srv := wechatpaytest.NewServer()
		defer srv.Close()
		micropay["xml"].(wechatpay.M)["mch_id"] = srv.MchID
		c := newClient(t, srv)
		srv.Fault("v2/pay/micropay", wechatpaytest.ServerError(502).Once())
		_, err := c.Chain("v2/pay/micropay").Post(micropay)
		var ae *wechatpay.APIError
		if !errors.As(err, &ae) || ae.StatusCode != 502 {
			t.Fatalf("want *APIError 502, got %T: %v", err, err)
		}
	})
}

// A call that cannot reach the server was certainly not sent.
func TestFaultNotSent(t *testing.T) {
	before := goroutines()
	srv := wechatpaytest.NewServer()
	cfg := srv.Config()
	srv.Close() // nothing listens any more
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Chain("v3/certificates").Get()
	var te *wechatpay.TransportError
	if !errors.As(err, &te) || te.Sent || te.Op != "dial" {
		t.Fatalf("want a dial *TransportError with Sent false, got %T: %v", err, err)
	}
	c.Close()
	checkGoroutines(t, before)
}

// Faults armed with FaultAll hit every route until cleared; Times bounds them.
func TestFaultAllAndTimes(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.FaultAll(wechatpaytest.TooManyRequests())
	for _, p := range []string{"v3/certificates", "v3/merchant-service/complaint-notifications"} {
		if _, err := c.Chain(p).Get(); !isStatus(err, 429) {
			t.Fatalf("%s: want 429, got %v", p, err)
		}
	}
	srv.ClearFaults()
	srv.Fault("GET v3/certificates", wechatpaytest.ServerError(500).Times(2))
	for i, want := range []int{500, 500, 200} {
		_, err := c.Chain("v3/certificates").Get()
		if want == 200 && err != nil || want != 200 && !isStatus(err, want) {
			t.Fatalf("call %d: want %d, got %v", i, want, err)
		}
	}
}

func isStatus(err error, status int) bool {
	var ae *wechatpay.APIError
	return errors.As(err, &ae) && ae.StatusCode == status
}

// receivedCount waits, a little, for the server to have recorded want calls
// of route (a client that gave up may be faster than the server), and
// returns the count.
func receivedCount(srv *wechatpaytest.Server, route string, want int) int {
	deadline := time.Now().Add(2 * time.Second)
	for srv.Count(route) < want && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	return srv.Count(route)
}

// Over TLS too, a cut connection is a TransportError that may have been
// sent, and is not re-sent.
func TestFaultsOverTLS(t *testing.T) {
	for _, f := range []wechatpaytest.Fault{wechatpaytest.ResetBeforeHeaders(), wechatpaytest.ResetAfterHeaders(), wechatpaytest.TruncatedBody()} {
		before := goroutines()
		srv := wechatpaytest.NewTLSServer()
		c, err := wechatpay.New(srv.Config())
		if err != nil {
			t.Fatal(err)
		}
		srv.Fault("GET v3/certificates", f.Once())
		_, err = c.Chain("v3/certificates").Get()
		var te *wechatpay.TransportError
		if !errors.As(err, &te) || !te.Sent || te.Op != "read" {
			t.Fatalf("want a read *TransportError with Sent true, got %T: %v", err, err)
		}
		if n := receivedCount(srv, "GET v3/certificates", 1); n != 1 {
			t.Fatalf("received %d, want 1", n)
		}
		c.Close()
		srv.Close()
		checkGoroutines(t, before)
	}
}
