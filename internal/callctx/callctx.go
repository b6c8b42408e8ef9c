// Package callctx gives a call its deadline without a timer: most calls
// are made under context.Background, so that their deadline (the client's
// timeout) is the only thing that can end them, and the transport puts it
// on the connection. The timer and the cancellation watch that
// context.WithTimeout and context.AfterFunc would set up for every call are
// then made only when a step asks for Done. Sleep is the package's other
// service: a wait that ends with its context, for the steps that pause
// between attempts.
package callctx

import (
	"context"
	"sync"
	"time"
)

// Context is a context that ends at its deadline and by nothing else: its
// parent can never be cancelled (its Done is nil).
type Context struct {
	parent   context.Context
	deadline time.Time

	mu     sync.Mutex
	inner  context.Context // made by Done: the real timer
	cancel context.CancelFunc
}

// New returns a context ending at d, to be released with Release once the
// call is over, as a context.WithDeadline is cancelled; nil when parent can
// be cancelled: context.WithDeadline is then the context to use.
func New(parent context.Context, d time.Time) *Context {
	if parent.Done() != nil {
		return nil
	}
	if cur, ok := parent.Deadline(); ok && cur.Before(d) {
		d = cur
	}
	return &Context{parent: parent, deadline: d}
}

// DeadlineOnly reports whether ctx ends at its deadline and by nothing
// else, so that a connection deadline set to it stands for watching it.
func DeadlineOnly(ctx context.Context) bool {
	_, ok := ctx.(*Context)
	return ok
}

// Deadline returns the deadline.
func (c *Context) Deadline() (time.Time, bool) { return c.deadline, true }

// Done returns a channel closed at the deadline (or on release).
func (c *Context) Done() <-chan struct{} { return c.real().Done() }

// Err returns context.DeadlineExceeded once the deadline has passed (or
// context.Canceled after release), nil before.
func (c *Context) Err() error {
	c.mu.Lock()
	inner := c.inner
	c.mu.Unlock()
	if inner == nil {
		if time.Now().Before(c.deadline) {
			return nil
		}
		// Past the deadline: Done must be closed before Err says so. A
		// timer made now ends at once.
		inner = c.real()
	}
	return inner.Err()
}

// Value returns the parent's value for key.
func (c *Context) Value(key any) any { return c.parent.Value(key) }

// AfterFunc arranges for f to run at the end of the context, as
// context.AfterFunc does; a context derived from this one uses it rather
// than a goroutine to follow it.
func (c *Context) AfterFunc(f func()) (stop func() bool) {
	return context.AfterFunc(c.real(), f)
}

// String names the context, as the standard ones do.
func (c *Context) String() string {
	return "callctx.WithDeadline(" + c.deadline.String() + ")"
}

// real returns the context.WithDeadline this one stands for, made at the
// first need.
func (c *Context) real() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner, c.cancel = context.WithDeadline(c.parent, c.deadline)
	}
	return c.inner
}

// Release stops the timer, if one was made; the context is then
// cancelled.
func (c *Context) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		c.inner = canceled
		return
	}
	if c.cancel != nil {
		c.cancel()
	}
}

// canceled is the state of a context released before anything asked for
// its Done.
var canceled = func() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}()
