package middleware

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/internal/callctx"
)

// Defaults of a RetryPolicy's zero fields.
const (
	DefaultRetryAttempts  = 3
	DefaultRetryBaseDelay = 200 * time.Millisecond
	DefaultRetryMaxDelay  = 5 * time.Second
)

// RetryPolicy says how often, and how long apart, the "retry" step sends a
// call again. Which failures are retried is not configurable: see Retry.
type RetryPolicy struct {
	// MaxAttempts is the number of attempts, the first one included;
	// DefaultRetryAttempts when zero. 1 turns retrying off.
	MaxAttempts int

	// BaseDelay is the wait before the second attempt; each later wait
	// doubles, up to MaxDelay. Each wait is then drawn at random between
	// its half and itself (jitter), so that many clients failing together
	// do not retry together. DefaultRetryBaseDelay when zero.
	BaseDelay time.Duration

	// MaxDelay bounds one wait; DefaultRetryMaxDelay when zero. A
	// Retry-After header asking for a longer wait ends the retries rather
	// than being cut short.
	MaxDelay time.Duration

	// AttemptTimeout, when set, bounds each attempt, so that an attempt
	// that hangs leaves time for another. The call's timeout
	// (Config.Timeout, the timeout option) and its context bound all the
	// attempts and waits together.
	AttemptTimeout time.Duration
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultRetryAttempts
	}
	if p.BaseDelay <= 0 {
		p.BaseDelay = DefaultRetryBaseDelay
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = DefaultRetryMaxDelay
	}
	return p
}

// RetryError is the error of a call the "retry" step made more than once:
// every attempt failed, or the last one failed in a way that must not be
// retried. A call made once returns its error as it is.
type RetryError struct {
	// Attempts is the number of attempts made.
	Attempts int
	// Errs is what each attempt met, in order: Errs[Attempts-1] is the
	// last.
	Errs []error
	// Interrupted, when not nil, is why the step stopped waiting for the
	// next attempt: the call's context ended (context.Canceled or
	// context.DeadlineExceeded).
	Interrupted error
}

// Error names the number of attempts and the last cause.
func (e *RetryError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wechatpay: %d attempts failed", e.Attempts)
	if e.Interrupted != nil {
		b.WriteString(" (" + e.Interrupted.Error() + " while waiting to try again)")
	}
	if n := len(e.Errs); n > 0 {
		b.WriteString("; the last: " + e.Errs[n-1].Error())
	}
	return b.String()
}

// Unwrap returns every cause, the last attempt's first (after Interrupted,
// when set): errors.As finds what the last attempt met, and errors.Is
// matches a cause of any attempt.
func (e *RetryError) Unwrap() []error {
	out := make([]error, 0, len(e.Errs)+1)
	if e.Interrupted != nil {
		out = append(out, e.Interrupted)
	}
	for i := len(e.Errs) - 1; i >= 0; i-- {
		out = append(out, e.Errs[i])
	}
	return out
}

// RetryEvent tells of an attempt that failed and is about to be followed
// by another.
type RetryEvent struct {
	// Attempt is the number of the attempt that failed, from 1.
	Attempt int
	// Err is what it met.
	Err error
	// Wait is how long the step waits before the next attempt.
	Wait time.Duration
}

type retryObserversKey struct{}

// OnRetry returns a context under which the "retry" step calls fn before
// each new attempt, on the call's goroutine. A step outside "retry" (a
// tracer, a logger) uses it to see every attempt of the one call it
// wraps. Observers added by outer contexts are called too.
func OnRetry(ctx context.Context, fn func(RetryEvent)) context.Context {
	prev, _ := ctx.Value(retryObserversKey{}).([]func(RetryEvent))
	return context.WithValue(ctx, retryObserversKey{}, append(slices.Clip(prev), fn))
}

func notifyRetry(ctx context.Context, ev RetryEvent) {
	fns, _ := ctx.Value(retryObserversKey{}).([]func(RetryEvent))
	for _, fn := range fns {
		fn(ev)
	}
}

// Rewinder is a request Stream, or a Sink, that can start over for another
// attempt: a Stream to be read again from its first byte, a Sink emptied
// of what a failed attempt wrote. The "retry" step calls Rewind before an
// attempt that needs it, and does not make the attempt when Rewind fails.
type Rewinder interface {
	Rewind() error
}

