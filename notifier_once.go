package wechatpay

import (
	"container/list"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/wechatpay-go/wechatpay/internal/callctx"
)

// NotificationStore records, for the receivers of a merchant's
// notifications on every instance, which notifications are being handled
// and which were: see ExactlyOnce. MemoryNotificationStore serves one
// process; the redisstore package serves many.
//
// Keys are made by the handlers of authenticated data only, hashed (as
// for ReplayGuard): "v3:id:…" for an APIv3 notification's id, "v2:…" for
// the signed or decrypted content of an APIv2 one; each is under 80
// bytes. Methods must be safe for concurrent use, and each must be atomic
// for its key: two receivers claiming at once cannot both get
// ClaimAcquired.
type NotificationStore interface {
	// ClaimNotification claims key for holder until lease has passed,
	// unless it is claimed by another holder (ClaimInProgress) or was
	// handled (ClaimCompleted).
	ClaimNotification(ctx context.Context, key, holder string, lease time.Duration) (ClaimState, error)
	// ExtendClaim extends holder's claim to lease from now; it reports
	// false, changing nothing, when holder's claim has lapsed or was taken.
	ExtendClaim(ctx context.Context, key, holder string, lease time.Duration) (bool, error)
	// CompleteNotification records key as handled for ttl, ending its
	// claim.
	CompleteNotification(ctx context.Context, key string, ttl time.Duration) error
	// ReleaseClaim ends holder's claim, so that the next delivery handles
	// the notification; it does nothing when holder does not have it.
	ReleaseClaim(ctx context.Context, key, holder string) error
}

// ClaimState is what NotificationStore.ClaimNotification found.
type ClaimState int

// The states of a claim.
const (
	// ClaimAcquired: the caller holds the claim and handles the
	// notification.
	ClaimAcquired ClaimState = iota + 1
	// ClaimInProgress: another receiver holds the claim.
	ClaimInProgress
	// ClaimCompleted: the notification was handled.
	ClaimCompleted
)

// String names the state.
func (s ClaimState) String() string {
	switch s {
	case ClaimAcquired:
		return "acquired"
	case ClaimInProgress:
		return "in progress"
	case ClaimCompleted:
		return "completed"
	}
	return fmt.Sprintf("ClaimState(%d)", int(s))
}

// Defaults of ExactlyOnce.
const (
	// DefaultClaimLease is how long a claim lasts unless renewed: the
	// receiver handling a notification renews it every third of it, so it
	// lapses this long after the receiver died, and the next retry (15 s,
	// then 30 s, 3 min… later) handles the notification.
	DefaultClaimLease = 30 * time.Second
	// DefaultClaimWait is how long a duplicate waits for the receiver
	// handling the notification before it answers "retry later": less than
	// the few seconds WeChat Pay waits for an answer.
	DefaultClaimWait = 2 * time.Second
)

// claimPoll is how often a waiting duplicate asks the store again.
const claimPoll = 50 * time.Millisecond

// ErrNotificationStore matches every *NotificationStoreError.
var ErrNotificationStore = errors.New("wechatpay: notification store")

// ErrClaimLost: the claim of a notification being handled lapsed or was
// taken before the handler finished (it ran longer than the lease and a
// renewal failed), so another receiver may handle it too.
var ErrClaimLost = errors.New("the claim on the notification was lost while it was being handled")

// NotificationStoreError reports a NotificationStore that failed, or a
// claim lost; ExactlyOnce.OnError receives it.
type NotificationStoreError struct {
	// Op is what was asked of the store: "claim", "extend", "complete" or
	// "release".
	Op string
	// Key is the notification's key (a hash of authenticated data).
	Key string
	// Err is the cause.
	Err error
}

// Error says what failed.
func (e *NotificationStoreError) Error() string {
	return fmt.Sprintf("wechatpay: notification store: %s %s: %v", e.Op, e.Key, e.Err)
}

// Unwrap returns the cause.
func (e *NotificationStoreError) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotificationStore) true.
func (e *NotificationStoreError) Is(target error) bool { return target == ErrNotificationStore }

