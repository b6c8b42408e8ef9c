package wechatpay

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/internal/callctx"
	"github.com/wechatpay-go/wechatpay/internal/pathseg"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Chain is an endpoint path being built, segment by segment or all at once,
// and the verbs that call it. A Chain is an immutable value: keep it, share
// it between goroutines, extend it without touching the original.
//
//	client.Chain("v3/pay/transactions/id/{transaction_id}")                  // declarative
//	client.Chain("v3").Chain("pay").Chain("transactions").Chain("id").Chain("_transaction_id_") // segment by segment
//
// Each segment is normalised as wechatpay-php does, so PHP's pure-chain
// segments port as they are: a leading capital is lowered, any other capital
// becomes "-" and its lower case ("merchantRiskManage" →
// "merchant-risk-manage"), and "_name_" becomes the template variable
// "{name}". Put IDs in template variables, never in the path itself: a
// variable's value is percent-encoded and kept as given, while a literal
// segment is normalised.
//
// A path starting with "v2/" (any case) is an APIv2 call; the prefix is
// removed. Every other path is an APIv3 call.
type Chain struct {
	c    *Client
	path string
}

// Chain starts a path. PHP: $instance->chain('…') and $instance->v3->….
func (c *Client) Chain(path string) Chain {
	return Chain{c: c}.Chain(path)
}

// Chain appends segments, split on "/" and each normalised, to the path. A
// "?" and what follows it is kept as a literal query.
func (ch Chain) Chain(segments string) Chain {
	query := ""
	if i := strings.IndexByte(segments, '?'); i >= 0 {
		segments, query = segments[:i], segments[i:]
	}
	if ch.path == "" {
		segments = strings.TrimPrefix(segments, "/")
	}
	var b strings.Builder
	b.WriteString(ch.path)
	for i, seg := range strings.Split(segments, "/") {
		if ch.path != "" || i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(pathseg.Normalize(seg))
	}
	b.WriteString(query)
	return Chain{c: ch.c, path: b.String()}
}

// String returns the path template, e.g.
// "v3/pay/transactions/id/{transaction_id}".
func (ch Chain) String() string { return ch.path }

// Get calls the endpoint with GET. PHP: ->get($options).
func (ch Chain) Get(opts ...Opts) (*Response, error) {
	return ch.Do(context.Background(), http.MethodGet, opts...)
}

// Post calls the endpoint with POST. PHP: ->post($options).
func (ch Chain) Post(opts ...Opts) (*Response, error) {
	return ch.Do(context.Background(), http.MethodPost, opts...)
}

// Put calls the endpoint with PUT. PHP: ->put($options).
func (ch Chain) Put(opts ...Opts) (*Response, error) {
	return ch.Do(context.Background(), http.MethodPut, opts...)
}

// Patch calls the endpoint with PATCH. PHP: ->patch($options).
func (ch Chain) Patch(opts ...Opts) (*Response, error) {
	return ch.Do(context.Background(), http.MethodPatch, opts...)
}

// Delete calls the endpoint with DELETE. PHP: ->delete($options).
func (ch Chain) Delete(opts ...Opts) (*Response, error) {
	return ch.Do(context.Background(), http.MethodDelete, opts...)
}

// GetContext is Get under ctx, which can cancel the call or bound it.
func (ch Chain) GetContext(ctx context.Context, opts ...Opts) (*Response, error) {
	return ch.Do(ctx, http.MethodGet, opts...)
}

// PostContext is Post under ctx.
func (ch Chain) PostContext(ctx context.Context, opts ...Opts) (*Response, error) {
	return ch.Do(ctx, http.MethodPost, opts...)
}

// PutContext is Put under ctx.
func (ch Chain) PutContext(ctx context.Context, opts ...Opts) (*Response, error) {
	return ch.Do(ctx, http.MethodPut, opts...)
}

// PatchContext is Patch under ctx.
func (ch Chain) PatchContext(ctx context.Context, opts ...Opts) (*Response, error) {
	return ch.Do(ctx, http.MethodPatch, opts...)
}

