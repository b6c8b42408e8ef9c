package transformer

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wechatpay-go/wechatpay/formatter"
)

// declaration is the XML declaration PHP's XMLWriter writes for
// startDocument('1.0', 'utf-8'), followed by its line feed.
const declaration = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// ToXML writes v as an APIv2 XML document under a root element ("xml"
// unless WithRoot says otherwise), as PHP's Transformer::toXml does.
//
// v may be:
//
//   - map[string]any, map[string]string or any other map with string keys:
//     one element per key, keys in byte order so that the output is the
//     same on every run;
//   - []formatter.Pair: one element per pair, in the given order (this is
//     how to get a chosen order, PHP's insertion order, on the wire);
//   - a slice or array (other than []byte): one item element per entry;
//   - a scalar, written by formatter.Stringify as the root's text.
//
// Maps and slices nest to any depth below MaxDepth. A key that is not a
// valid element name ("0", "a b", "") is written as an item element, as PHP
// does. A value holding <, >, & or " is wrapped in CDATA; unlike PHP, a "]]>"
// inside it is split across two CDATA sections and a carriage return is
// written as a character reference, so that ToMap reads back exactly the
// value given. An element with no children is written as <name/>, one with
// an empty value as <name></name>, as PHP's XMLWriter does.
//
// Values that Stringify rejects, text XML 1.0 cannot carry and values that
// contain themselves return a *ValueError naming the key path.
func ToXML(v any, opts ...Option) ([]byte, error) {
	// Not clbanning/mxj: it writes values unescaped unless a package-wide
	// switch is set, and has no CDATA, no ordered input such as
	// []formatter.Pair and no PHP-compatible indentation.
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, ErrNothingToWrite
	}
	w := xmlWriter{cfg: cfg, buf: make([]byte, 0, 1024)}
	if cfg.declaration {
		w.buf = append(w.buf, declaration...)
	}
	if err := w.element(cfg.root, v, 0); err != nil {
		return nil, err
	}
	if cfg.declaration && cfg.indent == "" {
		// XMLWriter's endDocument ends the document with a line feed; with
		// indentation every element already ends with one.
		w.buf = append(w.buf, '\n')
	}
	return w.buf, nil
}

// xmlWriter accumulates the document.
type xmlWriter struct {
	cfg config
	buf []byte
}

// element writes one element holding v at the given depth. A *ValueError
// it returns has its path relative to this element; callers prefix their
// own key, so no path is built unless something fails.
func (w *xmlWriter) element(name string, v any, level int) error {
	if level >= MaxDepth {
		return tooDeep()
	}
	fields, ok := fieldsOf(v)
	if !ok {
		s, err := formatter.Stringify(v)
		if err != nil {
			return &ValueError{Err: err}
		}
		return w.leaf(name, s, level)
	}
	w.indent(level)
	if len(fields) == 0 {
		w.buf = append(append(append(w.buf, '<'), name...), "/>"...)
		w.lineFeed()
		return nil
	}
	w.buf = append(append(append(w.buf, '<'), name...), '>')
	w.lineFeed()
	for _, f := range fields {
		tag := f.key
		if !isElementName(tag) {
			tag = w.cfg.item
		}
		var err error
		if f.isStr {
			err = w.leaf(tag, f.str, level+1)
		} else {
			err = w.element(tag, f.value, level+1)
		}
		if err != nil {
			if ve, ok := err.(*ValueError); ok {
				ve.Path = joinPath(f.key, ve.Path)
			}
			return err
		}
	}
	w.indent(level)
	w.buf = append(append(append(w.buf, "</"...), name...), '>')
	w.lineFeed()
	return nil
}

// tooDeep reports an element past MaxDepth.
func tooDeep() error {
	return &ValueError{Err: fmt.Errorf("%w: deeper than %d levels, or a value that contains itself", ErrTooDeep, MaxDepth)}
}

// leaf writes an element holding the text s.
func (w *xmlWriter) leaf(name, s string, level int) error {
	if level >= MaxDepth {
		return tooDeep()
	}
	w.indent(level)
	w.buf = append(append(append(w.buf, '<'), name...), '>')
	if err := w.text(s); err != nil {
		return &ValueError{Err: err}
	}
	w.buf = append(append(append(w.buf, "</"...), name...), '>')
	w.lineFeed()
	return nil
}