// ExactlyOnce makes a Notifier's handlers run their function once per
// notification, however many times WeChat Pay delivers it (it delivers at
// least once, retries for 24h4m, and a retry may reach any instance):
//
//   - The first delivery claims the notification in Store and runs the
//     function, renewing the claim while it runs.
//   - A duplicate arriving meanwhile, on this instance or another, waits
//     up to Wait for the claim's end: the notification handled, it is
//     acknowledged; still claimed, it is answered 503 so that WeChat Pay
//     retries later.
//   - A notification handled before (within TTL) is acknowledged without
//     running the function.
//   - A function that fails releases the claim and the notification is
//     answered as failed: WeChat Pay's retry runs it again. A receiver
//     that dies while the function runs stops renewing its claim, which
//     lapses after Lease: a later retry runs it.
//   - When the store cannot be reached the notification is answered 503,
//     never run unchecked: WeChat Pay retries for a day.
//
// Notifications are keyed only by authenticated data (see
// NotificationStore). The rare notifications that expect a business answer
// (Notification.Reply) ask rather than tell: their claim is released, not
// completed, so that a repeat is answered again.
//
// Exactly once holds for the function's start and success as the store
// sees them. What it does elsewhere should still be idempotent (a
// database write keyed by out_trade_no, under its own transaction), for a
// function that succeeds but whose completion the store does not record.
type ExactlyOnce struct {
	// Store is shared by every receiver of the merchant's notifications:
	// a MemoryNotificationStore for one instance, a redisstore.Store for
	// many.
	Store NotificationStore
	// Lease is how long a claim lasts unless renewed; DefaultClaimLease
	// when zero.
	Lease time.Duration
	// TTL is how long a handled notification is remembered;
	// DefaultReplayTTL (25 h, WeChat Pay's 24h4m of retries) when zero.
	TTL time.Duration
	// Wait is how long a duplicate waits for the claim's holder;
	// DefaultClaimWait when zero, none when negative.
	Wait time.Duration
	// OnError, when set, is called with each *NotificationStoreError.
	OnError func(error)
}

func (o *ExactlyOnce) lease() time.Duration {
	if o.Lease > 0 {
		return o.Lease
	}
	return DefaultClaimLease
}

func (o *ExactlyOnce) ttl() time.Duration {
	if o.TTL > 0 {
		return o.TTL
	}
	return DefaultReplayTTL
}

func (o *ExactlyOnce) wait() time.Duration {
	switch {
	case o.Wait < 0:
		return 0
	case o.Wait == 0:
		return DefaultClaimWait
	}
	return o.Wait
}

func (o *ExactlyOnce) report(op, key string, err error) {
	if o.OnError != nil {
		o.OnError(&NotificationStoreError{Op: op, Key: key, Err: err})
	}
}

// serve handles the notification of key: run is the function, done what a
// handled notification is answered, fail how a failure is written. run
// returns its answer and whether the notification asked a question
// (a reply), whose claim is then released.
func (o *ExactlyOnce) serve(ctx context.Context, key string, fail func(int, string) answer, done answer, run func() (answer, bool, error)) answer {
	if o.Store == nil {
		return fail(http.StatusInternalServerError, "receiver not configured")
	}
	if key == "" {
		// Nothing authenticated to key on: handled as it comes.
		a, _, err := run()
		if err != nil {
			return fail(http.StatusInternalServerError, "processing failed")
		}
		return a
	}
	holder := claimHolder()
	deadline := time.Now().Add(o.wait())
	for {
		state, err := o.Store.ClaimNotification(ctx, key, holder, o.lease())
		if err != nil {
			o.report("claim", key, err)
			return fail(http.StatusServiceUnavailable, "retry later")
		}
		switch state {
		case ClaimCompleted:
			return done
		case ClaimAcquired:
			return o.process(ctx, key, holder, fail, run)
		case ClaimInProgress:
		default:
			o.report("claim", key, fmt.Errorf("the store answered %v", state))
			return fail(http.StatusServiceUnavailable, "retry later")
		}
		if !time.Now().Add(claimPoll).Before(deadline) || callctx.Sleep(ctx, claimPoll) != nil {
			return fail(http.StatusServiceUnavailable, "being processed; retry later")
		}
	}
}

// process runs the function under holder's claim, renewing it meanwhile,
// then completes or releases the claim.
func (o *ExactlyOnce) process(ctx context.Context, key, holder string, fail func(int, string) answer, run func() (answer, bool, error)) answer {
	// The claim's end is recorded even when the request is gone: its
	// context ends with it.
	after := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	}
	release := func() {
		c, cancel := after()
		defer cancel()
		if err := o.Store.ReleaseClaim(c, key, holder); err != nil {
			o.report("release", key, err)
		}
	}
	stop := o.renew(key, holder)
	finished := false
	defer func() {
		stop()
		if !finished { // the function panicked: let a retry run it
			release()
		}
	}()
	a, question, err := run()
	finished = true
	stop()
	if err != nil || question {
		release()
		if err != nil {
			return fail(http.StatusInternalServerError, "processing failed")
		}
		return a
	}
	c, cancel := after()
	defer cancel()
	if err := o.Store.CompleteNotification(c, key, o.ttl()); err != nil {
		// Handled all the same: answering success stops the retries
		// that would run it again.
		o.report("complete", key, err)
	}
	return a
}