// Retry returns the "retry" step, which sends a call again when that is
// safe and worth it, under policy p. It sits outside the signing steps, so
// that every attempt is signed afresh over the same bytes: the same method,
// target and body (an APIv2 call keeps the nonce_str of its first attempt,
// so its sign is the same too).
//
// An attempt is made again when its failure is one of:
//
//   - a *TransportError whose request was not sent (Sent false: the
//     connection, the DNS look-up or the TLS handshake failed), whatever
//     the method;
//   - for a GET or HEAD, or a call marked Idempotent (an order or refund
//     keyed by out_trade_no or out_refund_no, which WeChat Pay does not
//     act on twice): a *TransportError after sending (a cut connection, a
//     timeout), or an *APIError with status 429 or 5xx.
//
// Anything else ends the call: a *VerifyError, a 4xx *APIError other than
// 429, a *V2Error, a *SignError, any other error, a TLS certificate the
// client does not trust, and the errors in never (errors.Is). A POST, PUT,
// PATCH or DELETE that may have reached WeChat Pay is never sent again
// unless the call is marked Idempotent.
//
// A call whose streamed body was read (an upload) is sent again only when
// the body is a Rewinder (a *Media from a path or an io.ReadSeeker is) or
// an io.Seeker; one whose Sink received part of a file, only when the Sink
// is a Rewinder (a file sink is).
//
// The waits grow exponentially with jitter (see RetryPolicy), and honour
// Retry-After (seconds or an HTTP date) when the answer has it. No wait
// outlasts the call's context: when the next attempt could not start
// before its deadline, the step stops. After more than one attempt the
// error is a *RetryError holding each attempt's; OnRetry tells outer steps
// of each retry.
func Retry(p RetryPolicy, never ...error) Middleware {
	p = p.withDefaults()
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			rp := newReplay(req, p.MaxAttempts > 1)
			var errs []error
			for attempt := 1; ; attempt++ {
				areq, sink, err := rp.next(attempt)
				if err != nil { // the body or sink cannot start over
					return nil, retryResult(errs, nil)
				}
				actx, cancel := ctx, context.CancelFunc(func() {})
				if p.AttemptTimeout > 0 {
					actx, cancel = context.WithTimeout(ctx, p.AttemptTimeout)
				}
				resp, err := next.Handle(actx, areq)
				cancel()
				if err == nil {
					return resp, nil
				}
				errs = append(errs, err)
				if attempt >= p.MaxAttempts || ctx.Err() != nil || !retryable(req, err, never) || !rp.canReplay(err, sink) {
					return nil, retryResult(errs, nil)
				}
				wait, ok := p.wait(attempt, err)
				if !ok || !before(ctx, wait) {
					return nil, retryResult(errs, nil)
				}
				notifyRetry(ctx, RetryEvent{Attempt: attempt, Err: err, Wait: wait})
				if err := callctx.Sleep(ctx, wait); err != nil {
					return nil, retryResult(errs, err)
				}
			}
		})
	}
}

// retryResult is the error of a call after its attempts: the only one's
// error as it is, or a *RetryError.
func retryResult(errs []error, interrupted error) error {
	if len(errs) == 1 && interrupted == nil {
		return errs[0]
	}
	return &RetryError{Attempts: len(errs), Errs: errs, Interrupted: interrupted}
}

// retryable reports whether a failed attempt of req may be made again.
func retryable(req *Request, err error, never []error) bool {
	for _, n := range never {
		if errors.Is(err, n) {
			return false
		}
	}
	safe := req.Method == http.MethodGet || req.Method == http.MethodHead || req.Idempotent
	if te, ok := errors.AsType[*TransportError](err); ok {
		if untrusted(te.Err) {
			return false // the same certificate will be presented again
		}
		return !te.Sent || safe
	}
	if ae, ok := errors.AsType[*APIError](err); ok {
		return safe && (ae.StatusCode == http.StatusTooManyRequests || ae.StatusCode >= 500)
	}
	return false
}

// untrusted reports a TLS handshake that failed on the server's
// certificate, which another attempt would meet again.
func untrusted(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	_, ok := errors.AsType[x509.CertificateInvalidError](err)
	return ok
}

