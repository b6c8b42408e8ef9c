package validate

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// StepName is the name of the validation step in a client's stacks.
const StepName = "validate"

// Options configure a Validator.
type Options struct {
	// Strict refuses fields the endpoint does not document (a typo'd
	// name, say); without it they are reported to OnWarning and sent.
	Strict bool

	// OnWarning receives what is reported but not refused: a deprecated
	// endpoint, one the catalog does not document, an undocumented field
	// outside strict mode. It is called on the calling goroutine, before
	// the request is signed; it must be safe for concurrent use. When nil,
	// each distinct warning is logged once with log/slog's default logger.
	OnWarning func(ctx context.Context, w Warning)
}

// Validator checks requests against the endpoint catalog (package
// catalog), before they are signed. It is safe for concurrent use; its
// Middleware is the "validate" step.
type Validator struct {
	opts   Options
	cat    *catalog.Catalog
	logged sync.Map // warnings the default OnWarning has logged
	nlog   atomic.Int64
}

// New returns a Validator, decoding the catalog if it was not yet (about
// 70 ms, once per program).
func New(opts Options) (*Validator, error) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	return &Validator{opts: opts, cat: cat}, nil
}

// Install puts the "validate" step in the client's stacks: before
// "signer" (APIv3) and before "transform_request" (APIv2), so that it sees
// the request as the caller wrote it, Wechatpay-Serial set, and nothing
// is signed or sent when it fails. Installing again replaces the step,
// with the new options.
//
// A stack without its usual step (one of your own making) gets the step
// innermost. A call given its own stack (the "handler" option) is not
// validated unless that stack holds the step too (Step).
func Install(c *wechatpay.Client, opts Options) error {
	v, err := New(opts)
	if err != nil {
		return err
	}
	m := v.Middleware()
	for _, s := range []struct {
		p      wechatpay.Protocol
		target string
	}{{wechatpay.APIv3, "signer"}, {wechatpay.APIv2, "transform_request"}} {
		st := c.Stack(s.p)
		switch {
		case st.Has(StepName):
			err = st.Replace(StepName, m)
		case st.Has(s.target):
			err = st.Before(s.target, StepName, m)
		default:
			err = st.Push(StepName, m)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Step returns the "validate" step, for stacks edited by hand:
//
//	client.Stack(wechatpay.APIv3).Before("signer", validate.StepName, validate.Step(opts))
//
// The catalog is decoded on the first call; if it could not be, every
// call fails with that error.
func Step(opts Options) middleware.Middleware {
	load := sync.OnceValues(func() (*Validator, error) { return New(opts) })
	return func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			v, err := load()
			if err == nil {
				err = v.Check(ctx, req)
			}
			if err != nil {
				return nil, err
			}
			return next.Handle(ctx, req)
		})
	}
}

// Middleware returns the "validate" step: a request that fails Check is
// answered with its *ValidationError, and nothing is sent.
func (v *Validator) Middleware() middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			if err := v.Check(ctx, req); err != nil {
				return nil, err
			}
			return next.Handle(ctx, req)
		})
	}
}

// Check checks a request, as a step placed before "signer" or
// "transform_request" sees it, against its endpoint's catalog entry: a
// *ValidationError lists every problem; nil when there is none. Warnings
// go to OnWarning. A request the catalog does not document passes, with a
// warning.
func (v *Validator) Check(ctx context.Context, req *middleware.Request) error {
	ep := v.endpoint(req)
	name := endpointName(req)
	if ep == nil {
		v.warn(ctx, Warning{Method: req.Method, Endpoint: name, Problem: Problem{Kind: UnknownEndpoint,
			Issue: "not in the endpoint catalog: sent unchecked"}})
		return nil
	}
	if ep.entry.Deprecated() {
		v.warn(ctx, Warning{Method: req.Method, Endpoint: name, Problem: Problem{Kind: Deprecated,
			Issue: "WeChat Pay has deprecated this endpoint (已废弃): see its documentation for the one that replaces it"}})
	}
	c := getChecker(v.opts.Strict)
	defer putChecker(c)
	ep.check(c, req)
	for _, w := range c.warnings {
		v.warn(ctx, Warning{Method: req.Method, Endpoint: name, Problem: w})
	}
	if len(c.problems) == 0 {
		return nil
	}
	return &ValidationError{Method: req.Method, Endpoint: name, Title: ep.entry.Title, Problems: append([]Problem(nil), c.problems...)}
}