// indent starts a line at the given depth when indenting.
func (w *xmlWriter) indent(level int) {
	if w.cfg.indent != "" {
		for range level {
			w.buf = append(w.buf, w.cfg.indent...)
		}
	}
}

// lineFeed ends a line when indenting.
func (w *xmlWriter) lineFeed() {
	if w.cfg.indent != "" {
		w.buf = append(w.buf, '\n')
	}
}

// joinPath puts a key in front of a path below it.
func joinPath(key, below string) string {
	if below == "" {
		return key
	}
	return key + "/" + below
}

// text writes an element's value: in CDATA when it holds one of the
// characters PHP wraps, as plain text otherwise.
func (w *xmlWriter) text(s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: the value is not UTF-8", ErrInvalidText)
	}
	for _, r := range s {
		if !isXMLChar(r) {
			return fmt.Errorf("%w: the value holds %U", ErrInvalidText, r)
		}
	}
	if strings.ContainsAny(s, `<>&"`) {
		w.cdata(s)
		return nil
	}
	// A parser turns a raw carriage return into a line feed; the reference
	// keeps it (PHP's XMLWriter writes the same).
	for {
		before, after, found := strings.Cut(s, "\r")
		w.buf = append(w.buf, before...)
		if !found {
			return nil
		}
		w.buf = append(w.buf, "&#13;"...)
		s = after
	}
}

// cdata writes s as CDATA. A carriage return cannot be kept inside CDATA,
// so it is written between sections as a reference.
func (w *xmlWriter) cdata(s string) {
	for {
		before, after, found := strings.Cut(s, "\r")
		if before != "" {
			w.cdataSection(before)
		}
		if !found {
			return
		}
		w.buf = append(w.buf, "&#13;"...)
		s = after
	}
}

// cdataSection writes s as one CDATA section, or as several when s holds
// "]]>", which would end a section early: "a]]>b" is written as
// <![CDATA[a]]]]><![CDATA[>b]]>.
func (w *xmlWriter) cdataSection(s string) {
	w.buf = append(w.buf, "<![CDATA["...)
	for {
		i := strings.Index(s, "]]>")
		if i < 0 {
			break
		}
		w.buf = append(w.buf, s[:i+2]...)
		w.buf = append(w.buf, "]]><![CDATA["...)
		s = s[i+2:]
	}
	w.buf = append(append(w.buf, s...), "]]>"...)
}

// field is one child of a container value. String values are kept apart
// from other values so that they need not be boxed into an interface.
type field struct {
	key   string
	str   string
	value any
	isStr bool
}

// fieldsOf returns the children of a container value, in writing order; ok
// is false for a scalar.
func fieldsOf(v any) (fields []field, ok bool) {
	switch x := v.(type) {
	case map[string]string:
		fields = make([]field, 0, len(x))
		for k, s := range x {
			fields = append(fields, field{key: k, str: s, isStr: true})
		}
		sortFields(fields)
		return fields, true
	case map[string]any:
		fields = make([]field, 0, len(x))
		for k, val := range x {
			fields = append(fields, anyField(k, val))
		}
		sortFields(fields)
		return fields, true
	case []formatter.Pair:
		fields = make([]field, len(x))
		for i, p := range x {
			fields[i] = field{key: p.Key, str: p.Value, isStr: true}
		}
		return fields, true
	case []string:
		fields = make([]field, len(x))
		for i, s := range x {
			fields[i] = field{key: strconv.Itoa(i), str: s, isStr: true}
		}
		return fields, true
	case []any:
		fields = make([]field, len(x))
		for i, val := range x {
			fields[i] = anyField(strconv.Itoa(i), val)
		}
		return fields, true
	case string, []byte:
		return nil, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		fields = make([]field, 0, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			fields = append(fields, anyField(it.Key().String(), it.Value().Interface()))
		}
		sortFields(fields)
		return fields, true
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, false // bytes are a scalar
		}
		fields = make([]field, rv.Len())
		for i := range fields {
			fields[i] = anyField(strconv.Itoa(i), rv.Index(i).Interface())
		}
		return fields, true
	}
	return nil, false
}

// anyField keeps a string value unboxed.
func anyField(key string, v any) field {
	if s, ok := v.(string); ok {
		return field{key: key, str: s, isStr: true}
	}
	return field{key: key, value: v}
}

// sortFields puts map entries in byte order of their keys, so that the same
// map is always written the same way.
func sortFields(fields []field) {
	slices.SortFunc(fields, func(a, b field) int { return strings.Compare(a.key, b.key) })
}
