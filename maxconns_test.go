package wechatpay_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// countingListener counts the connections accepted.
type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// heldServer answers GET v3/merchant-risk-manage/trade-risk-information
// only once release is closed; arrived receives a value as each request
// arrives.
type heldServer struct {
	*wechatpaytest.Server
	ln      *countingListener
	arrived chan struct{}
	release chan struct{}
}

func newHeldServer(t *testing.T) *heldServer {
	t.Helper()
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &heldServer{ln: &countingListener{Listener: raw}, arrived: make(chan struct{}, 1000), release: make(chan struct{})}
	h.Server = wechatpaytest.NewServer(wechatpaytest.WithListener(h.ln))
	t.Cleanup(h.Close)
	h.HandleFunc("GET", "v3/merchant-risk-manage/trade-risk-information", func(*wechatpaytest.Request) *wechatpaytest.Answer {
		h.arrived <- struct{}{}
		<-h.release
		return wechatpaytest.JSON(200, map[string]any{"risk_type": "FRAUD"})
	})
	return h
}

func (h *heldServer) client(t *testing.T, maxConns int) *wechatpay.Client {
	t.Helper()
	cfg := h.Config()
	cfg.MaxConnsPerHost = maxConns
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func riskCall(c *wechatpay.Client) wechatpay.Chain {
	return c.Chain("v3/merchant-risk-manage/trade-risk-information")
}

// Under Config.MaxConnsPerHost, calls beyond the bound wait for a
// connection instead of opening one, and all go through.
func TestMaxConnsPerHostQueues(t *testing.T) {
	h := newHeldServer(t)
	c := h.client(t, 2)
	const calls = 10
	fs := make([]*wechatpay.Future[*wechatpay.Response], calls)
	for i := range fs {
		fs[i] = riskCall(c).GetAsync()
	}
	for range 2 {
		<-h.arrived
	}
	select {
	case <-h.arrived:
		t.Fatal("a third request arrived while two held the only two connections")
	case <-time.After(200 * time.Millisecond):
	}
	close(h.release)
	for i, f := range fs {
		res, err := f.Wait()
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if got := res.Get("risk_type").String(); got != "FRAUD" {
			t.Fatalf("call %d: %s", i, res.Body)
		}
	}
	if n := h.ln.accepted.Load(); n > 2 {
		t.Errorf("%d connections opened under a bound of 2", n)
	}
}

// A call waiting for a connection gives up when its context ends, having
// sent nothing, and leaves no trace in the pool: the connection it waited
// for serves the next call.
func TestMaxConnsPerHostCancelWhileQueued(t *testing.T) {
	h := newHeldServer(t)
	c := h.client(t, 1)
	first := riskCall(c).GetAsync()
	<-h.arrived

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := riskCall(c).GetContext(ctx)
	var te *wechatpay.TransportError
	if !errors.As(err, &te) || te.Sent || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("queued call under a 100 ms context: %v; want a TransportError, Sent false, DeadlineExceeded", err)
	}
	ctx, cancel2 := context.WithCancel(context.Background())
	queued := riskCall(c).DoAsync(ctx, "GET")
	time.Sleep(20 * time.Millisecond) // let it queue
	cancel2()
	if _, err := queued.Wait(); !errors.As(err, &te) || te.Sent || !errors.Is(err, context.Canceled) {
		t.Fatalf("queued call cancelled: %v; want a TransportError, Sent false, Canceled", err)
	}

	close(h.release)
	if _, err := first.Wait(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := riskCall(c).Get(); err != nil {
			t.Fatalf("call %d after the cancellations: %v", i, err)
		}
	}
	if n := h.ln.accepted.Load(); n != 1 {
		t.Errorf("%d connections opened under a bound of 1", n)
	}
}

// Close fails the calls waiting for a connection with ErrClosed, lets the
// call in flight finish, and leaves no goroutine or file descriptor behind.
func TestMaxConnsPerHostClose(t *testing.T) {
	before, fds := goroutines(), openFDs()
	h := newHeldServer(t)
	cfg := h.Config()
	cfg.MaxConnsPerHost = 1
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	first := riskCall(c).GetAsync()
	<-h.arrived
	queued := make([]*wechatpay.Future[*wechatpay.Response], 5)
	for i := range queued {
		queued[i] = riskCall(c).GetAsync()
	}
	time.Sleep(20 * time.Millisecond) // let them queue
	c.Close()
	for i, f := range queued {
		_, err := f.Wait()
		var te *wechatpay.TransportError
		if !errors.As(err, &te) || te.Sent || !errors.Is(err, wechatpay.ErrClosed) {
			t.Fatalf("queued call %d after Close: %v; want a TransportError, Sent false, ErrClosed", i, err)
		}
	}
	close(h.release)
	if _, err := first.Wait(); err != nil {
		t.Fatalf("the call in flight at Close: %v", err)
	}
	h.Close()
	checkNothingLeft(t, before, fds)
}

// Many calls in flight at once (more than wait for their answer holding a
// reader) all get their verified answers, and leave nothing behind.
func TestManyCallsInFlight(t *testing.T) {
	before, fds := goroutines(), openFDs()
	h := newHeldServer(t)
	cfg := h.Config()
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	const calls = 200
	fs := make([]*wechatpay.Future[*wechatpay.Response], calls)
	for i := range fs {
		fs[i] = riskCall(c).GetAsync()
	}
	for range calls {
		<-h.arrived
	}
	close(h.release)
	var wg sync.WaitGroup
	for i, f := range fs {
		wg.Go(func() {
			res, err := f.Wait()
			if err != nil {
				t.Errorf("call %d: %v", i, err)
			} else if got := res.Get("risk_type").String(); got != "FRAUD" {
				t.Errorf("call %d: %s", i, res.Body)
			}
		})
	}
	wg.Wait()
	// The connections went back to the pool: the next calls reuse them.
	for range 5 {
		if _, err := riskCall(c).Get(); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.ln.accepted.Load(); n != calls {
		t.Errorf("%d connections for %d calls in flight and 5 after", n, calls)
	}
	c.Close()
	h.Close()
	checkNothingLeft(t, before, fds)
}

func TestMaxConnsPerHostNegative(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.MaxConnsPerHost = -1
	_, err := wechatpay.New(cfg)
	var ce *wechatpay.ConfigError
	if !errors.As(err, &ce) || ce.Field != "MaxConnsPerHost" {
		t.Fatalf("New with MaxConnsPerHost -1: %v; want a ConfigError for MaxConnsPerHost", err)
	}
}

// checkNothingLeft fails t when goroutines or file descriptors opened
// since before and fds are still there (after a grace of 3 s for fds).
func checkNothingLeft(t *testing.T, before map[string]string, fds int) {
	t.Helper()
	checkGoroutines(t, before)
	for deadline := time.Now().Add(3 * time.Second); openFDs() > fds && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if n := openFDs(); n > fds {
		t.Errorf("%d file descriptors left open", n-fds)
	}
}
