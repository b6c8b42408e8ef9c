package middleware_test

import (
	"crypto/rand"
	"crypto/rsa"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay/middleware"
)

func TestKeysValidity(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	pub := &key.PublicKey
	k := middleware.NewKeys(map[string]*rsa.PublicKey{"PUB_KEY_ID_0114232134912410000000000000": pub})
	now := time.Now()
	k.Update([]middleware.KeyInfo{
		{Serial: "OLD", PublicKey: pub, NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(-time.Hour)},
		{Serial: "NEW", PublicKey: pub, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(48 * time.Hour)},
		{Serial: "", PublicKey: pub},    // ignored
		{Serial: "NIL", PublicKey: nil}, // ignored
	})
	if got := k.Serials(); !reflect.DeepEqual(got, []string{"NEW", "OLD", "PUB_KEY_ID_0114232134912410000000000000"}) {
		t.Fatal(got)
	}
	old, _ := k.Lookup("OLD")
	nw, _ := k.Lookup("NEW")
	pk, _ := k.Lookup("PUB_KEY_ID_0114232134912410000000000000")
	switch {
	case old.ValidAt(now) || !nw.ValidAt(now) || !pk.ValidAt(now):
		t.Fatal("ValidAt")
	case !pk.IsPublicKey() || nw.IsPublicKey() || pk.HasValidity() || !nw.HasValidity():
		t.Fatal("kind")
	}
	// Update removes and adds in one step.
	k.Update([]middleware.KeyInfo{{Serial: "NEWER", PublicKey: pub}}, "OLD")
	if got := k.Serials(); !reflect.DeepEqual(got, []string{"NEW", "NEWER", "PUB_KEY_ID_0114232134912410000000000000"}) {
		t.Fatal(got)
	}
	// Set clears a validity period, Delete removes, PublicKey reads.
	k.Set("NEW", pub)
	if info, _ := k.Lookup("NEW"); info.HasValidity() {
		t.Fatal(info)
	}
	k.Delete("NEW")
	if _, ok := k.PublicKey("NEW"); ok || k.Len() != 2 {
		t.Fatal(k.Serials())
	}
	if all := k.All(); len(all) != 2 || all[0].Serial != "NEWER" {
		t.Fatal(all)
	}
	// The zero Keys is usable.
	var z middleware.Keys
	if _, ok := z.PublicKey("x"); ok || z.Len() != 0 || z.All() != nil {
		t.Fatal("zero Keys")
	}
	z.Set("x", pub)
	if _, ok := z.PublicKey("x"); !ok {
		t.Fatal("zero Keys Set")
	}
}

// Readers see a batch all at once or not at all.
func TestKeysUpdateIsAtomic(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 1024)
	pub := &key.PublicKey
	k := middleware.NewKeys(map[string]*rsa.PublicKey{"A1": pub, "B1": pub})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if i%2 == 0 {
				k.Update([]middleware.KeyInfo{{Serial: "A2", PublicKey: pub}, {Serial: "B2", PublicKey: pub}}, "A1", "B1")
			} else {
				k.Update([]middleware.KeyInfo{{Serial: "A1", PublicKey: pub}, {Serial: "B1", PublicKey: pub}}, "A2", "B2")
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		s := k.Serials()
		if !reflect.DeepEqual(s, []string{"A1", "B1"}) && !reflect.DeepEqual(s, []string{"A2", "B2"}) {
			t.Fatalf("torn update: %v", s)
		}
	}
	close(stop)
	wg.Wait()
}
