package wechatpay_test

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"
)

// memoryUse is what a piece of work did to the heap of the whole process
// (client and loopback server alike).
type memoryUse struct {
	// Peak is the highest heap (live and not yet swept objects) seen above
	// the heap before the work.
	Peak uint64
	// Allocated is the total of the allocations made during the work.
	Allocated uint64
}

// measureMemory runs fn and samples the heap every millisecond with
// runtime/metrics, which does not stop the world.
func measureMemory(fn func()) memoryUse {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	read := func() (heap, allocs uint64) {
		metrics.Read(samples)
		return samples[0].Value.Uint64(), samples[1].Value.Uint64()
	}
	runtime.GC()
	base, allocs0 := read()
	stop, peakc := make(chan struct{}), make(chan uint64)
	go func() {
		own := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		peak := base
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				peakc <- peak
				return
			case <-tick.C:
				metrics.Read(own)
				if v := own[0].Value.Uint64(); v > peak {
					peak = v
				}
			}
		}
	}()
	fn()
	close(stop)
	peak := <-peakc
	heap, allocs1 := read()
	if heap > peak {
		peak = heap
	}
	return memoryUse{Peak: peak - base, Allocated: allocs1 - allocs0}
}

// bigFile writes an n-byte file of random-looking bytes (a 1 MiB random
// block repeated) and returns its path.
func bigFile(tb testing.TB, name string, n int) string {
	tb.Helper()
	block := make([]byte, 1<<20)
	rand.Read(block)
	path := filepath.Join(tb.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	for written := 0; written < n; written += len(block) {
		if _, err := f.Write(block[:min(len(block), n-written)]); err != nil {
			tb.Fatal(err)
		}
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

const (
	mib = 1 << 20
	// The file size of the memory tests and benchmarks.
	bigSize = 50 * mib
)