// warn hands w to OnWarning, or logs it once.
func (v *Validator) warn(ctx context.Context, w Warning) {
	if v.opts.OnWarning != nil {
		v.opts.OnWarning(ctx, w)
		return
	}
	const maxLogged = 1024 // past this many, repeats are logged too
	key := w.String()
	if v.nlog.Load() < maxLogged {
		if _, dup := v.logged.LoadOrStore(key, true); dup {
			return
		}
		v.nlog.Add(1)
	}
	slog.WarnContext(ctx, "wechatpay: "+key, "kind", string(w.Kind), "method", w.Method, "endpoint", w.Endpoint)
}

// endpointName is the path a request was written with, without a literal
// query.
func endpointName(req *middleware.Request) string {
	t := req.Template
	if t == "" {
		t = strings.TrimPrefix(req.Pathname, "/")
	}
	if i := strings.IndexByte(t, '?'); i >= 0 {
		t = t[:i]
	}
	return t
}

// routeKey is a cached lookup.
type routeKey struct{ method, template string }

// routes caches lookups by method and template, up to maxRoutes of them
// (a template holding IDs, which should be variables, would grow it
// without end). The map is replaced, never changed, so that reads take
// no lock.
var (
	routes    atomic.Pointer[map[routeKey]*endpoint]
	routesMu  sync.Mutex
	maxRoutes = 2048
)

// endpoint finds the compiled entry of a request; nil for one the
// catalog does not document.
func (v *Validator) endpoint(req *middleware.Request) *endpoint {
	key := routeKey{req.Method, req.Template}
	if m := routes.Load(); m != nil {
		if ep, ok := (*m)[key]; ok {
			return ep
		}
	}
	ep, cacheable := v.lookup(req)
	if !cacheable {
		return ep
	}
	routesMu.Lock()
	defer routesMu.Unlock()
	old := routes.Load()
	if old != nil && len(*old) >= maxRoutes {
		return ep
	}
	m := make(map[routeKey]*endpoint, 1+len(routesOf(old)))
	for k, e := range routesOf(old) {
		m[k] = e
	}
	m[key] = ep
	routes.Store(&m)
	return ep
}

func routesOf(m *map[routeKey]*endpoint) map[routeKey]*endpoint {
	if m == nil {
		return nil
	}
	return *m
}

// lookup finds the entry by the template, or by the path sent when the
// template names its variables otherwise than the catalog. It tells
// whether the result is worth caching by template: when the template is
// the entry's chain, or names no entry at all; not when it is a path with
// its IDs written in (which should be variables).
func (v *Validator) lookup(req *middleware.Request) (*endpoint, bool) {
	tmpl := endpointName(req)
	e, err := v.cat.Lookup(req.Method, tmpl)
	if err != nil && req.Pathname != "" {
		p := strings.TrimPrefix(req.Pathname, "/")
		if len(tmpl) >= 3 && strings.EqualFold(tmpl[:3], "v2/") {
			p = "v2/" + p
		}
		e, err = v.cat.Lookup(req.Method, p)
	}
	if err != nil || !e.SDKCall || e.IsWebhook() {
		return nil, true
	}
	return compileEntry(e), e.Chain == tmpl
}

