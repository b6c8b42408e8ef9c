package wechatpay

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	stduritemplate "github.com/std-uritemplate/std-uritemplate/go/v2"

	"github.com/wechatpay-go/wechatpay/formatter"
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
		b.WriteString(normalize(seg))
	}
	b.WriteString(query)
	return Chain{c: ch.c, path: b.String()}
}

// String returns the path template, e.g.
// "v3/pay/transactions/id/{transaction_id}".
func (ch Chain) String() string { return ch.path }

// isAPIv2Path reports whether an expanded path routes to APIv2: it starts
// with "v2/", in any case, as wechatpay-php decides.
func isAPIv2Path(path string) bool {
	return len(path) >= 3 && strings.EqualFold(path[:3], "v2/")
}

// normalize applies wechatpay-php's segment rules: "^[A-Z]" → lower case,
// other "[A-Z]" → "-" + lower case, then "^_(.*)_$" → "{$1}".
func normalize(s string) string {
	simple := len(s) < 2 || s[0] != '_' || s[len(s)-1] != '_'
	for i := 0; i < len(s) && simple; i++ {
		simple = s[i] < 'A' || s[i] > 'Z'
	}
	if simple {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	r := b.String()
	if len(r) >= 2 && r[0] == '_' && r[len(r)-1] == '_' {
		r = "{" + r[1:len(r)-1] + "}"
	}
	return r
}

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
	return ch.c.do(ctx, strings.ToUpper(method), ch.path, o)
}

