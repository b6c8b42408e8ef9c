package transformer

import (
	"fmt"
	"iter"
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
//
// clbanning/mxj is not used here: it writes values unescaped unless a
// package-wide switch is set, has no CDATA, no ordered input such as
// []formatter.Pair and no PHP-compatible indentation.
func ToXML(v any, opts ...Option) ([]byte, error) {
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
	if err := w.element(cfg.root, v, 0, ""); err != nil {
		return nil, err
	}
	if cfg.declaration && cfg.indent == "" {
		// XMLWriter's endDocument ends the document with a line feed; with
		// indentation every element already ends with one.
		w.buf = append(w.buf, '\n')
	}
	return w.buf, nil
}

type xmlWriter struct {
	cfg config
	buf []byte
}

// element writes one element holding v at the given depth.
func (w *xmlWriter) element(name string, v any, level int, path string) error {
	if level >= MaxDepth {
		return &ValueError{Path: path, Err: fmt.Errorf("%w: deeper than %d levels, or a value that contains itself", ErrTooDeep, MaxDepth)}
	}
	w.indent(level)
	if children, n, ok := fieldsOf(v); ok {
		if n == 0 {
			w.buf = append(append(append(w.buf, '<'), name...), "/>"...)
			w.lineFeed()
			return nil
		}
		w.buf = append(append(append(w.buf, '<'), name...), '>')
		w.lineFeed()
		for key, child := range children {
			tag := key
			if !isElementName(tag) {
				tag = w.cfg.item
			}
			if err := w.element(tag, child, level+1, joinPath(path, key)); err != nil {
				return err
			}
		}
		w.indent(level)
	} else {
		s, err := formatter.Stringify(v)
		if err != nil {
			return &ValueError{Path: path, Err: err}
		}
		w.buf = append(append(append(w.buf, '<'), name...), '>')
		if err := w.text(s); err != nil {
			return &ValueError{Path: path, Err: err}
		}
	}
	w.buf = append(append(append(w.buf, "</"...), name...), '>')
	w.lineFeed()
	return nil
}

func (w *xmlWriter) indent(level int) {
	if w.cfg.indent != "" {
		for range level {
			w.buf = append(w.buf, w.cfg.indent...)
		}
	}
}

func (w *xmlWriter) lineFeed() {
	if w.cfg.indent != "" {
		w.buf = append(w.buf, '\n')
	}
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "/" + key
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

// fieldsOf returns the children of a container value and how many there
// are; ok is false for a scalar.
func fieldsOf(v any) (children iter.Seq2[string, any], n int, ok bool) {
	switch x := v.(type) {
	case map[string]any:
		return sortedMap(x), len(x), true
	case map[string]string:
		return sortedMap(x), len(x), true
	case []formatter.Pair:
		return func(yield func(string, any) bool) {
			for _, p := range x {
				if !yield(p.Key, p.Value) {
					return
				}
			}
		}, len(x), true
	case []any:
		return indexed(x), len(x), true
	case []string:
		return indexed(x), len(x), true
	case string, []byte:
		return nil, 0, false
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Map:
		if rv.Type().Key().Kind() != reflect.String {
			return nil, 0, false
		}
		return sortedReflectMap(rv), rv.Len(), true
	case reflect.Slice, reflect.Array:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return nil, 0, false // bytes are a scalar
		}
		return func(yield func(string, any) bool) {
			for i := range rv.Len() {
				if !yield(strconv.Itoa(i), rv.Index(i).Interface()) {
					return
				}
			}
		}, rv.Len(), true
	}
	return nil, 0, false
}

func sortedMap[V any](m map[string]V) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

func indexed[V any](s []V) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		for i, v := range s {
			if !yield(strconv.Itoa(i), v) {
				return
			}
		}
	}
}

func sortedReflectMap(rv reflect.Value) iter.Seq2[string, any] {
	return func(yield func(string, any) bool) {
		keys := rv.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			if !yield(k.String(), rv.MapIndex(k).Interface()) {
				return
			}
		}
	}
}
