package wechatpay

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
)

// stdJSON is what encodeJSON wrote before appendJSON: encoding/json without
// HTML escaping.
func stdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// checkAppendJSON fails t when appendJSON writes v otherwise than
// encoding/json, or takes a value encoding/json refuses.
func checkAppendJSON(t *testing.T, v any) {
	t.Helper()
	want, err := stdJSON(v)
	got, ok := appendJSON(nil, v, 0)
	if !ok {
		return // left to encoding/json
	}
	if err != nil {
		t.Fatalf("appendJSON(%#v) = %s; encoding/json: %v", v, got, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendJSON(%#v)\n got %s\nwant %s", v, got, want)
	}
}

func TestAppendJSON(t *testing.T) {
	for _, v := range []any{
		nil, "", "a\"b\\c\b\f\n\r\t\x00\x1f\x7f<>&", "\u2028\u2029华为", "\xff\xfe", "a\xc3", true, false,
		0, -1, int64(math.MinInt64), int32(7), uint(3), uint64(math.MaxUint64), uint32(9),
		0.0, math.Copysign(0, -1), 1.5, 9856000.0, 1e20, 1e21, 1e-6, 1e-7, 123456789e-15, math.MaxFloat64, math.SmallestNonzeroFloat64,
		math.NaN(), math.Inf(1), []any(nil), []any{}, []string(nil), []string{"a", "b"}, M(nil), map[string]any{},
		map[string]string{"b": "1", "a": "2"}, map[string]string(nil), json.Number("12"), struct{ A int }{1},
		M{"amount": M{"total": 100, "currency": "CNY"}, "appid": "wxd678efh567hg6787", "detail": []any{M{"goods_id": "x", "price": 528800}}},
		M{"z": 1, "a": []any{nil, true, "x", 2.5}, "": "empty key", "\u2028": "k"},
		map[string]any{"nested": map[string]any{"deep": []any{map[string]any{"k": "v"}}}},
	} {
		checkAppendJSON(t, v)
	}
	// Deeper than appendJSON goes: encoding/json decides.
	deep := any("x")
	for range 100 {
		deep = []any{deep}
	}
	if _, ok := appendJSON(nil, deep, 0); ok {
		t.Error("appendJSON took a value 100 levels deep")
	}
	// Many keys: sorted beyond the small array.
	many := M{}
	for i := range 40 {
		many[string(rune('A'+i))] = i
	}
	checkAppendJSON(t, many)
}

// FuzzAppendJSON checks appendJSON against encoding/json on every value
// a JSON document decodes to, and on any string.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{
		`{"amount":{"total":100,"currency":"CNY"},"appid":"wxd678efh567hg6787"}`, `[1,2.5,-0,1e21,1e-7,"a\u2028b",null,true]`,
		`"\u0000\u001f<>&"`, `{"b":{"a":[{}]}}`, "not json \xff", `1e308`, `-1234567890.0987654321e-300`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v any
		if json.Unmarshal([]byte(s), &v) == nil {
			checkAppendJSON(t, v)
		}
		checkAppendJSON(t, s)
		checkAppendJSON(t, M{s: s, "n": len(s), "f": float64(len(s)) / 7})
		checkAppendJSON(t, map[string]string{s: s})
	})
}