// DeleteContext is Delete under ctx.
func (ch Chain) DeleteContext(ctx context.Context, opts ...Opts) (*Response, error) {
	return ch.Do(ctx, http.MethodDelete, opts...)
}

// GetAsync starts a GET and returns at once. PHP: ->getAsync($options).
func (ch Chain) GetAsync(opts ...Opts) *Future[*Response] {
	return ch.DoAsync(context.Background(), http.MethodGet, opts...)
}

// PostAsync starts a POST and returns at once. PHP: ->postAsync($options).
func (ch Chain) PostAsync(opts ...Opts) *Future[*Response] {
	return ch.DoAsync(context.Background(), http.MethodPost, opts...)
}

// PutAsync starts a PUT and returns at once. PHP: ->putAsync($options).
func (ch Chain) PutAsync(opts ...Opts) *Future[*Response] {
	return ch.DoAsync(context.Background(), http.MethodPut, opts...)
}

// PatchAsync starts a PATCH and returns at once. PHP: ->patchAsync($options).
func (ch Chain) PatchAsync(opts ...Opts) *Future[*Response] {
	return ch.DoAsync(context.Background(), http.MethodPatch, opts...)
}

// DeleteAsync starts a DELETE and returns at once. PHP: ->deleteAsync($options).
func (ch Chain) DeleteAsync(opts ...Opts) *Future[*Response] {
	return ch.DoAsync(context.Background(), http.MethodDelete, opts...)
}

// DoAsync starts a call with any method under ctx and returns at once.
// Cancelling ctx, or the Future, abandons the call.
func (ch Chain) DoAsync(ctx context.Context, method string, opts ...Opts) *Future[*Response] {
	return Go(ctx, func(ctx context.Context) (*Response, error) {
		return ch.Do(ctx, method, opts...)
	})
}

// Do calls the endpoint with any method under ctx.
//
// On success the answer is verified. A failed call returns a nil Response
// and an error: *APIError (non-2xx), *V2Error (APIv2 FAIL codes),
// *VerifyError (unverified answer, which still holds it), *TransportError,
// *OptionError, or ErrAPIv3NotConfigured / ErrAPIv2NotConfigured.
func (ch Chain) Do(ctx context.Context, method string, opts ...Opts) (*Response, error) {
	if ch.c == nil {
		return nil, fmt.Errorf("wechatpay: Chain %q has no client; start chains with Client.Chain", ch.path)
	}
	o, err := mergeOptions(opts)
	if err != nil {
		return nil, err
	}
	return ch.c.do(withSensitive(ctx, opts), strings.ToUpper(method), ch.path, o)
}

// do sends a call: it builds the request (request.go), picks the stack of
// its protocol (or the call's own Handler over the transport) and runs it
// under the call's timeout, which bounds every attempt of the "retry" step
// together, then puts a SinkFile download in place and writes the call's
// record to Config.Logger.
func (c *Client) do(ctx context.Context, method, template string, o *Options) (resp *Response, err error) {
	var req *middleware.Request
	if c.logger != nil {
		rec := callRecord{method: method, template: template, start: time.Now(), sensitive: sensitiveOf(ctx)}
		logCtx := ctx
		ctx = middleware.OnRetry(ctx, func(middleware.RetryEvent) { rec.attempts++ })
		defer func() {
			rec.req, rec.resp, rec.err = req, resp, err
			if req != nil {
				rec.attempts++ // the first; OnRetry counted the others
			}
			c.logCall(logCtx, rec)
		}()
	}
	req, proto, sink, err := c.newRequest(method, template, o)
	if err != nil {
		return nil, err
	}
	req.Idempotent = o.Idempotent
	timeout := c.timeout
	if o.Timeout > 0 {
		timeout = o.Timeout
	}
	// context.WithTimeout, without its timer when nothing else can end the
	// call (see internal/callctx).
	deadline := time.Now().Add(timeout)
	if cc := callctx.New(ctx, deadline); cc != nil {
		defer cc.Release()
		ctx = cc
	} else {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	h := c.handlers[proto]
	if o.Handler != nil {
		h = o.Handler.Compose(c.transport)
	}
	resp, err = h.Handle(ctx, req)
	if sink != nil {
		resp, err = sink.finish(resp, err)
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}
