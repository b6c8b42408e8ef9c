package openssl

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// live counts the keys held in OpenSSL, for the tests.
var live atomic.Int64

// handle owns an OpenSSL key: the key lives until close, or until the
// garbage collector finds the handle unreachable.
type handle struct {
	mu      sync.RWMutex
	p       *pkey
	cleanup runtime.Cleanup
}

func newHandle(p *pkey) *handle {
	live.Add(1)
	h := &handle{p: p}
	h.cleanup = runtime.AddCleanup(h, dropKey, p)
	return h
}

// dropKey frees a key of a handle.
func dropKey(p *pkey) {
	freeKey(p)
	live.Add(-1)
}

func (h *handle) close() {
	if h == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.p != nil {
		h.cleanup.Stop()
		dropKey(h.p)
		h.p = nil
	}
}

// acquire returns the key, which stays open until release, or nil (and
// nothing to release) when the handle is closed.
func (h *handle) acquire() *pkey {
	if h == nil {
		return nil
	}
	h.mu.RLock()
	if h.p == nil {
		h.mu.RUnlock()
		return nil
	}
	return h.p
}

// release ends the use begun by a successful acquire.
func (h *handle) release() { h.mu.RUnlock() }
