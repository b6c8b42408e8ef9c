package callctx

import (
	"context"
	"errors"
	"testing"
	"time"
)

type key struct{}

// A call's context behaves as context.WithDeadline's: it ends at its
// deadline with DeadlineExceeded, on Release with Canceled, carries its
// parent's values, and contexts made from it follow it.
func TestContext(t *testing.T) {
	parent := context.WithValue(context.Background(), key{}, "v")
	d := time.Now().Add(50 * time.Millisecond)
	c := New(parent, d)
	if c == nil {
		t.Fatal("New under a parent that cannot be cancelled: nil")
	}
	if !DeadlineOnly(c) || DeadlineOnly(parent) {
		t.Fatal("DeadlineOnly wrong")
	}
	if got, ok := c.Deadline(); !ok || !got.Equal(d) {
		t.Fatalf("Deadline() = %v, %v", got, ok)
	}
	if c.Value(key{}) != "v" {
		t.Fatal("the parent's value is lost")
	}
	if err := c.Err(); err != nil {
		t.Fatalf("Err() before the deadline: %v", err)
	}
	child, cancel := context.WithCancel(c)
	defer cancel()
	select {
	case <-c.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("Done not closed at the deadline")
	}
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() after the deadline: %v", err)
	}
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a child context did not end with its parent")
	}
	c.Release()
	c.Release() // twice is harmless
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() after the deadline and Release: %v", err)
	}
}

// Past its deadline, Err reports it, and Done is already closed, even when
// nothing asked for Done before.
func TestContextPastDeadline(t *testing.T) {
	c := New(context.Background(), time.Now().Add(-time.Second))
	if err := c.Err(); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Err() = %v", err)
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Err says done, Done is open")
	}
}

// Released before its deadline, it is cancelled.
func TestContextRelease(t *testing.T) {
	c := New(context.Background(), time.Now().Add(time.Hour))
	stopped := make(chan struct{})
	context.AfterFunc(c, func() { close(stopped) })
	c.Release()
	<-stopped
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() after Release = %v", err)
	}
	// Released before anything asked for Done.
	c = New(context.Background(), time.Now().Add(time.Hour))
	c.Release()
	if err := c.Err(); !errors.Is(err, context.Canceled) {
		t.Fatalf("Err() after an early Release = %v", err)
	}
	<-c.Done()
}

// Under a parent that can be cancelled, there is nothing to save: New
// leaves it to context.WithDeadline.
func TestNewCancellableParent(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	defer cancel()
	if c := New(parent, time.Now().Add(time.Hour)); c != nil {
		t.Fatal("New under a cancellable parent is not nil")
	}
}

// Sleep waits its time under a live context, and returns the context's
// error as soon as the context ends.
func TestSleep(t *testing.T) {
	if err := Sleep(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("Sleep under a live context: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(10*time.Millisecond, cancel)
	start := time.Now()
	if err := Sleep(ctx, time.Minute); !errors.Is(err, context.Canceled) {
		t.Fatalf("Sleep under a cancelled context: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Sleep returned %v after its context ended", d)
	}
}
