package wechatpay

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"

	stduritemplate "github.com/std-uritemplate/std-uritemplate/go/v2"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// This file turns a path template and a call's Options into the
// *middleware.Request the stacks sign and send, in this order: the URI
// template is expanded, the "v2/" prefix picks the protocol, the base URL
// and path make the URL, a Media body is readied (and turned into its APIv2
// form for an APIv2 call), the body, query and content headers are set per
// protocol, the caller's headers override them, and a SinkFile gets its
// temporary file. Nothing is sent: a problem is an *OptionError (or
// ErrAPIv3NotConfigured, ErrAPIv2NotConfigured, a *MediaError).

// newRequest builds the request of a call: its protocol, whose stack sends
// it, and the file sink to finish after it (nil without SinkFile).
func (c *Client) newRequest(method, template string, o *Options) (*middleware.Request, Protocol, *fileSink, error) {
	// The URL.
	path, err := expand(template, o.Vars)
	if err != nil {
		return nil, "", nil, misplacedVar(err, o)
	}
	proto := APIv3
	if isAPIv2Path(path) {
		proto, path = APIv2, path[3:]
	}
	switch {
	case proto == APIv3 && !c.v3ok:
		return nil, "", nil, ErrAPIv3NotConfigured
	case proto == APIv2 && !c.v2ok:
		return nil, "", nil, ErrAPIv2NotConfigured
	}
	path = strings.TrimLeft(path, "/")
	rawQuery := ""
	if i := strings.IndexByte(path, '?'); i >= 0 {
		path, rawQuery = path[:i], path[i+1:]
	}
	base := c.baseStr
	if o.BaseURL != "" {
		b, err := parseBaseURL(o.BaseURL)
		if err != nil {
			return nil, "", nil, &OptionError{Option: "base_uri", Problem: err.Error()}
		}
		base = b.String()
	}
	full := base + path
	u, err := url.Parse(full)
	if err != nil {
		return nil, "", nil, &OptionError{Option: "path", Problem: err.Error()}
	}
	u.RawQuery = rawQuery
	pathname := "/" + path
	if strings.HasSuffix(base, "/") { // always: parseBaseURL sees to it
		pathname = full[len(base)-1:] // the same, without a copy
	}

	// The body, query and headers.
	req := &middleware.Request{
		Method:     method,
		URL:        u,
		Pathname:   pathname,
		Template:   template,
		Header:     defaultHeaders(c.userAgent, proto, o),
		StreamSize: -1,
		Security:   o.Security,
		Nonceless:  o.Nonceless,
	}
	if err := c.prepareBody(proto, o); err != nil {
		return nil, "", nil, err
	}
	if err := buildBody(req, proto, o); err != nil {
		return nil, "", nil, err
	}
	for k, v := range o.Headers {
		req.Header.Set(k, v)
	}

	// Where a download goes.
	var sink *fileSink
	req.Sink = o.Sink
	if o.SinkFile != "" {
		if sink, err = createFileSink(o.SinkFile); err != nil {
			return nil, "", nil, &OptionError{Option: "sink", Problem: err.Error()}
		}
		req.Sink = sink
	}
	return req, proto, sink, nil
}

// The URL: the template expanded, the protocol, the base URL.

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
	var missing []string
	for _, n := range names {
		if _, ok := vars[n]; !ok && n != "empty" {
			missing = append(missing, n)
		}
	}
	for _, k := range sortedKeys(vars) {
		if !slices.Contains(names, k) {
			// A misspelt variable: name it, and the one it stands for.
			problem := fmt.Sprintf("is neither an option nor a variable of the path %q", template)
			if len(missing) > 0 {
				problem += fmt.Sprintf(", which needs %s: a misspelling?", strings.Join(missing, ", "))
			}
			return "", &OptionError{Option: k, Problem: problem}
		}
	}
	if len(missing) > 0 {
		return "", &OptionError{Option: missing[0], Problem: fmt.Sprintf("is missing: the path %q needs it", template)}
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

// misplacedVar adds a hint to the error of a missing path variable that
// the call gives inside its query or json option, as some documented
// samples do: a path variable goes at the top level of the options.
func misplacedVar(err error, o *Options) error {
	var oe *OptionError
	if !errors.As(err, &oe) || !strings.HasPrefix(oe.Problem, "is missing:") {
		return err
	}
	for _, opt := range [...]struct {
		name string
		v    any
	}{{"query", o.Query}, {"json", o.JSON}, {"xml", o.XML}} {
		if hasKey(opt.v, oe.Option) {
			return &OptionError{Option: oe.Option, Problem: oe.Problem + fmt.Sprintf(
				" (the %s option has a field %q: a path variable goes at the top level of the options, beside %s)", opt.name, oe.Option, opt.name)}
		}
	}
	return err
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
			if !slices.Contains(names, v) {
				names = append(names, v)
			}
		}
	}
	return names
}

// isAPIv2Path reports whether an expanded path routes to APIv2: it starts
// with "v2/", in any case, as wechatpay-php decides.
func isAPIv2Path(path string) bool {
	return len(path) >= 3 && strings.EqualFold(path[:3], "v2/")
}

