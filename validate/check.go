package validate

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/internal/editdist"
)

// checker walks one request's values against the compiled fields,
// collecting problems. It reads JSON in place (gjson) rather than decoding
// it, and builds a field's path only for a problem, so that a request that
// passes costs no allocation here. Checkers are pooled.
type checker struct {
	strict   bool
	loc      string
	path     []byte
	problems []Problem
	warnings []Problem
}

var checkers = sync.Pool{New: func() any { return &checker{path: make([]byte, 0, 128)} }}

func getChecker(strict bool) *checker {
	c := checkers.Get().(*checker)
	c.strict = strict
	return c
}

func putChecker(c *checker) {
	c.loc, c.path = "", c.path[:0]
	clear(c.problems)
	clear(c.warnings)
	c.problems, c.warnings = c.problems[:0], c.warnings[:0]
	checkers.Put(c)
}

// push appends a name to the path and returns the length to pop back to.
func (c *checker) push(name string) int {
	n := len(c.path)
	if n > 0 {
		c.path = append(c.path, '.')
	}
	c.path = append(c.path, name...)
	return n
}

func (c *checker) pushIndex(i int) int {
	n := len(c.path)
	c.path = append(c.path, '[')
	c.path = strconv.AppendInt(c.path, int64(i), 10)
	c.path = append(c.path, ']')
	return n
}

func (c *checker) pop(n int) { c.path = c.path[:n] }

func (c *checker) add(k Kind, issue string) {
	c.problems = append(c.problems, Problem{Kind: k, Location: c.loc, Path: string(c.path), Issue: issue})
}

// unknown reports a field the endpoint does not document: an error in
// strict mode, a warning otherwise.
func (c *checker) unknown(o *object, name string) {
	issue := "not a documented field of this endpoint"
	if o != nil {
		if near := nearest(o, name); near != "" {
			issue += "; did you mean " + strconv.Quote(near) + "?"
		}
	}
	c.undocumented(issue)
}

// undocumented reports a part of the request the endpoint does not take,
// as unknown does.
func (c *checker) undocumented(issue string) {
	p := Problem{Kind: Unknown, Location: c.loc, Path: string(c.path), Issue: issue}
	if c.strict {
		c.problems = append(c.problems, p)
	} else {
		c.warnings = append(c.warnings, p)
	}
}

// missing reports the required fields of o not seen, and the sets of
// alternatives none of which was.
func (c *checker) missing(o *object, seen *bitset) {
	for i := range o.groups {
		if g := &o.groups[i]; g.required && !seen.has(i) {
			n := c.push(g.name)
			c.add(Missing, "required, missing")
			c.pop(n)
		}
	}
sets:
	for _, set := range o.anyOf {
		for _, i := range set {
			if seen.has(i) {
				continue sets
			}
		}
		n := c.push(o.groups[set[0]].name)
		others := make([]string, 0, len(set)-1)
		for _, i := range set[1:] {
			others = append(others, o.groups[i].name)
		}
		c.add(Missing, "required, missing: give it or "+strings.Join(others, " or "))
		c.pop(n)
	}
}

// object checks a JSON object against o.
func (c *checker) object(o *object, v gjson.Result) {
	var seen bitset
	seen.init(len(o.groups))
	v.ForEach(func(k, val gjson.Result) bool {
		n := c.push(k.Str)
		if i, ok := o.lookup(k.Str); !ok {
			c.unknown(o, k.Str)
		} else if val.Type != gjson.Null { // null stands for absent
			seen.set(i)
			c.group(&o.groups[i], val)
		}
		c.pop(n)
		return true
	})
	c.missing(o, &seen)
}

// group checks a value against the fields of its name: it must fit one of
// documented alternatives. Of several, the problems reported are those of
// the alternative that fits best.
func (c *checker) group(g *group, v gjson.Result) {
	if len(g.alts) == 1 {
		c.value(g.alts[0], v)
		return
	}
	np, nw := len(c.problems), len(c.warnings)
	best, bestP, bestW := -1, 0, 0
	for i, f := range g.alts {
		c.value(f, v)
		p, w := len(c.problems)-np, len(c.warnings)-nw
		if p == 0 && w == 0 {
			return
		}
		if best < 0 || p < bestP || p == bestP && w < bestW {
			best, bestP, bestW = i, p, w
		}
		c.problems, c.warnings = c.problems[:np], c.warnings[:nw]
	}
	c.value(g.alts[best], v)
}

