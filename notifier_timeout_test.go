package wechatpay_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// slowClient opens a TCP connection to addr, sends a notification's
// request line and headers announcing a 100 KB body, then sends the body a
// byte every gap (never, when gap is 0) until the connection breaks. It
// returns the answer's status, or an error when none came within wait.
func slowClient(t *testing.T, addr string, gap, wait time.Duration) (int, error) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /notify HTTP/1.1\r\nHost: %s\r\nContent-Type: text/xml\r\nContent-Length: 100000\r\n\r\n", addr)
	stop := make(chan struct{})
	defer close(stop)
	if gap > 0 {
		go func() {
			t := time.NewTicker(gap)
			defer t.Stop()
			for {
				select {
				case <-stop:
					return
				case <-t.C:
					if _, err := conn.Write([]byte("<")); err != nil {
						return
					}
				}
			}
		}()
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// A client that sends a notification's body a byte at a time, or not at
// all, on a net/http server without timeouts (as http.ListenAndServe
// makes), is answered 408 once Notifier.ReadTimeout is up: it holds no
// goroutine and no buffer longer than that.
func TestNotificationReadTimeout(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	nf.ReadTimeout = 300 * time.Millisecond
	var calls atomic.Int32
	handlers := map[string]http.Handler{
		"APIv3": nf.Handler(func(context.Context, *wechatpay.Notification) error { calls.Add(1); return nil }),
		"APIv2": nf.V2Handler(func(context.Context, *wechatpay.V2Notification) error { calls.Add(1); return nil }),
	}
	for name, h := range handlers {
		for _, wrapped := range []bool{false, true} {
			if wrapped {
				// A ResponseWriter that hides the connection, as some
				// frameworks' do: no read deadline can be set, and the
				// handler stops reading once the time is up.
				inner := h
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					inner.ServeHTTP(struct{ http.ResponseWriter }{w}, r)
				})
			}
			hs := httptest.NewServer(h) // a plain http.Server: no ReadTimeout
			addr := hs.Listener.Addr().String()
			for _, gap := range []time.Duration{50 * time.Millisecond, 0} {
				if wrapped && gap == 0 {
					continue // a silent client needs the server's own ReadTimeout there
				}
				start := time.Now()
				code, err := slowClient(t, addr, gap, 5*time.Second)
				if err != nil || code != http.StatusRequestTimeout {
					t.Fatalf("%s (wrapped %v), a byte every %v: %d %v after %v; want 408 after about %v",
						name, wrapped, gap, code, err, time.Since(start), nf.ReadTimeout)
				}
			}
			hs.Close()
		}
	}
	if calls.Load() != 0 {
		t.Fatal("a partial body reached the business function")
	}
	// A notification sent at once is unaffected, and the connection serves
	// the next one.
	hs := httptest.NewServer(handlers["APIv3"])
	defer hs.Close()
	client := hs.Client()
	for i := range 2 {
		h, body := v3Notification(t, srv, fmt.Sprint("EV-T", i), "TRANSACTION.SUCCESS", map[string]string{"trade_state": "SUCCESS"}, time.Now().Unix())
		req, _ := http.NewRequest("POST", hs.URL, bytes.NewReader(body))
		req.Header = h
		res, err := client.Do(req)
		if err != nil || res.StatusCode != http.StatusNoContent {
			t.Fatal(res, err)
		}
		res.Body.Close()
		time.Sleep(2 * nf.ReadTimeout) // past the deadline of the first: it must not cut the next request
	}
	if calls.Load() != 2 {
		t.Fatalf("%d calls", calls.Load())
	}
}