// wait returns how long to wait after the attempt-th attempt failed with
// err, or false when Retry-After asks for longer than MaxDelay.
func (p RetryPolicy) wait(attempt int, err error) (time.Duration, bool) {
	d := p.MaxDelay
	if attempt-1 < 32 {
		if x := p.BaseDelay << (attempt - 1); x > 0 && x < d {
			d = x
		}
	}
	d = d/2 + rand.N(d/2+1)
	if ae, ok := errors.AsType[*APIError](err); ok && ae.Response != nil {
		if ra, ok := retryAfter(ae.Response.Header.Get("Retry-After"), time.Now()); ok {
			if ra > p.MaxDelay {
				return 0, false
			}
			d = max(d, ra)
		}
	}
	return d, true
}

// retryAfter reads a Retry-After value: delay-seconds or an HTTP date
// (RFC 9110 §10.2.3).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(n) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// before reports whether an attempt could still start after waiting d
// under ctx's deadline.
func before(ctx context.Context, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return !ok || time.Until(dl) > d
}

// replay makes each attempt's copy of a request, so that what the steps
// and the transport change (headers, the signature, the URL moved to the
// backup domain, the body APIv2 fields become) starts afresh.
type replay struct {
	orig      *Request
	streamAt  int64 // where a seekable Stream started
	seekable  bool
	streamErr error         // why the Stream cannot be sent again
	sink      *countingSink // of the last attempt
}

func newReplay(req *Request, retries bool) *replay {
	rp := &replay{orig: req}
	if !retries {
		return rp
	}
	if req.Fields != nil && !req.Nonceless && !hasField(req.Fields, "nonce_str") && !(req.Method == http.MethodGet && hasField(req.Fields, "sign")) {
		// The nonce is fixed here rather than by transform_request at each
		// attempt, so that every attempt carries the same fields and sign.
		req.Fields = append(slices.Clone(req.Fields), formatter.Pair{Key: "nonce_str", Value: formatter.Nonce()})
	}
	if req.Stream != nil {
		if _, ok := req.Stream.(Rewinder); !ok {
			if s, ok := req.Stream.(io.Seeker); ok {
				at, err := s.Seek(0, io.SeekCurrent)
				rp.streamAt, rp.seekable, rp.streamErr = at, err == nil, err
			}
		}
	}
	return rp
}

// next returns the request of an attempt, and the counter of what its sink
// receives.
func (rp *replay) next(attempt int) (*Request, *countingSink, error) {
	if attempt > 1 {
		if err := rp.rewind(); err != nil {
			return nil, nil, err
		}
	}
	r := *rp.orig
	r.Header = rp.orig.Header.Clone()
	if rp.orig.URL != nil {
		u := *rp.orig.URL
		r.URL = &u
	}
	r.Fields = slices.Clone(rp.orig.Fields)
	rp.sink = nil
	if rp.orig.Sink != nil {
		rp.sink = &countingSink{w: rp.orig.Sink}
		r.Sink = rp.sink
	}
	return &r, rp.sink, nil
}

// rewind readies the stream and sink for another attempt.
func (rp *replay) rewind() error {
	switch s := rp.orig.Stream.(type) {
	case nil:
	case Rewinder:
		if err := s.Rewind(); err != nil {
			return err
		}
	case io.Seeker:
		if !rp.seekable {
			return rp.streamErr
		}
		if _, err := s.Seek(rp.streamAt, io.SeekStart); err != nil {
			return err
		}
	}
	if s, ok := rp.orig.Sink.(Rewinder); ok && rp.sink != nil && rp.sink.n > 0 {
		return s.Rewind()
	}
	return nil
}

// canReplay reports whether the failed attempt left the stream and sink
// in a state another attempt can start from.
func (rp *replay) canReplay(err error, sink *countingSink) bool {
	if sink != nil && sink.n > 0 {
		if _, ok := rp.orig.Sink.(Rewinder); !ok {
			return false // part of a file went where it cannot be taken back
		}
	}
	if rp.orig.Stream == nil {
		return true
	}
	if te, ok := errors.AsType[*TransportError](err); ok && !te.Sent {
		return true // no byte of the body was read
	}
	switch rp.orig.Stream.(type) {
	case Rewinder:
		return true
	case io.Seeker:
		return rp.seekable
	}
	return false
}

// countingSink passes a download on to the request's Sink, counting what
// it writes.
type countingSink struct {
	w io.Writer
	n int64
}

func (s *countingSink) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	s.n += int64(n)
	return n, err
}

// ExpectSize passes the transport's word on the answer's length on.
func (s *countingSink) ExpectSize(n int64) {
	if e, ok := s.w.(interface{ ExpectSize(int64) }); ok {
		e.ExpectSize(n)
	}
}
