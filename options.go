package wechatpay

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Opts is what the verbs take: an M, the form a PHP options array ports to
// line for line, or an Options. Several may be given; later ones override
// earlier ones field by field.
type Opts interface {
	options() (*Options, error)
}

// Options are the typed options of a call.
type Options struct {
	// JSON is the APIv3 body, encoded with encoding/json (HTML characters,
	// "/" and non-ASCII text unescaped), sent as Content-Type
	// application/json. Maps are written in key order, an Ordered in its
	// own. A []byte or json.RawMessage is sent as is.
	JSON any

	// XML holds the APIv2 fields: a map[string]string, map[string]any, M, or
	// an Ordered or []formatter.Pair to keep an order. Values are scalars
	// (see formatter.Stringify); JSON-encode nested values, as WeChat Pay
	// expects.
	XML any

	// Query is the query string. A string is sent as given (only the bytes
	// a query cannot hold are escaped, as Guzzle does), and signed as sent.
	// A map[string]string, map[string]any, M, Ordered, url.Values or
	// []formatter.Pair is written as PHP's http_build_query writes an
	// array: RFC 3986 escaping, maps in key order, nested maps and lists as
	// a[b]=c and a[0]=x, nil values left out; booleans as true and false.
	// For an APIv2 GET without XML, Query holds the fields to sign.
	Query any

	// Headers are added to the request, overriding the defaults.
	Headers map[string]string

	// Body is a raw body: a []byte or string is sent (and signed) as is; an
	// io.Reader is streamed. A streamed body that has a
	// `SignedBody() []byte` method is signed over what it returns (the meta
	// JSON of an upload); one with `ContentType() string` sets Content-Type,
	// and one with `Size() int64` sets Content-Length. A *Media is such a
	// body: the upload form of an APIv3 call, or of an APIv2 call, for which
	// the client builds and signs the APIv2 form.
	Body any

	// Vars are the URI template variables: {transaction_id} takes
	// Vars["transaction_id"], percent-encoded.
	Vars map[string]any

	// BaseURL replaces the client's base URL for this call, e.g.
	// "https://apihk.mch.weixin.qq.com/".
	BaseURL string

	// Security makes an APIv2 call with the merchant TLS certificate.
	Security bool

	// Nonceless stops an APIv2 call from adding nonce_str.
	Nonceless bool

	// Timeout bounds this call; zero means the client's Timeout.
	Timeout time.Duration

	// Sink receives the body of a 2xx answer (downloads).
	Sink io.Writer

	// SinkFile names a file that receives the body of a 2xx answer. It is
	// written under a temporary name and renamed on success, so a failed or
	// unverified download leaves no partial file.
	SinkFile string

	// Handler replaces the client's stack for this call.
	Handler *middleware.Stack

	// Idempotent says that sending this call again does no harm: an order
	// or a refund, which WeChat Pay keys by out_trade_no or out_refund_no
	// and does not act on twice. With Config.Retry, such a POST, PUT,
	// PATCH or DELETE may then be sent again after it may have reached
	// WeChat Pay (a cut connection, a timeout, a 5xx or 429 answer), with
	// the same body and a fresh signature. See Idempotent().
	Idempotent bool
}

// Idempotent is the option that marks a call as safe to send again
// (Options.Idempotent):
//
//	res, err := client.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": refund}, wechatpay.Idempotent())
func Idempotent() Opts { return Options{Idempotent: true} }

// M is a PHP-array-like options map: a wechatpay-php options array ports to
// it key for key. Keys: "json", "xml", "query", "headers", "body",
// "base_uri", "security", "nonceless", "timeout" (seconds, as in PHP, or a
// time.Duration), "sink" (a file path or an io.Writer), "handler" (a
// *middleware.Stack), "idempotent" (a bool, see Options.Idempotent); any
// other key is a URI template variable.
//
// M is also a handy literal for the maps inside: M{"json": M{"mchid": "…"}}.
// Its keys are sent in key order; Ordered keeps PHP's insertion order where
// a port must send PHP's very bytes.
type M map[string]any

func (o Options) options() (*Options, error) { return &o, nil }

// OptionError reports an option the call cannot use. Nothing was sent.
type OptionError struct {
	// Option is the M key or Options field.
	Option string
	// Problem says what is wrong.
	Problem string
}

func (e *OptionError) Error() string { return "wechatpay: option " + e.Option + ": " + e.Problem }

func typeProblem(v any, want string) string {
	return fmt.Sprintf("has type %T; want %s", v, want)
}

