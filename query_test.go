package wechatpay

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzStringQuery checks a string query as the client sends it: every byte
// is one a query may hold, or a %XX escape; a query that needed no escaping
// is sent unchanged (escaping is idempotent); and the fields an APIv2 GET
// reads from it are those url.ParseQuery reads, where that parses.
func FuzzStringQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "note=a b#c&x=100%&ok=%41", "name=微信", "a=%zz", "%", "a+b=c+d", "&&=&", "\x00\xff", "k=v=w"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := filterQuery(s)
		for i := 0; i < len(q); i++ {
			c := q[i]
			switch {
			case queryAllowed[c]:
			case c == '%' && i+2 < len(q) && isHexDigit(q[i+1]) && isHexDigit(q[i+2]):
			default:
				t.Fatalf("filterQuery(%q) = %q holds %q at %d", s, q, c, i)
			}
		}
		if again := filterQuery(q); again != q {
			t.Fatalf("filterQuery is not idempotent: %q, then %q", q, again)
		}
		values, err := url.ParseQuery(q)
		if err != nil {
			return
		}
		got := map[string][]string{}
		for _, p := range parseQuery(q) {
			got[p.Key] = append(got[p.Key], p.Value)
		}
		if len(got) != len(values) {
			t.Fatalf("%q: parseQuery read %q, url.ParseQuery %q", q, got, values)
		}
		for k, vs := range values {
			if len(got[k]) != len(vs) {
				t.Fatalf("%q: parseQuery read %q, url.ParseQuery %q", q, got, values)
			}
			for i := range vs {
				if got[k][i] != vs[i] {
					t.Fatalf("%q: parseQuery read %q, url.ParseQuery %q", q, got, values)
				}
			}
		}
	})
}

// FuzzOrderedJSON checks that an Ordered is written as a JSON object whose
// keys come in its order and read back as given.
func FuzzOrderedJSON(f *testing.F) {
	f.Add("appid", "wx<&>", "mchid", "190\u2028")
	f.Add("", "", "a\"b", "\\")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		if k1 == k2 || !utf8.ValidString(k1) || !utf8.ValidString(v1) || !utf8.ValidString(k2) || !utf8.ValidString(v2) {
			return
		}
		b, err := Ordered{{k1, v1}, {k2, Ordered{{k1, v2}}}}.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if m[k1] != v1 || m[k2].(map[string]any)[k1] != v2 || !strings.HasPrefix(string(b), "{"+string(mustJSON(k1))+":") {
			t.Fatalf("%s read back as %v", b, m)
		}
	})
}

func mustJSON(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.Encode(s)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
