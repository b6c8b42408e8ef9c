package middleware

import (
	"crypto/rsa"
	"sort"
	"sync"
	"sync/atomic"
)

// KeyStore finds the WeChat Pay public key that verifies an answer or a
// notification, by the serial in its Wechatpay-Serial header: a platform
// certificate serial, or a public key ID (PUB_KEY_ID_…).
type KeyStore interface {
	PublicKey(serial string) (*rsa.PublicKey, bool)
}

// Keys is a KeyStore that may be updated while calls are in flight, as when
// platform certificates rotate: readers never block and always see a
// consistent set.
type Keys struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[string]*rsa.PublicKey]
}

// NewKeys returns a Keys holding a copy of m.
func NewKeys(m map[string]*rsa.PublicKey) *Keys {
	k := &Keys{}
	c := make(map[string]*rsa.PublicKey, len(m))
	for s, p := range m {
		c[s] = p
	}
	k.m.Store(&c)
	return k
}

// PublicKey returns the key for serial.
func (k *Keys) PublicKey(serial string) (*rsa.PublicKey, bool) {
	m := k.m.Load()
	if m == nil {
		return nil, false
	}
	p, ok := (*m)[serial]
	return p, ok
}

// Set adds or replaces the key for serial.
func (k *Keys) Set(serial string, pub *rsa.PublicKey) {
	k.update(func(m map[string]*rsa.PublicKey) { m[serial] = pub })
}

// Delete removes the key for serial.
func (k *Keys) Delete(serial string) {
	k.update(func(m map[string]*rsa.PublicKey) { delete(m, serial) })
}

// Serials returns the known serials, sorted.
func (k *Keys) Serials() []string {
	m := k.m.Load()
	if m == nil {
		return nil
	}
	s := make([]string, 0, len(*m))
	for serial := range *m {
		s = append(s, serial)
	}
	sort.Strings(s)
	return s
}

// Len returns the number of keys.
func (k *Keys) Len() int {
	m := k.m.Load()
	if m == nil {
		return 0
	}
	return len(*m)
}

func (k *Keys) update(f func(map[string]*rsa.PublicKey)) {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.m.Load()
	c := make(map[string]*rsa.PublicKey)
	if old != nil {
		for s, p := range *old {
			c[s] = p
		}
	}
	f(c)
	k.m.Store(&c)
}
