// Temporary stand-in for the formatter package while it is written; removed at merge.
package formatter

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

type Pair struct{ Key, Value string }

func Nonce() string {
	const chars = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, 32)
	rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%62]
	}
	return string(b)
}
func Timestamp() int64 { return time.Now().Unix() }
func Authorization(mchid, nonce, signature, timestamp, serial string) string {
	return `WECHATPAY2-SHA256-RSA2048 mchid="` + mchid + `",serial_no="` + serial + `",timestamp="` + timestamp + `",nonce_str="` + nonce + `",signature="` + signature + `"`
}
func AppendRequest(dst []byte, method, uri, timestamp, nonce string, body []byte) []byte {
	dst = append(dst, method...)
	dst = append(dst, '\n')
	dst = append(dst, uri...)
	dst = append(dst, '\n')
	return AppendResponse(dst, timestamp, nonce, body)
}
func AppendResponse(dst []byte, timestamp, nonce string, body []byte) []byte {
	dst = append(dst, timestamp...)
	dst = append(dst, '\n')
	dst = append(dst, nonce...)
	dst = append(dst, '\n')
	dst = append(dst, body...)
	return append(dst, '\n')
}
func Ksort(m map[string]string) []Pair {
	p := make([]Pair, 0, len(m))
	for k, v := range m {
		p = append(p, Pair{k, v})
	}
	sort.Slice(p, func(i, j int) bool { return p[i].Key < p[j].Key })
	return p
}
func KsortPairs(p []Pair) []Pair {
	c := append([]Pair(nil), p...)
	sort.SliceStable(c, func(i, j int) bool { return c[i].Key < c[j].Key })
	return c
}
func QueryStringLike(p []Pair) string {
	var s []string
	for _, kv := range p {
		if kv.Key == "sign" || kv.Value == "" {
			continue
		}
		s = append(s, kv.Key+"="+kv.Value)
	}
	return strings.Join(s, "&")
}
func Stringify(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case json.Number:
		return string(x), nil
	case fmt.Stringer:
		return x.String(), nil
	}
	return "", errors.New("formatter: unsupported value")
}
