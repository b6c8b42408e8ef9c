package wechatpay

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/wechatpay-go/wechatpay/formatter"
)

// This file turns the xml and query options into the ordered fields the
// request carries. The query follows Guzzle, which wechatpay-php sends its
// queries with: an array is written by PHP's http_build_query (RFC 3986
// escaping, nested values as a[b]=c and a[0]=x, null values left out), a
// string is sent as given, only the bytes a query cannot hold escaped.

// fieldPairs turns the xml option into ordered fields: a []formatter.Pair
// or an Ordered keeps its order, maps are sorted by key. Values are scalars
// (formatter.Stringify); nil is an empty field.
func fieldPairs(v any) ([]formatter.Pair, error) {
	switch m := v.(type) {
	case nil:
		return nil, nil
	case []formatter.Pair:
		return m, nil
	case Ordered:
		keys, err := m.keys()
		if err != nil {
			return nil, err
		}
		out := make([]formatter.Pair, len(m))
		for i, k := range keys {
			s, err := formatter.Stringify(m[i][1])
			if err != nil {
				return nil, fmt.Errorf("field %q: %w (encode nested values with json.Marshal first)", k, err)
			}
			out[i] = formatter.Pair{Key: k, Value: s}
		}
		return out, nil
	case url.Values:
		return valuesPairs(m), nil
	case map[string]string:
		return formatter.Ksort(m), nil
	case M:
		return fieldPairs(map[string]any(m))
	case map[string]any:
		out := make([]formatter.Pair, 0, len(m))
		for _, k := range sortedKeys(m) {
			s, err := formatter.Stringify(m[k])
			if err != nil {
				return nil, fmt.Errorf("field %q: %w (encode nested values with json.Marshal first)", k, err)
			}
			out = append(out, formatter.Pair{Key: k, Value: s})
		}
		return out, nil
	}
	return nil, errors.New(typeProblem(v, "a map[string]string, map[string]any, M, Ordered, url.Values or []formatter.Pair"))
}

func valuesPairs(m url.Values) []formatter.Pair {
	var out []formatter.Pair
	for _, k := range sortedKeys(m) {
		for _, x := range m[k] {
			out = append(out, formatter.Pair{Key: k, Value: x})
		}
	}
	return out
}

// queryPairs turns the query option, other than a string, into ordered
// fields, as http_build_query writes an array: maps in key order, an
// Ordered or []formatter.Pair in its own; a nested map or list flattened
// into keys a[b] and a[0] (the brackets escaped on the wire, %5B and %5D);
// nil values and empty maps and lists left out. Booleans are written
// "true" and "false", as WeChat Pay documents them (PHP writes 1 and 0).
func queryPairs(v any) ([]formatter.Pair, error) {
	switch m := v.(type) {
	case nil:
		return nil, nil
	case []formatter.Pair:
		return m, nil
	case url.Values:
		return valuesPairs(m), nil
	case M, map[string]any, map[string]string, Ordered:
		out := make([]formatter.Pair, 0, reflect.ValueOf(v).Len())
		if err := appendQuery(&out, "", v, 0); err != nil {
			return nil, err
		}
		return out, nil
	}
	return nil, errors.New(typeProblem(v, "a string, map[string]string, map[string]any, M, Ordered, url.Values or []formatter.Pair"))
}

// maxQueryDepth bounds the nesting of a query, against a value that
// contains itself.
const maxQueryDepth = 32

