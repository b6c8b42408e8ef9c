// Package pathseg holds wechatpay-php's rule for a chain segment, which the
// client's Chain and the catalog's lookup both apply: one rule, so that a
// path the client builds is the path the catalog finds.
package pathseg

import "strings"

// Normalize applies wechatpay-php's segment rules: "^[A-Z]" → lower case,
// other "[A-Z]" → "-" + lower case, then "^_(.*)_$" → "{$1}".
func Normalize(s string) string {
	simple := len(s) < 2 || s[0] != '_' || s[len(s)-1] != '_'
	for i := 0; i < len(s) && simple; i++ {
		simple = s[i] < 'A' || s[i] > 'Z'
	}
	if simple {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	r := b.String()
	if len(r) >= 2 && r[0] == '_' && r[len(r)-1] == '_' {
		r = "{" + r[1:len(r)-1] + "}"
	}
	return r
}
