package wechatpay_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// fanOut stands for a load balancer at its worst: it hands every delivery
// it receives to all of urls at once, and answers 2xx only when every one
// did (otherwise the first failure), so that WeChat Pay retries until each
// receiver has acknowledged.
func fanOut(t testing.TB, urls ...string) string {
	t.Helper()
	return receiver(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		type reply struct {
			status int
			body   []byte
		}
		replies := make([]reply, len(urls))
		var wg sync.WaitGroup
		for i, u := range urls {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, u, bytes.NewReader(body))
				req.Header = r.Header.Clone()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					replies[i] = reply{status: http.StatusBadGateway, body: []byte(err.Error())}
					return
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				replies[i] = reply{status: resp.StatusCode, body: b}
			})
		}
		wg.Wait()
		for _, rp := range replies {
			if rp.status < 200 || rp.status > 299 {
				w.WriteHeader(rp.status)
				w.Write(rp.body)
				return
			}
		}
		w.WriteHeader(replies[0].status)
		w.Write(replies[0].body)
	}))
}

// notificationKey is the store key of an APIv3 notification id, as
// NotificationStore documents it.
func notificationKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "v3:id:" + hex.EncodeToString(sum[:])
}

// effects counts what handlers did, per notification id.
type effects struct {
	mu    sync.Mutex
	calls int
	done  map[string]int
}

func (e *effects) record(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done == nil {
		e.done = map[string]int{}
	}
	e.done[id]++
}

// The same notification delivered to 4 receivers at once, and again on
// WeChat Pay's retries: the function runs once; the duplicates wait, then
// are acknowledged, or are told to retry while it still runs.
func TestExactlyOnceConcurrentDuplicates(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	store := wechatpay.NewMemoryNotificationStore()
	for _, tc := range []struct {
		name string
		work time.Duration // how long the function runs
		wait time.Duration // ExactlyOnce.Wait
	}{
		{"duplicates wait for the first", 100 * time.Millisecond, 2 * time.Second},
		{"duplicates told to retry", 300 * time.Millisecond, 50 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var fx effects
			var urls []string
			for range 4 {
				nf := mustNew(t, srv.Config()).Notifier()
				nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: store, Wait: tc.wait}
				urls = append(urls, receiver(t, nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
					fx.mu.Lock()
					fx.calls++
					fx.mu.Unlock()
					time.Sleep(tc.work)
					fx.record(n.ID)
					return nil
				})))
			}
			var statuses []int
			d, err := srv.Notify(context.Background(), fanOut(t, urls...), wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"},
				wechatpaytest.TimeScale(0.02), wechatpaytest.OnAttempt(func(a wechatpaytest.Attempt) { statuses = append(statuses, a.Status) }))
			if err != nil || !d.Delivered {
				t.Fatalf("%v: attempts %v", err, statuses)
			}
			if fx.calls != 1 || len(fx.done) != 1 {
				t.Fatalf("%d runs, effects %v, for %d deliveries to 4 receivers (%v)", fx.calls, fx.done, 4*len(statuses), statuses)
			}
			if tc.wait < tc.work && (len(statuses) < 2 || statuses[0] != http.StatusServiceUnavailable) {
				t.Fatalf("attempts %v: the duplicates should have been told to retry", statuses)
			}
			t.Logf("%d attempts to 4 receivers (%v), 1 run", len(statuses), statuses)

			// The very same delivery once more, as a replay: acknowledged,
			// not run.
			req, _ := http.NewRequest(http.MethodPost, urls[2], bytes.NewReader(d.Body))
			req.Header = d.Header.Clone()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent || fx.calls != 1 {
				t.Fatalf("a repeat: %d, %d runs", resp.StatusCode, fx.calls)
			}
		})
	}
}

// A function that fails releases its claim: WeChat Pay's retry runs it.
func TestExactlyOnceFailureRetried(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := mustNew(t, srv.Config()).Notifier()
	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: wechatpay.NewMemoryNotificationStore()}
	var calls atomic.Int32
	url := receiver(t, nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		if calls.Add(1) == 1 {
			return errors.New("the database is away")
		}
		return nil
	}))
	d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/REFUND.SUCCESS"}, wechatpaytest.TimeScale(1e-4))
	if err != nil || len(d.Attempts) != 2 || d.Attempts[0].Status != 500 || calls.Load() != 2 {
		t.Fatalf("%v: %d attempts, %d runs", err, len(d.Attempts), calls.Load())
	}
}

// A receiver that died while handling a notification holds a claim that
// lapses: WeChat Pay's retry after the lease runs the function.
func TestExactlyOnceLapsedClaim(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	store := wechatpay.NewMemoryNotificationStore()
	const id = "b2f6b6f3-77b0-5b7e-9d2a-2c5f0f3c1d01"
	if st, _ := store.ClaimNotification(context.Background(), notificationKey(id), "a receiver that died", 400*time.Millisecond); st != wechatpay.ClaimAcquired {
		t.Fatal(st)
	}
	nf := mustNew(t, srv.Config()).Notifier()
	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: store, Wait: -1}
	var calls atomic.Int32
	url := receiver(t, nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		calls.Add(1)
		return nil
	}))
	d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS", ID: id}, wechatpaytest.TimeScale(0.01))
	if err != nil || calls.Load() != 1 || len(d.Attempts) < 2 || d.Attempts[0].Status != http.StatusServiceUnavailable {
		t.Fatalf("%v: %d runs, %d attempts", err, calls.Load(), len(d.Attempts))
	}
	if lapse := d.Attempts[len(d.Attempts)-1].At.Sub(d.Attempts[0].At); lapse < 15*time.Second {
		t.Fatalf("run by attempt %d", len(d.Attempts))
	}
}