func (c *Client) do(ctx context.Context, method, template string, o *Options) (*Response, error) {
	path, err := expand(template, o.Vars)
	if err != nil {
		return nil, err
	}
	proto := APIv3
	if isAPIv2Path(path) {
		proto, path = APIv2, path[3:]
	}
	switch {
	case proto == APIv3 && !c.v3ok:
		return nil, ErrAPIv3NotConfigured
	case proto == APIv2 && !c.v2ok:
		return nil, ErrAPIv2NotConfigured
	}
	path = strings.TrimLeft(path, "/")
	rawQuery := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, rawQuery = path[:i], path[i+1:]
	}
	base := c.base
	if o.BaseURL != "" {
		if base, err = parseBaseURL(o.BaseURL); err != nil {
			return nil, &OptionError{Option: "base_uri", Problem: err.Error()}
		}
	}
	u, err := url.Parse(base.String() + path)
	if err != nil {
		return nil, &OptionError{Option: "path", Problem: err.Error()}
	}
	u.RawQuery = rawQuery

	req := &middleware.Request{
		Method:     method,
		URL:        u,
		Pathname:   "/" + path,
		Template:   template,
		Header:     http.Header{"User-Agent": {c.userAgent}},
		StreamSize: -1,
		Security:   o.Security,
		Nonceless:  o.Nonceless,
	}
	if err := c.prepareBody(proto, o); err != nil {
		return nil, err
	}
	if err := buildBody(req, proto, o); err != nil {
		return nil, err
	}
	for k, v := range o.Headers {
		req.Header.Set(k, v)
	}

	var sink *fileSink
	req.Sink = o.Sink
	if o.SinkFile != "" {
		if sink, err = createFileSink(o.SinkFile); err != nil {
			return nil, &OptionError{Option: "sink", Problem: err.Error()}
		}
		req.Sink = sink
	}

	timeout := c.timeout
	if o.Timeout > 0 {
		timeout = o.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	h := c.handlers[proto]
	if o.Handler != nil {
		h = o.Handler.Compose(c.transport)
	}
	resp, err := h.Handle(ctx, req)
	if sink != nil {
		if err != nil {
			sink.abort()
		} else if err = sink.commit(); err != nil {
			resp = nil
		}
	}
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// buildBody sets the body, query and content headers of req from o.
func buildBody(req *middleware.Request, proto Protocol, o *Options) error {
	queryAsFields := false
	switch proto {
	case APIv3:
		req.Header.Set("Accept", "application/json")
		if o.XML != nil {
			return &OptionError{Option: "xml", Problem: "is for APIv2 (v2/…) paths; APIv3 calls take json"}
		}
		if o.JSON != nil {
			body, err := encodeJSON(o.JSON)
			if err != nil {
				return err
			}
			req.Body = body
			req.Header.Set("Content-Type", "application/json")
		}
	case APIv2:
		req.Header.Set("Accept", "text/xml, text/plain, application/x-gzip")
		if o.JSON != nil {
			return &OptionError{Option: "json", Problem: "is for APIv3 paths; APIv2 (v2/…) calls take xml"}
		}
		src := o.XML
		if src == nil && req.Method == http.MethodGet && o.Query != nil {
			src, queryAsFields = o.Query, true
		}
		if src != nil {
			fields, err := toPairs(src)
			if err != nil {
				return &OptionError{Option: map[bool]string{true: "query", false: "xml"}[queryAsFields], Problem: err.Error()}
			}
			req.Fields = fields
			if req.Fields == nil {
				req.Fields = []formatter.Pair{}
			}
			if !queryAsFields {
				req.Header.Set("Content-Type", "text/xml; charset=utf-8")
			}
		}
	}
	if o.Sink != nil || o.SinkFile != "" {
		req.Header.Set("Accept", "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5")
	}
	if o.Query != nil && !queryAsFields {
		pairs, err := toPairs(o.Query)
		if err != nil {
			return &OptionError{Option: "query", Problem: err.Error()}
		}
		req.URL.RawQuery = middleware.EncodeQuery(pairs)
	}
	if o.Body != nil {
		if req.Body != nil || req.Fields != nil {
			return &OptionError{Option: "body", Problem: "cannot be combined with json or xml"}
		}
		return setRawBody(req, o.Body)
	}
	return nil
}

func encodeJSON(v any) ([]byte, error) {
	switch b := v.(type) {
	case []byte:
		if !json.Valid(b) {
			return nil, &OptionError{Option: "json", Problem: "the []byte is not valid JSON"}
		}
		return b, nil
	case json.RawMessage:
		if !json.Valid(b) {
			return nil, &OptionError{Option: "json", Problem: "the json.RawMessage is not valid JSON"}
		}
		return b, nil
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, &OptionError{Option: "json", Problem: err.Error()}
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func setRawBody(req *middleware.Request, v any) error {
	switch b := v.(type) {
	case []byte:
		req.Body = b
	case string:
		req.Body = []byte(b)
	case io.Reader:
		req.Stream = b
		if s, ok := b.(interface{ SignedBody() []byte }); ok {
			req.Body = s.SignedBody()
		}
		if s, ok := b.(interface{ ContentType() string }); ok {
			req.Header.Set("Content-Type", s.ContentType())
		}
		if s, ok := b.(interface{ Size() int64 }); ok {
			req.StreamSize = s.Size()
		}
	default:
		return &OptionError{Option: "body", Problem: typeProblem(v, "a []byte, string or io.Reader")}
	}
	return nil
}

// expand fills the URI template path with vars (RFC 6570). Every variable
// the template names must be given (except {empty}, which stands for an
// empty trailing segment), and every var must be named by the template, so
// that a typo fails before anything is sent.
//
// A value stays in its path segment: a simple {name} expression
// percent-encodes "/", "?" and "#"; a value may not be empty there (an
// empty segment, "a//b", is merged away by some proxies), and no value may
// make a dot-segment ("." or "..", percent-encoded or not), which would
// climb to another endpoint. Only the reserved operators ({+name},
// {#name}) and the path operator ({/name*}) let a value span several
// segments, on purpose.
func expand(template string, vars map[string]any) (string, error) {
	exprs := templateExprs(template)
	names := templateVars(template)
	for _, n := range names {
		if _, ok := vars[n]; !ok && n != "empty" {
			return "", &OptionError{Option: n, Problem: fmt.Sprintf("is missing: the path %q needs it", template)}
		}
	}
	for k := range vars {
		if !contains(names, k) {
			return "", &OptionError{Option: k, Problem: fmt.Sprintf("is neither an option nor a variable of the path %q", template)}
		}
	}
	if len(names) == 0 {
		return template, nil
	}
	subs := make(stduritemplate.Substitutions, len(vars))
	for k, v := range vars {
		// Numbers read from JSON are float64: write 9856000, not 9.856e+06.
		if s, err := formatter.Stringify(v); err == nil {
			v = s
		}
		if s, ok := v.(string); ok && (s == "." || s == "..") {
			return "", &OptionError{Option: k, Problem: fmt.Sprintf("%q would change the path", s)}
		}
		subs[k] = v
	}
	for _, e := range exprs {
		if e.op == '?' || e.op == '&' || e.op == '#' {
			continue // the query and the fragment, not the path
		}
		for _, n := range e.names {
			if n != "empty" && expandsEmpty(n, subs) {
				return "", &OptionError{Option: n, Problem: fmt.Sprintf("is empty: the path %q needs a value", template)}
			}
		}
	}
	out, err := stduritemplate.Expand(template, subs)
	if err != nil {
		return "", &OptionError{Option: "path", Problem: fmt.Sprintf("template %q: %v", template, err)}
	}
	if hasDotSegment(out) && !hasDotSegment(template) {
		return "", &OptionError{Option: "path", Problem: fmt.Sprintf("a value of the path %q makes a dot-segment (. or ..), which would change the path", template)}
	}
	return out, nil
}

// isDotSegment reports "." and "..", also percent-encoded (%2E), which a
// server decodes before it resolves the path.
func isDotSegment(s string) bool {
	if len(s) > 6 {
		return false
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, "%2e", "."), "%2E", ".")
	return s == "." || s == ".."
}

// hasDotSegment reports whether the path part of a URL path (before any
// "?" or "#") holds a dot-segment.
func hasDotSegment(p string) bool {
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	for _, seg := range strings.Split(p, "/") {
		if isDotSegment(seg) {
			return true
		}
	}
	return false
}

// expandsEmpty reports whether the variable name expands to nothing: nil,
// "", or a list or map of nothing.
func expandsEmpty(name string, subs stduritemplate.Substitutions) bool {
	if subs[name] == nil {
		return true
	}
	out, err := stduritemplate.Expand("{"+name+"}", stduritemplate.Substitutions{name: subs[name]})
	return err == nil && out == ""
}

// templateExpr is one {…} expression of a URI template: its operator (0
// for a simple expression) and its variable names.
type templateExpr struct {
	op    byte
	names []string
}

// templateExprs lists a URI template's expressions.
func templateExprs(t string) []templateExpr {
	var exprs []templateExpr
	for {
		i := strings.IndexByte(t, '{')
		if i < 0 {
			return exprs
		}
		j := strings.IndexByte(t[i:], '}')
		if j < 0 {
			return exprs
		}
		body := t[i+1 : i+j]
		t = t[i+j+1:]
		var e templateExpr
		if body != "" && strings.ContainsRune("+#./;?&=,!@|", rune(body[0])) {
			e.op, body = body[0], body[1:]
		}
		for _, v := range strings.Split(body, ",") {
			if k := strings.IndexAny(v, ":*"); k >= 0 {
				v = v[:k]
			}
			if v != "" {
				e.names = append(e.names, v)
			}
		}
		exprs = append(exprs, e)
	}
}

// templateVars lists the variable names of a URI template's expressions.
func templateVars(t string) []string {
	var names []string
	for _, e := range templateExprs(t) {
		for _, v := range e.names {
			if !contains(names, v) {
				names = append(names, v)
			}
		}
	}
	return names
}

func contains(s []string, x string) bool {
	for _, e := range s {
		if e == x {
			return true
		}
	}
	return false
}

// fileSink writes a download to a temporary file beside its destination,
// renamed into place only when the call succeeds.
type fileSink struct {
	*os.File
	dest string
}

func createFileSink(dest string) (*fileSink, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return nil, err
	}
	return &fileSink{File: f, dest: dest}, nil
}

func (s *fileSink) commit() error {
	if err := s.File.Close(); err != nil {
		os.Remove(s.Name())
		return err
	}
	if err := os.Rename(s.Name(), s.dest); err != nil {
		os.Remove(s.Name())
		return err
	}
	return nil
}

func (s *fileSink) abort() {
	s.File.Close()
	os.Remove(s.Name())
}