// renew renews holder's claim every third of the lease until the returned
// function is called.
func (o *ExactlyOnce) renew(key, holder string) func() {
	lease := o.lease()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(max(lease/3, time.Millisecond))
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			ctx, cancel := context.WithTimeout(context.Background(), max(lease/3, time.Millisecond))
			ok, err := o.Store.ExtendClaim(ctx, key, holder, lease)
			cancel()
			switch {
			case err != nil:
				o.report("extend", key, err)
			case !ok:
				o.report("extend", key, ErrClaimLost)
				return
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(quit)
			wg.Wait()
		})
	}
}

// claimHolder names one delivery's claim.
func claimHolder() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// MemoryNotificationStore is a NotificationStore in process memory, for
// the receivers of one instance. Several instances need a shared one, such
// as redisstore.Store.
//
// Its memory is bounded: past MaxEntries keys the least recently changed
// is forgotten first, so that a notification it forgot is handled again if
// it comes back.
type MemoryNotificationStore struct {
	// MaxEntries bounds the keys kept; DefaultReplayEntries when zero. Set
	// it before the store is used.
	MaxEntries int

	mu      sync.Mutex
	entries map[string]*list.Element // of *claimEntry
	order   list.List                // least recently changed first
}

type claimEntry struct {
	key    string
	holder string // "" once completed
	done   bool
	until  time.Time
}

// NewMemoryNotificationStore returns an empty store.
func NewMemoryNotificationStore() *MemoryNotificationStore { return &MemoryNotificationStore{} }

// live returns the entry of key, forgetting it when it has lapsed.
func (s *MemoryNotificationStore) live(key string, now time.Time) *claimEntry {
	e, ok := s.entries[key]
	if !ok {
		return nil
	}
	c := e.Value.(*claimEntry)
	if !now.Before(c.until) {
		s.order.Remove(e)
		delete(s.entries, key)
		return nil
	}
	return c
}

// set records c as key's entry, the most recently changed, and forgets
// the lapsed and, past MaxEntries, the least recently changed entries.
func (s *MemoryNotificationStore) set(c *claimEntry, now time.Time) {
	if s.entries == nil {
		s.entries = map[string]*list.Element{}
	}
	if e, ok := s.entries[c.key]; ok {
		e.Value = c
		s.order.MoveToBack(e)
	} else {
		s.entries[c.key] = s.order.PushBack(c)
	}
	limit := s.MaxEntries
	if limit <= 0 {
		limit = DefaultReplayEntries
	}
	for e := s.order.Front(); e != nil; e = s.order.Front() {
		old := e.Value.(*claimEntry)
		if s.order.Len() <= limit && now.Before(old.until) {
			break
		}
		s.order.Remove(e)
		delete(s.entries, old.key)
	}
}

// ClaimNotification claims key for holder unless it is claimed or done.
func (s *MemoryNotificationStore) ClaimNotification(_ context.Context, key, holder string, lease time.Duration) (ClaimState, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if c := s.live(key, now); c != nil {
		switch {
		case c.done:
			return ClaimCompleted, nil
		case c.holder != holder:
			return ClaimInProgress, nil
		}
	}
	s.set(&claimEntry{key: key, holder: holder, until: now.Add(lease)}, now)
	return ClaimAcquired, nil
}

// ExtendClaim extends holder's claim.
func (s *MemoryNotificationStore) ExtendClaim(_ context.Context, key, holder string, lease time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	c := s.live(key, now)
	if c == nil || c.done || c.holder != holder {
		return false, nil
	}
	s.set(&claimEntry{key: key, holder: holder, until: now.Add(lease)}, now)
	return true, nil
}

// CompleteNotification records key as handled for ttl.
func (s *MemoryNotificationStore) CompleteNotification(_ context.Context, key string, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.set(&claimEntry{key: key, done: true, until: now.Add(ttl)}, now)
	return nil
}

// ReleaseClaim ends holder's claim.
func (s *MemoryNotificationStore) ReleaseClaim(_ context.Context, key, holder string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.live(key, time.Now()); c != nil && !c.done && c.holder == holder {
		s.order.Remove(s.entries[key])
		delete(s.entries, key)
	}
	return nil
}

// Len returns the number of keys kept, lapsed ones included until they
// are next looked at.
func (s *MemoryNotificationStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.order.Len()
}