// parseBaseURL checks an absolute http(s) base URL (Config.BaseURL and
// BackupBaseURL, the base_uri option) and ends its path with "/", so that
// an endpoint path appends to it.
func parseBaseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	if err != nil {
		return nil, err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%q: want https://host/", s)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// The body: a Media readied, then the body, query and content headers per
// protocol.

// prepareBody checks a Media given as the body before anything is sent,
// and turns it into its APIv2 form for an APIv2 call, signed with the
// client's merchant ID and APIv2 key.
func (c *Client) prepareBody(proto Protocol, o *Options) error {
	m, ok := o.Body.(*Media)
	if !ok {
		return nil
	}
	if err := m.body.ready(); err != nil {
		return err
	}
	if proto != APIv2 {
		return nil
	}
	form, err := m.FormV2(c.mchid, crypto.SignTypeHMACSHA256, c.secret)
	if err != nil {
		return err
	}
	o.Body = form
	return nil
}

// The default headers, per protocol, as wechatpay-php sends them (its
// ClientJsonTrait::$defaults and ClientXmlTrait::$headers), which the Node
// SDK also sends for APIv3: Accept on every call; Content-Type on every
// call, with or without a body, except that a json body is
// application/json, as Guzzle writes it, and a body that names its own
// type (an upload's multipart/form-data) has that.
const (
	acceptV3      = "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5"
	contentTypeV3 = "application/json; charset=utf-8"
	contentTypeJS = "application/json"
	acceptV2      = "text/xml, text/plain, application/x-gzip"
	contentTypeV2 = "text/xml; charset=utf-8"
)

// defaultHeaders returns the headers every call starts with: User-Agent,
// and the protocol's Accept and Content-Type (see the constants above).
// Their values share one array, and the map has room for the headers the
// steps add, so that a call's headers cost a few allocations.
func defaultHeaders(userAgent string, proto Protocol, o *Options) http.Header {
	accept, contentType := acceptV3, contentTypeV3
	switch {
	case proto == APIv2:
		accept, contentType = acceptV2, contentTypeV2
	case o.JSON != nil:
		contentType = contentTypeJS
	}
	v := make([]string, 3)
	v[0], v[1], v[2] = userAgent, accept, contentType
	h := make(http.Header, 6)
	h["User-Agent"], h["Accept"], h["Content-Type"] = v[0:1:1], v[1:2:2], v[2:3:3]
	return h
}

// buildBody sets the body and query of req from o, and the content type of
// a body that names its own.
func buildBody(req *middleware.Request, proto Protocol, o *Options) error {
	queryAsFields := false
	switch proto {
	case APIv3:
		if o.XML != nil {
			return &OptionError{Option: "xml", Problem: "is for APIv2 (v2/…) paths; APIv3 calls take json"}
		}
		if o.JSON != nil {
			body, err := encodeJSON(o.JSON)
			if err != nil {
				return err
			}
			req.Body = body
		}
	case APIv2:
		if o.JSON != nil {
			return &OptionError{Option: "json", Problem: "is for APIv3 paths; APIv2 (v2/…) calls take xml"}
		}
		if o.XML != nil {
			fields, err := fieldPairs(o.XML)
			if err != nil {
				return &OptionError{Option: "xml", Problem: err.Error()}
			}
			req.Fields = fields
		} else if req.Method == http.MethodGet && o.Query != nil {
			// The fields of an APIv2 GET are its query, which
			// transform_request signs and writes back.
			var fields []formatter.Pair
			if s, ok := o.Query.(string); ok {
				fields = parseQuery(filterQuery(s))
			} else {
				var err error
				if fields, err = queryPairs(o.Query); err != nil {
					return &OptionError{Option: "query", Problem: err.Error()}
				}
			}
			req.Fields, queryAsFields = fields, true
		}
		if req.Fields == nil && (o.XML != nil || queryAsFields) {
			req.Fields = []formatter.Pair{}
		}
	}
	if o.Query != nil && !queryAsFields {
		if s, ok := o.Query.(string); ok {
			// As given, as Guzzle sends a string query: what is sent is
			// what is signed.
			req.URL.RawQuery = filterQuery(s)
		} else {
			pairs, err := queryPairs(o.Query)
			if err != nil {
				return &OptionError{Option: "query", Problem: err.Error()}
			}
			req.URL.RawQuery = middleware.EncodeQuery(pairs)
		}
	}
	if o.Body != nil {
		if req.Body != nil || req.Fields != nil {
			return &OptionError{Option: "body", Problem: "cannot be combined with json or xml"}
		}
		return setRawBody(req, o.Body)
	}
	return nil
}

// encodeJSON encodes the json option: a []byte or json.RawMessage is sent
// as it is once checked, anything else is encoded with HTML characters
// unescaped.
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
	if b, ok := appendJSON(make([]byte, 0, 256), v, 0); ok {
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

// setRawBody sets the body option: bytes as they are, a reader streamed
// with what it says of itself (SignedBody, ContentType, Size).
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
