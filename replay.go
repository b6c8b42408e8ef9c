package wechatpay

import (
	"context"
	"sync"
	"time"
)

// ReplayGuard remembers which notifications were handled, so that one sent
// again (WeChat Pay repeats a notification until it is answered, and an
// attacker may replay a captured one within the signature's five minutes)
// is answered without being acted on twice.
//
// It is a convenience, not the whole answer: the business action itself
// must be idempotent. Under a lock on the order, check its state, act only
// if it has not changed yet, then record the new state; see
// docs/notifications.md.
type ReplayGuard interface {
	// Handled reports whether the notification id was handled.
	Handled(ctx context.Context, id string) (bool, error)
	// MarkHandled records that the notification id was handled.
	MarkHandled(ctx context.Context, id string) error
}

// DefaultReplayTTL covers WeChat Pay's whole retry schedule
// (15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/6h/6h, 24h4m).
const DefaultReplayTTL = 25 * time.Hour

// MemoryReplayGuard is a ReplayGuard in process memory, for a single
// instance. Several instances need a shared store (Redis, a database)
// behind the same interface.
type MemoryReplayGuard struct {
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	seen  map[string]time.Time
	sweep time.Time
}

// NewMemoryReplayGuard returns a guard remembering IDs for ttl
// (DefaultReplayTTL when zero).
func NewMemoryReplayGuard(ttl time.Duration) *MemoryReplayGuard {
	if ttl <= 0 {
		ttl = DefaultReplayTTL
	}
	return &MemoryReplayGuard{ttl: ttl, now: time.Now, seen: map[string]time.Time{}}
}

// Handled reports whether id was marked within the TTL.
func (g *MemoryReplayGuard) Handled(_ context.Context, id string) (bool, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	t, ok := g.seen[id]
	return ok && g.now().Sub(t) < g.ttl, nil
}

// MarkHandled records id, and now and then forgets expired IDs.
func (g *MemoryReplayGuard) MarkHandled(_ context.Context, id string) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	g.seen[id] = now
	if now.Sub(g.sweep) > g.ttl/8 {
		for k, t := range g.seen {
			if now.Sub(t) >= g.ttl {
				delete(g.seen, k)
			}
		}
		g.sweep = now
	}
	return nil
}

// Len returns the number of remembered IDs.
func (g *MemoryReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}
