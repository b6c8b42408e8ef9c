package middleware

import (
	"io"
	"net/http"
	"net/url"

	"github.com/wechatpay-go/wechatpay/formatter"
)

// Request is one call on its way through a Stack to the transport.
//
// Middleware may change any field before passing the request on. What the
// transport sends is exactly URL, Header and Body (or Stream), so a step that
// signs must run after every step that changes them: that is why signer and
// transform_request sit innermost.
type Request struct {
	// Method is the HTTP verb in upper case.
	Method string

	// URL is the absolute URL. Its path is already percent-encoded (see
	// url.URL.EscapedPath) and RawQuery holds the encoded query: both are
	// sent, and signed, as they are.
	URL *url.URL

	// Pathname is the endpoint relative to the base URL, with a leading slash
	// and without the "v2/" routing prefix: "/v3/pay/transactions/id/4200…" or
	// "/pay/micropay". Steps that treat some endpoints differently match on it,
	// so that a base URL with a path (https://api.mch.weixin.qq.com/hk/) does
	// not hide the endpoint.
	Pathname string

	// Template is the path as the chain wrote it, before URI template
	// expansion and with its "v2/" prefix: "v3/pay/transactions/id/{transaction_id}".
	// Steps that name or look up the endpoint (validation, tracing, logs) use it.
	Template string

	// Header holds the request headers.
	Header http.Header

	// Body is the request body, sent and signed as is.
	Body []byte

	// Stream, when not nil, is sent as the body instead of Body, without being
	// held in memory (multipart uploads). Body then holds what is signed in its
	// place: for WeChat Pay uploads, the JSON of the "meta" part.
	Stream io.Reader

	// StreamSize is the length of Stream in bytes, or -1 when unknown (the
	// body is then sent chunked).
	StreamSize int64

	// Fields are the APIv2 data: the "xml" option, or the "query" option of a
	// GET. transform_request signs them and turns them into Body or the query.
	Fields []formatter.Pair

	// Security asks for the merchant's TLS certificate (APIv2 mutual TLS).
	Security bool

	// Nonceless stops transform_request from adding a nonce_str field.
	Nonceless bool

	// Idempotent says the caller knows that sending the call again does no
	// harm (an order or refund keyed by out_trade_no or out_refund_no,
	// which WeChat Pay does not act on twice), so that the "retry" step may
	// send it again after it may have reached WeChat Pay. GET and HEAD
	// calls are retried without it.
	Idempotent bool

	// Sink, when not nil, receives the body of a 2xx answer instead of
	// Response.Body, so that a download is not held in memory. When it has a
	// method ExpectSize(int64), the transport calls it first with the
	// body's length, or -1 when unknown; a step that wraps the sink should
	// pass that call on.
	Sink io.Writer
}

// Target returns the request target that is sent and signed: the escaped
// path, then "?" and the query when there is one.
func (r *Request) Target() string {
	if r.URL == nil {
		return ""
	}
	return r.URL.RequestURI()
}
