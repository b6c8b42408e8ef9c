package middleware

import (
	"crypto/rsa"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// KeyStore finds the WeChat Pay public key that verifies an answer or a
// notification, by the serial in its Wechatpay-Serial header: a platform
// certificate serial, or a public key ID (PUB_KEY_ID_…).
type KeyStore interface {
	PublicKey(serial string) (*rsa.PublicKey, bool)
}

// PublicKeyIDPrefix starts the ID of a WeChat Pay public key (微信支付公钥ID);
// any other serial names a platform certificate (平台证书).
const PublicKeyIDPrefix = "PUB_KEY_ID_"

// KeyInfo is one entry of Keys: a public key and, for a platform
// certificate, the period it is valid in.
type KeyInfo struct {
	// Serial is the platform certificate serial or the public key ID.
	Serial string
	// PublicKey verifies WeChat Pay's signatures and encrypts sensitive
	// fields for it.
	PublicKey *rsa.PublicKey
	// NotBefore and NotAfter bound the certificate's validity. Both are zero
	// when it is unknown, as for a WeChat Pay public key, which does not
	// expire.
	NotBefore, NotAfter time.Time
}

// IsPublicKey reports whether the entry is a WeChat Pay public key
// (PUB_KEY_ID_…) rather than a platform certificate.
func (k KeyInfo) IsPublicKey() bool { return strings.HasPrefix(k.Serial, PublicKeyIDPrefix) }

// HasValidity reports whether the validity period is known.
func (k KeyInfo) HasValidity() bool { return !k.NotBefore.IsZero() || !k.NotAfter.IsZero() }

// ValidAt reports whether t is within the validity period (inclusive, as
// X.509 defines); an entry without a known period is valid at any time.
func (k KeyInfo) ValidAt(t time.Time) bool {
	if !k.NotBefore.IsZero() && t.Before(k.NotBefore) {
		return false
	}
	return k.NotAfter.IsZero() || !t.After(k.NotAfter)
}

// Keys is a KeyStore that may be updated while calls are in flight, as when
// platform certificates rotate: readers never block and always see a
// consistent set. Each update copies the set, so updates should be rare
// (a rotation) rather than per call.
type Keys struct {
	mu sync.Mutex // serialises writers
	m  atomic.Pointer[map[string]KeyInfo]
}

// NewKeys returns a Keys holding a copy of m, without validity periods.
func NewKeys(m map[string]*rsa.PublicKey) *Keys {
	k := &Keys{}
	c := make(map[string]KeyInfo, len(m))
	for s, p := range m {
		c[s] = KeyInfo{Serial: s, PublicKey: p}
	}
	k.m.Store(&c)
	return k
}

// PublicKey returns the key for serial.
func (k *Keys) PublicKey(serial string) (*rsa.PublicKey, bool) {
	info, ok := k.Lookup(serial)
	return info.PublicKey, ok
}

// Lookup returns the entry for serial.
func (k *Keys) Lookup(serial string) (KeyInfo, bool) {
	m := k.m.Load()
	if m == nil {
		return KeyInfo{}, false
	}
	info, ok := (*m)[serial]
	return info, ok
}

// All returns every entry, sorted by serial.
func (k *Keys) All() []KeyInfo {
	m := k.m.Load()
	if m == nil {
		return nil
	}
	out := make([]KeyInfo, 0, len(*m))
	for _, info := range *m {
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b KeyInfo) int { return strings.Compare(a.Serial, b.Serial) })
	return out
}

// Set adds or replaces the key for serial, without a validity period.
func (k *Keys) Set(serial string, pub *rsa.PublicKey) {
	k.Update([]KeyInfo{{Serial: serial, PublicKey: pub}})
}

// Delete removes the key for serial.
func (k *Keys) Delete(serial string) {
	k.Update(nil, serial)
}

// Update adds or replaces the entries of set and removes the serials of
// del, all at once: a reader sees the set before the update or after it,
// never in between, so that the certificates of a rotation can be swapped
// in together. An entry of set with an empty Serial or a nil PublicKey is
// ignored.
func (k *Keys) Update(set []KeyInfo, del ...string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	old := k.m.Load()
	c := make(map[string]KeyInfo)
	if old != nil {
		for s, info := range *old {
			c[s] = info
		}
	}
	for _, s := range del {
		delete(c, s)
	}
	for _, info := range set {
		if info.Serial != "" && info.PublicKey != nil {
			c[info.Serial] = info
		}
	}
	k.m.Store(&c)
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