// brokenStore is a NotificationStore that cannot be reached.
type brokenStore struct{}

var errStoreDown = errors.New("connection refused")

func (brokenStore) ClaimNotification(context.Context, string, string, time.Duration) (wechatpay.ClaimState, error) {
	return 0, errStoreDown
}
func (brokenStore) ExtendClaim(context.Context, string, string, time.Duration) (bool, error) {
	return false, errStoreDown
}
func (brokenStore) CompleteNotification(context.Context, string, time.Duration) error {
	return errStoreDown
}
func (brokenStore) ReleaseClaim(context.Context, string, string) error { return errStoreDown }

// Without its store a receiver runs nothing: it answers 503 and WeChat Pay
// retries.
func TestExactlyOnceStoreDown(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	var reported errorLog
	nf := mustNew(t, srv.Config()).Notifier()
	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: brokenStore{}, OnError: reported.add}
	var calls atomic.Int32
	url := receiver(t, nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error { calls.Add(1); return nil }))
	d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"}, wechatpaytest.WithSchedule())
	if !errors.Is(err, wechatpaytest.ErrNotDelivered) || d.Attempts[0].Status != http.StatusServiceUnavailable || calls.Load() != 0 {
		t.Fatalf("%v: %+v, %d runs", err, d.Attempts, calls.Load())
	}
	errs := reported.all()
	var se *wechatpay.NotificationStoreError
	if len(errs) != 1 || !errors.As(errs[0], &se) || se.Op != "claim" || !errors.Is(errs[0], errStoreDown) || !errors.Is(errs[0], wechatpay.ErrNotificationStore) {
		t.Fatalf("reported %v", errs)
	}
}

// APIv2 notifications, keyed by their signed content: one run for 3
// receivers.
func TestExactlyOnceV2(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	store := wechatpay.NewMemoryNotificationStore()
	var calls atomic.Int32
	var urls []string
	for range 3 {
		nf := mustNew(t, srv.Config()).Notifier()
		nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: store}
		urls = append(urls, receiver(t, nf.V2Handler(func(ctx context.Context, n *wechatpay.V2Notification) error {
			calls.Add(1)
			time.Sleep(50 * time.Millisecond)
			return nil
		})))
	}
	for _, webhook := range []string{"v2/transaction-success", "v2/refund-processed"} {
		calls.Store(0)
		d, err := srv.Notify(context.Background(), fanOut(t, urls...), wechatpaytest.Notification{Webhook: webhook}, wechatpaytest.TimeScale(1e-3))
		if err != nil || !d.Delivered || calls.Load() != 1 {
			t.Fatalf("%s: %v, %d runs", webhook, err, calls.Load())
		}
	}
}

// A function that set a business answer asked a question: a repeat is
// answered again, by running it again.
func TestExactlyOnceReplyNotCompleted(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := mustNew(t, srv.Config()).Notifier()
	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: wechatpay.NewMemoryNotificationStore()}
	var calls atomic.Int32
	url := receiver(t, nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		calls.Add(1)
		n.Reply(map[string]string{"mch_name": "a shop"})
		return nil
	}))
	d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"}, wechatpaytest.WithSchedule())
	if err != nil || d.Attempts[0].Status != 200 {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(d.Body))
	req.Header = d.Header.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("a shop")) || calls.Load() != 2 {
		t.Fatalf("a repeat: %d %s, %d runs", resp.StatusCode, b, calls.Load())
	}
}

// The memory store forgets the least recently changed keys past
// MaxEntries, and lapsed claims.
func TestMemoryNotificationStoreBound(t *testing.T) {
	ctx := context.Background()
	s := &wechatpay.MemoryNotificationStore{MaxEntries: 3}
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		if st, _ := s.ClaimNotification(ctx, k, "h", time.Hour); st != wechatpay.ClaimAcquired {
			t.Fatal(k, st)
		}
		s.CompleteNotification(ctx, k, time.Hour)
	}
	if s.Len() != 3 {
		t.Fatalf("%d keys", s.Len())
	}
	for k, want := range map[string]wechatpay.ClaimState{"a": wechatpay.ClaimAcquired, "e": wechatpay.ClaimCompleted} {
		if st, _ := s.ClaimNotification(ctx, k, "other", time.Hour); st != want {
			t.Fatalf("%s: %v, want %v", k, st, want)
		}
	}
	// Claims: another holder waits; the holder extends and releases; a
	// lapsed claim goes to the next.
	s.ClaimNotification(ctx, "x", "h1", 50*time.Millisecond)
	if st, _ := s.ClaimNotification(ctx, "x", "h2", time.Hour); st != wechatpay.ClaimInProgress {
		t.Fatal(st)
	}
	if ok, _ := s.ExtendClaim(ctx, "x", "h2", time.Hour); ok {
		t.Fatal("another holder extended the claim")
	}
	time.Sleep(60 * time.Millisecond)
	if ok, _ := s.ExtendClaim(ctx, "x", "h1", time.Hour); ok {
		t.Fatal("a lapsed claim was extended")
	}
	if st, _ := s.ClaimNotification(ctx, "x", "h2", time.Hour); st != wechatpay.ClaimAcquired {
		t.Fatal(st)
	}
	s.ReleaseClaim(ctx, "x", "h1") // not h1's: nothing
	if st, _ := s.ClaimNotification(ctx, "x", "h3", time.Hour); st != wechatpay.ClaimInProgress {
		t.Fatal(st)
	}
	s.ReleaseClaim(ctx, "x", "h2")
	if st, _ := s.ClaimNotification(ctx, "x", "h3", time.Hour); st != wechatpay.ClaimAcquired {
		t.Fatal(st)
	}
}
