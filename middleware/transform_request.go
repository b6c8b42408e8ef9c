package middleware

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// ErrMchIDMismatch: the mch_id (mchid, combine_mch_id) of APIv2 fields is
// not the client's merchant ID.
var ErrMchIDMismatch = errors.New("wechatpay: the fields' merchant ID is not the configured one")

// TransformRequest returns the APIv2 "transform_request" step. It takes the
// request's Fields and:
//   - when mchid is not empty, checks that the first of mch_id, mchid and
//     combine_mch_id equals it (a typo here would pay into the wrong
//     account);
//   - adds nonce_str unless the fields have one or the request is Nonceless;
//   - signs them: sign_type (MD5 when absent) over the byte-sorted k=v&…
//     string of the non-empty fields, keyed with secret;
//   - writes them as the XML body, or for a GET as the query.
//
// The sign is always computed here, as wechatpay-php and the Node SDK do: a
// sign among the fields (a stale one, copied from a sample, say) is
// replaced in its place, and nonce_str is added unless the fields have one.
//
// A request without Fields (a multipart upload, say) passes untouched.
func TransformRequest(mchid string, secret crypto.Secret) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			if req.Fields == nil {
				return next.Handle(ctx, req)
			}
			get := req.Method == http.MethodGet
			fields := req.Fields
			if mchid != "" {
				if got := firstField(fields, "mch_id", "mchid", "combine_mch_id"); got != mchid {
					return nil, fmt.Errorf("%w: got %q, configured %q", ErrMchIDMismatch, got, mchid)
				}
			}
			fields = append([]formatter.Pair(nil), fields...)
			if !req.Nonceless && !hasField(fields, "nonce_str") {
				fields = append(fields, formatter.Pair{Key: "nonce_str", Value: formatter.Nonce()})
			}
			signType := firstField(fields, "sign_type")
			if signType == "" {
				signType = crypto.SignTypeMD5
			}
			key := secret.Reveal()
			sign, err := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.KsortPairs(fields))), key)
			clear(key)
			if err != nil {
				return nil, &SignError{Err: err}
			}
			fields = setField(fields, "sign", sign)
			if get {
				req.URL.RawQuery = EncodeQuery(fields)
			} else {
				body, err := transformer.ToXML(fields)
				if err != nil {
					return nil, err
				}
				req.Body = body
			}
			return next.Handle(ctx, req)
		})
	}
}

func firstField(fields []formatter.Pair, keys ...string) string {
	for _, k := range keys {
		for _, f := range fields {
			if f.Key == k {
				return f.Value
			}
		}
	}
	return ""
}

func hasField(fields []formatter.Pair, key string) bool {
	for _, f := range fields {
		if f.Key == key {
			return true
		}
	}
	return false
}

func setField(fields []formatter.Pair, key, value string) []formatter.Pair {
	for i := range fields {
		if fields[i].Key == key {
			fields[i].Value = value
			return fields
		}
	}
	return append(fields, formatter.Pair{Key: key, Value: value})
}

// EncodeQuery writes pairs as a query string in their order, percent-encoding
// every byte but the RFC 3986 unreserved ones (A-Z a-z 0-9 - . _ ~), as PHP's
// http_build_query with PHP_QUERY_RFC3986 does.
func EncodeQuery(pairs []formatter.Pair) string {
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		escapeRFC3986(&b, p.Key)
		b.WriteByte('=')
		escapeRFC3986(&b, p.Value)
	}
	return b.String()
}

func escapeRFC3986(b *strings.Builder, s string) {
	const hexdigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
}