// value checks one JSON value against f.
func (c *checker) value(f *field, v gjson.Result) {
	if !fits(f.typ, v) {
		c.add(WrongType, "want "+f.typeName+", got "+describe(v))
		return
	}
	switch f.typ {
	case kString:
		c.text(f, v.Str)
	case kInteger, kNumber, kBoolean:
		c.scalar(f, v.Raw)
	case kObject:
		if f.obj != nil {
			c.object(f.obj, v)
		}
	case kArray:
		i := 0
		v.ForEach(func(_, item gjson.Result) bool {
			n := c.pushIndex(i)
			if item.Type != gjson.Null {
				c.value(f.item, item)
			}
			c.pop(n)
			i++
			return true
		})
	case kAny:
		if f.obj != nil && v.IsObject() {
			c.object(f.obj, v)
		}
	}
}

// fits tells whether a JSON value has the kind k. An integer may be
// written as a float of integral value (1e2, 100.0).
func fits(k kind, v gjson.Result) bool {
	switch k {
	case kString:
		return v.Type == gjson.String
	case kInteger:
		return v.Type == gjson.Number && !math.IsInf(v.Num, 0) && v.Num == math.Trunc(v.Num)
	case kNumber:
		return v.Type == gjson.Number
	case kBoolean:
		return v.Type == gjson.True || v.Type == gjson.False
	case kObject:
		return v.IsObject()
	case kArray:
		return v.IsArray()
	}
	return true
}

// describe names a JSON value's type and, for a scalar, its value.
func describe(v gjson.Result) string {
	switch v.Type {
	case gjson.String:
		return "string " + quote(v.Str)
	case gjson.Number:
		return "number " + v.Raw
	case gjson.True, gjson.False:
		return "boolean " + v.Raw
	case gjson.Null:
		return "null"
	}
	if v.IsArray() {
		return "array"
	}
	return "object"
}

// text checks a string value: a JSON string, or a query, path or APIv2
// value, which are all text on the wire.
func (c *checker) text(f *field, s string) {
	switch f.typ {
	case kInteger:
		if !isInteger(s) {
			c.add(WrongType, "want integer, got "+quote(s))
			return
		}
	case kNumber:
		if _, err := strconv.ParseFloat(s, 64); err != nil {
			c.add(WrongType, "want number, got "+quote(s))
			return
		}
	case kBoolean:
		// Text has no boolean of its own: WeChat Pay's APIv2 examples
		// write TRUE as well as true.
		if !strings.EqualFold(s, "true") && !strings.EqualFold(s, "false") {
			c.add(WrongType, "want boolean (true or false), got "+quote(s))
			return
		}
	case kString:
		if f.encrypted {
			if !isCiphertext(s) {
				// Never print the value: it is personal data (敏感信息).
				c.add(NotEncrypted, "sent in clear text: encrypt this field with the SDK's sensitive-field helper (client.NewSensitiveEncrypter)")
			}
			return
		}
		if f.jsonText {
			c.jsonText(f, s)
			return
		}
	}
	c.scalar(f, s)
}

// scalar checks a value's enum, const and length.
func (c *checker) scalar(f *field, s string) {
	if len(f.enum) > 0 && !slices.Contains(f.enum, s) {
		c.add(NotInEnum, "want one of "+list(f.enum)+", got "+quote(s))
	}
	if f.constant != "" && s != f.constant {
		c.add(NotConst, "want "+f.constant+", got "+quote(s))
	}
	if f.maxLen > 0 && len(s) > f.maxLen {
		c.add(TooLong, strconv.Itoa(len(s))+" bytes, longer than the "+strconv.Itoa(f.maxLen)+" allowed")
	}
}

// jsonText checks a string that carries JSON (json_encode'd): it must
// parse, and its content fit the documented fields. A documented array
// (["1970-01-01","forever"] for a period) may be the whole content.
func (c *checker) jsonText(f *field, s string) {
	if !gjson.Valid(s) {
		c.add(Malformed, "want JSON text (json_encode), got "+quote(s))
		return
	}
	if f.obj == nil {
		return
	}
	v := gjson.Parse(s)
	switch {
	case v.IsObject():
		c.object(f.obj, v)
	case v.IsArray() && len(f.obj.groups) == 1 && f.obj.groups[0].alts[0].typ == kArray:
		c.value(f.obj.groups[0].alts[0], v)
	default:
		c.add(WrongType, "want a JSON object in the string, got "+describe(v))
	}
}

