//go:build openssl && cgo

package openssl

import (
	"crypto/rand"
	"crypto/rsa"
	"runtime"
	"testing"
	"time"
)

func TestKeysAreFreed(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	before := live.Load()

	k, err := NewPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if live.Load() != before+1 {
		t.Fatalf("%d keys live, want %d", live.Load(), before+1)
	}
	k.Close()
	k.Close()
	if live.Load() != before {
		t.Fatalf("after Close: %d keys live, want %d", live.Load(), before)
	}

	// Keys dropped without Close are freed by the garbage collector.
	for range 10 {
		if _, err := NewPrivateKey(key); err != nil {
			t.Fatal(err)
		}
		if _, err := NewPublicKey(&key.PublicKey); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; live.Load() != before; i++ {
		if i == 100 {
			t.Fatalf("%d keys still live after dropping them, want %d", live.Load(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
