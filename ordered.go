package wechatpay

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Ordered is a map literal that keeps its order, for a port of PHP code
// that must send PHP's bytes: a PHP array keeps the order its keys were
// written in, a Go map (and so M) does not, and is sent in key order.
//
//	wechatpay.Ordered{{"appid", "wxd678efh567hg6787"}, {"mchid", "1230000109"}, {"amount", wechatpay.Ordered{{"total", 1}}}}
//
// Each entry is a key, a string, and its value. An Ordered goes wherever an
// M does: the json option (a JSON object, keys in the given order), the xml
// option (the fields in the given order), the query option (in the given
// order; nested values as PHP's http_build_query writes them), and
// MediaMeta (the meta JSON of an upload).
//
// The order never matters to WeChat Pay: signatures cover the bytes sent,
// whatever their order, and APIv2 signs its fields sorted. It matters only
// when a port must send the very bytes its PHP original sent.
type Ordered [][2]any

// key returns the key of entry i, which must be a string.
func (o Ordered) key(i int) (string, error) {
	k, ok := o[i][0].(string)
	if !ok {
		return "", fmt.Errorf("entry %d of an Ordered has a %T key; want a string", i, o[i][0])
	}
	return k, nil
}

// keys returns the keys of o, checking that each is a string, given once.
func (o Ordered) keys() ([]string, error) {
	keys := make([]string, len(o))
	seen := make(map[string]bool, len(o))
	for i := range o {
		k, err := o.key(i)
		if err != nil {
			return nil, err
		}
		if seen[k] {
			return nil, fmt.Errorf("the key %q appears twice in an Ordered", k)
		}
		seen[k] = true
		keys[i] = k
	}
	return keys, nil
}

// MarshalJSON writes o as a JSON object with its keys in order. HTML
// characters are left unescaped here; json.Marshal escapes them as it does
// for any value, the client's json option does not.
func (o Ordered) MarshalJSON() ([]byte, error) {
	keys, err := o.keys()
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := enc.Encode(k); err != nil {
			return nil, err
		}
		buf.Truncate(buf.Len() - 1) // the Encoder's line feed
		buf.WriteByte(':')
		if err := enc.Encode(o[i][1]); err != nil {
			return nil, fmt.Errorf("the value of %q: %w", k, err)
		}
		buf.Truncate(buf.Len() - 1)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}