// pairs are name=value pairs: APIv2 fields, or a raw query read as the
// server reads it (url.ParseQuery), pair by pair without building a map.
type pairs struct {
	fields []formatter.Pair
	query  string
}

func (ps pairs) each(fn func(k, v string)) {
	for _, p := range ps.fields {
		fn(p.Key, p.Value)
	}
	for raw := ps.query; raw != ""; {
		var kv string
		kv, raw, _ = strings.Cut(raw, "&")
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		k, err1 := unescape(k)
		v, err2 := unescape(v)
		if err1 == nil && err2 == nil {
			fn(k, v)
		}
	}
}

func unescape(s string) (string, error) {
	if strings.ContainsAny(s, "%+") {
		return url.QueryUnescape(s)
	}
	return s, nil
}

// flat checks name=value pairs (a query, APIv2 fields) against o. An
// empty value is absent, as it is from what APIv2 signs. A later step
// adds nonce_str and sign to APIv2 fields: v2 leaves them to it.
func (c *checker) flat(o *object, ps pairs, v2 bool) {
	var seen bitset
	if o != nil {
		seen.init(len(o.groups))
	}
	ps.each(func(k, v string) {
		if v == "" || v2 && addedV2(k) {
			return
		}
		n := c.push(k)
		i, ok := -1, false
		if o != nil {
			i, ok = o.lookup(k)
		}
		if !ok {
			c.unknown(o, k)
		} else {
			seen.set(i)
			c.textGroup(&o.groups[i], v)
		}
		c.pop(n)
	})
	if o != nil {
		for i := range o.groups {
			if v2 && addedV2(o.groups[i].name) {
				seen.set(i)
			}
		}
		c.missing(o, &seen)
	}
}

// addedV2 names the fields transform_request adds.
func addedV2(name string) bool { return name == "nonce_str" || name == "sign" }

// textGroup is group for text values.
func (c *checker) textGroup(g *group, s string) {
	np := len(c.problems)
	for _, f := range g.alts {
		c.text(f, s)
		if len(c.problems) == np {
			return
		}
		if len(g.alts) > 1 {
			c.problems = c.problems[:np]
		}
	}
	if len(g.alts) > 1 {
		c.text(g.alts[0], s)
	}
}

func isInteger(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isCiphertext tells whether s is the base64 (standard, padded) of an
// RSA-2048, 3072 or 4096 ciphertext: 256, 384 or 512 bytes, what
// RSAES-OAEP under a WeChat Pay key gives.
func isCiphertext(s string) bool {
	var pad int
	switch len(s) {
	case 344: // 256 bytes
		pad = 2
	case 512: // 384 bytes
		pad = 0
	case 684: // 512 bytes
		pad = 1
	default:
		return false
	}
	body := len(s) - pad
	for i := 0; i < len(s); i++ {
		b := s[i]
		switch {
		case i >= body:
			if b != '=' {
				return false
			}
		case 'A' <= b && b <= 'Z', 'a' <= b && b <= 'z', '0' <= b && b <= '9', b == '+', b == '/':
		default:
			return false
		}
	}
	return true
}

// list writes enum values for a message, at most 10 of them.
func list(values []string) string {
	const max = 10
	if len(values) > max {
		return strings.Join(values[:max], "|") + "|…"
	}
	return strings.Join(values, "|")
}

// nearest returns the documented name closest to a mistyped one, or "":
// the same but for case, or at most two edits away.
func nearest(o *object, name string) string {
	best, bestD := "", 3
	for _, g := range o.groups {
		if strings.EqualFold(g.name, name) {
			return g.name
		}
		if d := editdist.Bounded(g.name, name, bestD); d < bestD {
			best, bestD = g.name, d
		}
	}
	return best
}

// bitset records which fields of an object were seen: in a word for up
// to 64 fields, else in a slice.
type bitset struct {
	word uint64
	more []bool
}

func (b *bitset) init(n int) {
	if n > 64 {
		b.more = make([]bool, n)
	}
}

func (b *bitset) set(i int) {
	if b.more != nil {
		b.more[i] = true
	} else {
		b.word |= 1 << i
	}
}

func (b *bitset) has(i int) bool {
	if b.more != nil {
		return b.more[i]
	}
	return b.word&(1<<i) != 0
}
