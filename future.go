package wechatpay

import (
	"context"
	"errors"
	"fmt"
)

// Future is the result of an asynchronous call, available later: Go's form
// of the Guzzle promise that wechatpay-php's *Async verbs return.
//
//	res, err := client.Chain("v3/certificates").GetAsync().
//		Then(func(r *wechatpay.Response) (*wechatpay.Response, error) { … }).
//		Otherwise(func(err error) (*wechatpay.Response, error) { … }).
//		Wait()
//
// Every goroutine behind a Future ends when its call ends; Cancel ends the
// call early.
type Future[T any] struct {
	done   chan struct{}
	val    T
	err    error
	cancel context.CancelFunc
}

// Go runs fn in its own goroutine under a cancellable child of ctx and
// returns its Future.
func Go[T any](ctx context.Context, fn func(ctx context.Context) (T, error)) *Future[T] {
	ctx, cancel := context.WithCancel(ctx)
	f := &Future[T]{done: make(chan struct{}), cancel: cancel}
	go func() {
		defer cancel()
		defer close(f.done)
		f.val, f.err = fn(ctx)
	}()
	return f
}

// Wait blocks until the result is ready and returns it. PHP: ->wait().
func (f *Future[T]) Wait() (T, error) {
	<-f.done
	return f.val, f.err
}

// WaitContext is Wait, giving up when ctx is done (the call goes on; Cancel
// stops it).
func (f *Future[T]) WaitContext(ctx context.Context) (T, error) {
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero T
		return zero, ctx.Err()
	}
}

// Done is closed when the result is ready.
func (f *Future[T]) Done() <-chan struct{} { return f.done }

// Cancel abandons the call; its result becomes a context.Canceled error
// unless it was already ready. PHP: ->cancel().
func (f *Future[T]) Cancel() { f.cancel() }

// Then returns a Future of fn applied to the value, when there is no error;
// an error passes through untouched. PHP: ->then($onFulfilled).
func (f *Future[T]) Then(fn func(T) (T, error)) *Future[T] {
	return Then(f, fn)
}

// Otherwise returns a Future that, on error, is fn applied to the error
// (which may recover with a value); a value passes through untouched.
// PHP: ->otherwise($onRejected).
func (f *Future[T]) Otherwise(fn func(error) (T, error)) *Future[T] {
	return chain(f, func(v T, err error) (T, error) {
		if err == nil {
			return v, nil
		}
		return fn(err)
	})
}

// Then is Future.Then for a callback that changes the value's type, such as
// decoding a Response into a struct.
func Then[T, U any](f *Future[T], fn func(T) (U, error)) *Future[U] {
	return chain(f, func(v T, err error) (U, error) {
		if err != nil {
			var zero U
			return zero, err
		}
		return fn(v)
	})
}

func chain[T, U any](f *Future[T], fn func(T, error) (U, error)) *Future[U] {
	g := &Future[U]{done: make(chan struct{}), cancel: f.cancel}
	go func() {
		defer close(g.done)
		<-f.done
		defer func() {
			// A panicking callback rejects the future, as a throwing
			// callback rejects a Guzzle promise.
			if r := recover(); r != nil {
				var zero U
				g.val, g.err = zero, fmt.Errorf("wechatpay: Future callback panicked: %v", r)
			}
		}()
		g.val, g.err = fn(f.val, f.err)
	}()
	return g
}

// WaitAll waits for every future and returns their values in order, and the
// errors joined (nil when all succeeded). PHP: GuzzleHttp\Promise\Utils::all.
func WaitAll[T any](fs ...*Future[T]) ([]T, error) {
	vals := make([]T, len(fs))
	var errs []error
	for i, f := range fs {
		v, err := f.Wait()
		vals[i] = v
		if err != nil {
			errs = append(errs, fmt.Errorf("future %d: %w", i, err))
		}
	}
	return vals, errors.Join(errs...)
}