// appendQuery appends the fields of v under the key prefix ("" at the top).
func appendQuery(out *[]formatter.Pair, prefix string, v any, depth int) error {
	if depth > maxQueryDepth {
		return fmt.Errorf("field %q: nested more than %d levels deep", prefix, maxQueryDepth)
	}
	switch m := v.(type) {
	case nil:
		return nil
	case M:
		return appendQuery(out, prefix, map[string]any(m), depth)
	case map[string]any:
		for _, k := range sortedKeys(m) {
			if err := appendQuery(out, under(prefix, k), m[k], depth+1); err != nil {
				return err
			}
		}
		return nil
	case map[string]string:
		for _, k := range sortedKeys(m) {
			*out = append(*out, formatter.Pair{Key: under(prefix, k), Value: m[k]})
		}
		return nil
	case Ordered:
		keys, err := m.keys()
		if err != nil {
			return err
		}
		for i, k := range keys {
			if err := appendQuery(out, under(prefix, k), m[i][1], depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if prefix == "" {
		return errors.New(typeProblem(v, "a map"))
	}
	if rv := reflect.ValueOf(v); (rv.Kind() == reflect.Slice || rv.Kind() == reflect.Array) && rv.Type().Elem().Kind() != reflect.Uint8 {
		for i := range rv.Len() {
			if err := appendQuery(out, under(prefix, strconv.Itoa(i)), rv.Index(i).Interface(), depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	s, err := formatter.Stringify(v)
	if err != nil {
		return fmt.Errorf("field %q: %w (a query value is a scalar, or a map, Ordered or slice of them)", prefix, err)
	}
	*out = append(*out, formatter.Pair{Key: prefix, Value: s})
	return nil
}

// under names the key k nested in prefix: prefix[k], or k at the top.
func under(prefix, k string) string {
	if prefix == "" {
		return k
	}
	return prefix + "[" + k + "]"
}

// queryAllowed are the bytes Guzzle leaves as they are in a string query:
// RFC 3986's unreserved and sub-delims characters, ":", "@", "/" and "?".
var queryAllowed = func() (t [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?" {
		t[c] = true
	}
	return t
}()

// filterQuery escapes what a query string may not hold, as Guzzle's Uri
// does with the string given as the query option: every other byte is
// percent-encoded, and so is a "%" that does not start an escape; the rest,
// escapes included, is sent as given.
func filterQuery(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if queryAllowed[c] || c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			if b.Len() > 0 {
				b.WriteByte(c)
			}
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s) + 8)
			b.WriteString(s[:i])
		}
		b.WriteByte('%')
		b.WriteByte(hexdigits[c>>4])
		b.WriteByte(hexdigits[c&15])
	}
	if b.Len() == 0 {
		return s
	}
	return b.String()
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// parseQuery reads a query string into fields, as Guzzle's Query::parse
// reads the query of an APIv2 GET before wechatpay-php signs it: pairs
// split on "&" (empty ones skipped) and the first "=", "+" read as a
// space, escapes decoded (an escape that is not one kept as written).
func parseQuery(s string) []formatter.Pair {
	out := []formatter.Pair{}
	if s == "" {
		return out
	}
	for kv := range strings.SplitSeq(s, "&") {
		if kv == "" {
			continue // "a=1&&b=2": no field between the two
		}
		k, v, _ := strings.Cut(kv, "=")
		out = append(out, formatter.Pair{Key: unescapeQuery(k), Value: unescapeQuery(v)})
	}
	return out
}

// unescapeQuery decodes "+" and %XX escapes, leniently, as PHP's
// rawurldecode(str_replace('+', ' ', $s)) does.
func unescapeQuery(s string) string {
	if !strings.ContainsAny(s, "+%") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			n, _ := strconv.ParseUint(s[i+1:i+3], 16, 8)
			b = append(b, byte(n))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// hasKey reports whether the option value v (a map, Ordered or pairs) has
// the top-level key k; for a hint in an error.
func hasKey(v any, k string) bool {
	switch m := v.(type) {
	case M:
		_, ok := m[k]
		return ok
	case map[string]any:
		_, ok := m[k]
		return ok
	case map[string]string:
		_, ok := m[k]
		return ok
	case url.Values:
		_, ok := m[k]
		return ok
	case Ordered:
		return slices.ContainsFunc(m, func(e [2]any) bool { return e[0] == k })
	case []formatter.Pair:
		return slices.ContainsFunc(m, func(p formatter.Pair) bool { return p.Key == k })
	}
	return false
}
