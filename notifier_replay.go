package wechatpay

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// ReplayGuard remembers which notifications were handled, so that one sent
// again (WeChat Pay repeats a notification until it is answered, and an
// attacker may replay a captured one within the signature's five minutes)
// is answered without being acted on twice.
//
// The handlers give it IDs made only of authenticated data, hashed, so
// each is short (under 80 bytes) whatever the notification holds: the
// APIv3 notification id, an APIv2 event_id or the signed fields of an
// APIv2 notification, the decrypted req_info of a refund notification.
//
// It is a convenience, not the whole answer: the business action itself
// must be idempotent. Under a lock on the order, check its state, act only
// if it has not changed yet, then record the new state; see
// docs/notifications.md.
//
// Deprecated: use Notifier.ExactlyOnce with a NotificationStore, which
// keys notifications the same way and, besides, holds back a duplicate
// arriving while the first is handled, on any instance, and lets WeChat
// Pay's retry handle a notification whose handling failed or was cut off.
// A ReplayGuard keeps working as before.
type ReplayGuard interface {
	// Handled reports whether the notification id was handled.
	Handled(ctx context.Context, id string) (bool, error)
	// MarkHandled records that the notification id was handled.
	MarkHandled(ctx context.Context, id string) error
}

// DefaultReplayTTL covers WeChat Pay's whole retry schedule
// (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h, 24h4m).
const DefaultReplayTTL = 25 * time.Hour

// DefaultReplayEntries is how many IDs a MemoryReplayGuard keeps unless
// MaxEntries says otherwise: about 25 MB, a day of more than one
// notification a second.
const DefaultReplayEntries = 100_000

// MemoryReplayGuard is a ReplayGuard in process memory, for a single
// instance.
//
// Deprecated: use Notifier.ExactlyOnce with a MemoryNotificationStore. Several instances need a shared store (Redis, a database)
// behind the same interface.
//
// Its memory is bounded: past MaxEntries IDs, the oldest is forgotten
// first, and a notification it forgot is handled again if it comes back
// (which the idempotent business action makes harmless).
type MemoryReplayGuard struct {
	// MaxEntries bounds the IDs kept; DefaultReplayEntries when zero. Set
	// it before the guard is used.
	MaxEntries int

	ttl time.Duration

	mu    sync.Mutex
	seen  map[string]*list.Element // of *replayEntry, in order
	order list.List                // oldest first
}

type replayEntry struct {
	id string
	at time.Time
}

// NewMemoryReplayGuard returns a guard remembering IDs for ttl
// (DefaultReplayTTL when zero), at most DefaultReplayEntries of them.
func NewMemoryReplayGuard(ttl time.Duration) *MemoryReplayGuard {
	if ttl <= 0 {
		ttl = DefaultReplayTTL
	}
	return &MemoryReplayGuard{ttl: ttl, seen: map[string]*list.Element{}}
}

// Handled reports whether id was marked within the TTL.
func (g *MemoryReplayGuard) Handled(_ context.Context, id string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	e, ok := g.seen[id]
	return ok && time.Now().Sub(e.Value.(*replayEntry).at) < g.lifetime(), nil
}

// lifetime makes the zero MemoryReplayGuard usable.
func (g *MemoryReplayGuard) lifetime() time.Duration {
	if g.ttl <= 0 {
		return DefaultReplayTTL
	}
	return g.ttl
}

// MarkHandled records id, forgetting the IDs that expired and, past
// MaxEntries, the oldest ones.
func (g *MemoryReplayGuard) MarkHandled(_ context.Context, id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.seen == nil {
		g.seen = map[string]*list.Element{}
	}
	now, ttl := time.Now(), g.lifetime()
	if e, ok := g.seen[id]; ok {
		e.Value.(*replayEntry).at = now
		g.order.MoveToBack(e)
	} else {
		g.seen[id] = g.order.PushBack(&replayEntry{id: id, at: now})
	}
	limit := g.MaxEntries
	if limit <= 0 {
		limit = DefaultReplayEntries
	}
	for e := g.order.Front(); e != nil; e = g.order.Front() {
		r := e.Value.(*replayEntry)
		if g.order.Len() <= limit && now.Sub(r.at) < ttl {
			break
		}
		g.order.Remove(e)
		delete(g.seen, r.id)
	}
	return nil
}

// Len returns the number of remembered IDs.
func (g *MemoryReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.order.Len()
}