func (m M) options() (*Options, error) {
	o := &Options{}
	for k, v := range m {
		switch k {
		case "json":
			o.JSON = v
		case "xml":
			o.XML = v
		case "query":
			o.Query = v
		case "body":
			o.Body = v
		case "headers":
			h, err := stringMap(v)
			if err != nil {
				return nil, &OptionError{Option: k, Problem: err.Error()}
			}
			o.Headers = h
		case "base_uri":
			s, ok := v.(string)
			if !ok {
				return nil, &OptionError{Option: k, Problem: typeProblem(v, "a string")}
			}
			o.BaseURL = s
		case "security", "nonceless", "idempotent":
			b, ok := v.(bool)
			if !ok {
				return nil, &OptionError{Option: k, Problem: typeProblem(v, "a bool")}
			}
			switch k {
			case "security":
				o.Security = b
			case "nonceless":
				o.Nonceless = b
			default:
				o.Idempotent = b
			}
		case "timeout":
			d, err := seconds(v)
			if err != nil {
				return nil, &OptionError{Option: k, Problem: err.Error()}
			}
			o.Timeout = d
		case "sink":
			switch s := v.(type) {
			case string:
				o.SinkFile = s
			case io.Writer:
				o.Sink = s
			default:
				return nil, &OptionError{Option: k, Problem: typeProblem(v, "a file path or an io.Writer")}
			}
		case "handler":
			s, ok := v.(*middleware.Stack)
			if !ok {
				return nil, &OptionError{Option: k, Problem: typeProblem(v, "a *middleware.Stack")}
			}
			o.Handler = s
		default:
			if o.Vars == nil {
				o.Vars = map[string]any{}
			}
			o.Vars[k] = v
		}
	}
	return o, nil
}

// mergeOptions folds opts into one Options, later ones winning.
func mergeOptions(opts []Opts) (*Options, error) {
	switch len(opts) {
	case 0:
		return &Options{}, nil
	case 1:
		if opts[0] == nil {
			return &Options{}, nil
		}
		o, err := opts[0].options()
		if err != nil {
			return nil, err
		}
		c := *o // the caller's Options stay untouched
		return &c, nil
	}
	out := &Options{}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		o, err := opt.options()
		if err != nil {
			return nil, err
		}
		if o.JSON != nil {
			out.JSON = o.JSON
		}
		if o.XML != nil {
			out.XML = o.XML
		}
		if o.Query != nil {
			out.Query = o.Query
		}
		if o.Body != nil {
			out.Body = o.Body
		}
		for k, v := range o.Headers {
			if out.Headers == nil {
				out.Headers = map[string]string{}
			}
			out.Headers[k] = v
		}
		for k, v := range o.Vars {
			if out.Vars == nil {
				out.Vars = map[string]any{}
			}
			out.Vars[k] = v
		}
		if o.BaseURL != "" {
			out.BaseURL = o.BaseURL
		}
		out.Security = out.Security || o.Security
		out.Nonceless = out.Nonceless || o.Nonceless
		out.Idempotent = out.Idempotent || o.Idempotent
		if o.Timeout != 0 {
			out.Timeout = o.Timeout
		}
		if o.Sink != nil {
			out.Sink = o.Sink
		}
		if o.SinkFile != "" {
			out.SinkFile = o.SinkFile
		}
		if o.Handler != nil {
			out.Handler = o.Handler
		}
	}
	return out, nil
}

func seconds(v any) (time.Duration, error) {
	switch t := v.(type) {
	case time.Duration:
		return t, nil
	case int:
		return time.Duration(t) * time.Second, nil
	case int64:
		return time.Duration(t) * time.Second, nil
	case float64:
		return time.Duration(t * float64(time.Second)), nil
	}
	return 0, errors.New(typeProblem(v, "seconds (int or float64) or a time.Duration"))
}

func stringMap(v any) (map[string]string, error) {
	switch m := v.(type) {
	case nil:
		return nil, nil
	case map[string]string:
		return m, nil
	case http.Header:
		out := make(map[string]string, len(m))
		for k := range m {
			out[k] = m.Get(k)
		}
		return out, nil
	case M:
		return stringMap(map[string]any(m))
	case map[string]any:
		out := make(map[string]string, len(m))
		for k, x := range m {
			s, err := formatter.Stringify(x)
			if err != nil {
				return nil, fmt.Errorf("%q: %w", k, err)
			}
			out[k] = s
		}
		return out, nil
	}
	return nil, errors.New(typeProblem(v, "a map[string]string, map[string]any or http.Header"))
}
