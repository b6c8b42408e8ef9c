package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// value is a JSON value that keeps the order of object keys, as the PHP
// samples write them: the pages show them in that order.
type value struct {
	kind  byte // 'o' object, 'a' array, 's' string, 'n' number, 'b' bool, 'z' null
	keys  []string
	items []*value // object values, in keys' order, or array items
	str   string   // a string, or a number's literal
	b     bool
}

func parseValue(raw []byte) (*value, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	v, err := decodeValue(d)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, fmt.Errorf("trailing data after the sample")
	}
	return v, nil
}

func decodeValue(d *json.Decoder) (*value, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		v := &value{kind: 'a'}
		if t == '{' {
			v.kind = 'o'
		}
		for d.More() {
			if v.kind == 'o' {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k.(string))
			}
			item, err := decodeValue(d)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		if _, err := d.Token(); err != nil { // the closing delimiter
			return nil, err
		}
		return v, nil
	case string:
		return &value{kind: 's', str: t}, nil
	case json.Number:
		return &value{kind: 'n', str: t.String()}, nil
	case bool:
		return &value{kind: 'b', b: t}, nil
	case nil:
		return &value{kind: 'z'}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", t)
}

// get returns the value of key in an object, or nil.
func (v *value) get(key string) *value {
	if v == nil || v.kind != 'o' {
		return nil
	}
	for i, k := range v.keys {
		if k == key {
			return v.items[i]
		}
	}
	return nil
}

// php returns the PHP source of a "$php" stand-in, or "".
func (v *value) php() string {
	if s := v.get("$php"); s != nil && len(v.keys) == 1 {
		return s.str
	}
	return ""
}

// jsonEncodeArg returns the argument of a {"$call":"json_encode"} value, or
// nil.
func (v *value) jsonEncodeArg() *value {
	if c := v.get("$call"); c != nil && c.str == "json_encode" {
		if a := v.get("args"); a != nil && len(a.items) == 1 {
			return a.items[0]
		}
	}
	return nil
}

// plainJSON writes v as compact JSON, in key order.
func (v *value) plainJSON(b *bytes.Buffer) {
	switch v.kind {
	case 'o':
		b.WriteByte('{')
		for i, k := range v.keys {
			if i > 0 {
				b.WriteByte(',')
			}
			kb, _ := json.Marshal(k)
			b.Write(kb)
			b.WriteByte(':')
			v.items[i].plainJSON(b)
		}
		b.WriteByte('}')
	case 'a':
		b.WriteByte('[')
		for i, it := range v.items {
			if i > 0 {
				b.WriteByte(',')
			}
			it.plainJSON(b)
		}
		b.WriteByte(']')
	case 's':
		enc := json.NewEncoder(b)
		enc.SetEscapeHTML(false)
		enc.Encode(v.str)
		b.Truncate(b.Len() - 1) // Encode's newline
	case 'n':
		b.WriteString(v.str)
	case 'b':
		fmt.Fprint(b, v.b)
	default:
		b.WriteString("null")
	}
}

// set replaces the value at a dotted path of objects ("xml.customs"); it
// tells whether the path was there.
func (v *value) set(path string, to *value) bool {
	key, rest, more := strings.Cut(path, ".")
	if v == nil || v.kind != 'o' {
		return false
	}
	for i, k := range v.keys {
		if k != key {
			continue
		}
		if more {
			return v.items[i].set(rest, to)
		}
		v.items[i] = to
		return true
	}
	return false
}