// check checks every part of a request against ep.
func (ep *endpoint) check(c *checker, req *middleware.Request) {
	ep.checkPath(c, req.Pathname)
	for _, h := range ep.headers {
		if req.Header.Get(h) == "" {
			c.loc = "headers"
			n := c.push(h)
			c.add(Missing, "required header, missing")
			c.pop(n)
		}
	}
	if ep.v2 {
		ep.checkV2(c, req)
		return
	}
	switch {
	case req.Stream != nil && ep.upload:
		if ep.meta != nil {
			c.loc = "meta"
			c.jsonText(ep.meta, bytesString(req.Body))
		}
	case req.Stream != nil:
		// A body of the caller's own making: not ours to read.
	case len(req.Body) > 0:
		c.loc = "json"
		if ep.json == nil {
			c.undocumented("this endpoint takes no JSON body")
			break
		}
		body := bytesString(req.Body)
		if !gjson.Valid(body) {
			c.add(Malformed, "the body is not JSON")
			break
		}
		c.value(ep.json, gjson.Parse(body))
	case ep.json != nil && ep.json.required:
		c.loc = "json"
		c.add(Missing, "the body is required")
	case ep.upload:
		c.loc = "body"
		c.add(Missing, "the upload form is required (a *wechatpay.Media as the body)")
	}
	c.loc = "query"
	switch {
	case ep.query != nil && ep.query.obj == nil:
		// A query documented without its parameters: anything goes.
	case req.URL != nil && req.URL.RawQuery != "":
		c.flat(objectOf(ep.query), pairs{query: req.URL.RawQuery}, false)
	case ep.query != nil:
		c.flat(ep.query.obj, pairs{}, false)
	}
}

// checkV2 checks an APIv2 request: its fields before transform_request
// adds nonce_str and sign.
func (ep *endpoint) checkV2(c *checker, req *middleware.Request) {
	if ep.security && !req.Security {
		c.loc = ""
		n := c.push("security")
		c.add(NotConst, "this endpoint needs the merchant API certificate (商户API证书): set security: true")
		c.pop(n)
	}
	get := req.Method == http.MethodGet
	fields, loc := ep.xml, "xml"
	if get {
		fields, loc = ep.query, "query"
	}
	switch {
	case fields != nil && fields.obj == nil:
		// Fields documented without their names: anything goes.
	case req.Fields != nil:
		c.loc = loc
		c.flat(objectOf(fields), pairs{fields: req.Fields}, true)
	case ep.upload && req.Stream != nil:
		// The client builds and signs an APIv2 upload's form itself.
	case fields != nil && fields.obj != nil:
		c.loc = loc
		c.flat(fields.obj, pairs{}, true)
	}
	if !get && req.URL != nil && req.URL.RawQuery != "" && (ep.query == nil || ep.query.obj != nil) {
		c.loc = "query"
		c.flat(objectOf(ep.query), pairs{query: req.URL.RawQuery}, false)
	}
}

// checkPath checks the URI template variables, read from the path sent:
// segment by segment against the chain, so that a template that names
// its variables otherwise is read right too.
func (ep *endpoint) checkPath(c *checker, pathname string) {
	if len(ep.vars) == 0 {
		return
	}
	p := strings.TrimPrefix(pathname, "/")
	if strings.Count(p, "/")+1 != len(ep.segments) {
		return // a variable spanning segments ({+var}): not ours to split
	}
	c.loc = "path"
	for i := range ep.segments {
		seg, rest, _ := strings.Cut(p, "/")
		p = rest
		f := ep.vars[i]
		if f == nil {
			continue
		}
		if val, err := url.PathUnescape(seg); err == nil {
			n := c.push(f.name)
			c.text(f, val)
			c.pop(n)
		}
	}
}

func objectOf(f *field) *object {
	if f == nil {
		return nil
	}
	return f.obj
}

// bytesString views a body as a string without copying it: the checks
// only read it while the request waits, and any string kept for a
// Problem is copied out of it (string(c.path), quote).
func bytesString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
