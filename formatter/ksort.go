package formatter

import (
	"slices"
	"strings"
)

// Pair is one field of an ordered APIv2 data set. APIv2 signs its fields in
// key order and some callers need a given order on the wire, which a Go map
// cannot keep.
type Pair struct {
	Key, Value string
}

// comparePairs orders pairs by key, byte by byte, as APIv2 signing requires.
func comparePairs(a, b Pair) int {
	return strings.Compare(a.Key, b.Key)
}

// Ksort returns the fields of m sorted by key in byte order (upper case
// before lower case, so REMARK < RE_OPENID < re_openid < remark), the order
// in which APIv2 signs a data set.
func Ksort(m map[string]string) []Pair {
	p := make([]Pair, 0, len(m))
	for k, v := range m {
		p = append(p, Pair{k, v})
	}
	slices.SortFunc(p, comparePairs)
	return p
}

// KsortPairs returns a copy of p sorted by key like Ksort; pairs with the
// same key keep their relative order. p itself is left as it was.
func KsortPairs(p []Pair) []Pair {
	sorted := slices.Clone(p)
	slices.SortStableFunc(sorted, comparePairs)
	return sorted
}

// QueryStringLike joins the pairs as key=value with "&", in the given order,
// leaving out the key "sign" and empty values ("0" is kept). This is the
// string an APIv2 signature covers once the pairs are sorted (see Ksort).
// Nothing is escaped: WeChat Pay signs the raw values.
func QueryStringLike(p []Pair) string {
	n := 0
	for _, f := range p {
		if skipField(f) {
			continue
		}
		n += len(f.Key) + len(f.Value) + 2
	}
	if n == 0 {
		return ""
	}
	var b strings.Builder
	b.Grow(n - 1)
	for _, f := range p {
		if skipField(f) {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f.Key)
		b.WriteByte('=')
		b.WriteString(f.Value)
	}
	return b.String()
}

// skipField tells the fields that never take part in an APIv2 signature.
func skipField(f Pair) bool {
	return f.Key == "sign" || f.Value == ""
}
