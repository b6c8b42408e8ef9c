package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// commandLine turns an endpoint's sample (the options of the PHP sample)
// into a wxpay command line, and notes on what it cannot carry; "" for an
// upload, which wxpay cannot make.
func commandLine(en *catalog.Entry) (string, []string) {
	args := []string{"wxpay", strings.ToLower(en.Method), shellQuote(en.Chain)}
	var notes []string
	smp, err := parseSample(en.Sample)
	if err != nil || smp == nil || smp.kind != '{' {
		return strings.Join(args, " "), nil
	}
	add := func(a ...string) {
		for _, x := range a {
			args = append(args, shellQuote(x))
		}
	}
	placeholder := false
	for i, key := range smp.keys {
		v := smp.items[i]
		switch {
		case slices.Contains(en.URIVars, key):
			add("--var", key+"="+v.text(&placeholder))
		case key == "query":
			for j, k := range v.keys {
				if !(en.Protocol == "v2" && k == "sign") { // the SDK signs
					add("-q", k+"="+v.items[j].text(&placeholder))
				}
			}
		case key == "xml":
			for j, k := range v.keys {
				if k != "sign" {
					add("-x", k+"="+v.items[j].text(&placeholder))
				}
			}
		case key == "json":
			add("-d", v.compact(&placeholder))
		case key == "headers":
			for j, k := range v.keys {
				if v.items[j].php() {
					continue // the Content-Type of an upload's stream
				}
				add("-H", k+": "+v.items[j].text(&placeholder))
			}
		case key == "security":
			args = append(args, "--security")
		case key == "nonceless":
			args = append(args, "--nonceless")
		case key == "base_uri":
			if u := v.text(&placeholder); u != catalog.DefaultBaseURL {
				add("--base-url", u)
			}
		case key == "sink":
			add("-o", v.text(&placeholder))
		case key == "body":
			return "", []string{"an upload: wxpay does not build its multipart body; use Client.Upload with a wechatpay.Media (docs/files-and-certificates.md)"}
		}
	}
	if placeholder {
		notes = append(notes, "replace the <…> values, computed in the documentation's PHP sample")
	}
	if len(en.EncryptedFields()) > 0 {
		notes = append(notes, "wxpay sends -d as written: encrypt the sensitive fields first (Client.NewSensitiveEncrypter in Go), and name the key in Wechatpay-Serial")
	}
	return strings.Join(args, " "), notes
}

// sampleValue is a JSON value of a sample with its object keys in order,
// as the documentation writes them.
type sampleValue struct {
	kind  byte // '{' object, '[' array, 's' string, 'l' any other literal
	keys  []string
	items []*sampleValue
	lit   string // a string, or the JSON of another literal
}

func parseSample(raw json.RawMessage) (*sampleValue, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return decodeSample(d)
}

func decodeSample(d *json.Decoder) (*sampleValue, error) {
	t, err := d.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		v := &sampleValue{kind: byte(t)}
		for d.More() {
			if v.kind == '{' {
				k, err := d.Token()
				if err != nil {
					return nil, err
				}
				v.keys = append(v.keys, k.(string))
			}
			item, err := decodeSample(d)
			if err != nil {
				return nil, err
			}
			v.items = append(v.items, item)
		}
		_, err := d.Token() // the closing delimiter
		return v, err
	case string:
		return &sampleValue{kind: 's', lit: t}, nil
	case nil:
		return &sampleValue{kind: 'l', lit: "null"}, nil
	default:
		return &sampleValue{kind: 'l', lit: fmt.Sprint(t)}, nil
	}
}

// get is the value of key in an object, or nil.
func (v *sampleValue) get(key string) *sampleValue {
	if i := slices.Index(v.keys, key); i >= 0 {
		return v.items[i]
	}
	return nil
}

// php tells whether v is a PHP expression of the sample: {"$php": "…"}.
func (v *sampleValue) php() bool {
	return v.kind == '{' && len(v.keys) == 1 && v.keys[0] == "$php"
}

// jsonEncoded is the argument of a {"$call": "json_encode", "args": [X]}
// value, or nil.
func (v *sampleValue) jsonEncoded() *sampleValue {
	if v.kind != '{' || v.get("$call") == nil || v.get("$call").lit != "json_encode" {
		return nil
	}
	if args := v.get("args"); args != nil && len(args.items) == 1 {
		return args.items[0]
	}
	return nil
}

// text is v as one flag value: a string as it is, json_encode(X) as X's
// JSON, a PHP expression as <expression> (and *placeholder set), any other
// value as its JSON.
func (v *sampleValue) text(placeholder *bool) string {
	switch {
	case v.kind == 's', v.kind == 'l':
		return v.lit
	case v.php():
		*placeholder = true
		return "<" + v.items[0].lit + ">"
	case v.jsonEncoded() != nil:
		return v.jsonEncoded().compact(placeholder)
	}
	return v.compact(placeholder)
}

// compact is v as compact JSON, keys in order, json_encode(X) as the
// string of X's JSON, a PHP expression as the string "<expression>".
func (v *sampleValue) compact(placeholder *bool) string {
	var b bytes.Buffer
	v.writeJSON(&b, placeholder)
	return b.String()
}

func (v *sampleValue) writeJSON(w *bytes.Buffer, placeholder *bool) {
	str := func(s string) {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.Encode(s)
		w.Truncate(w.Len() - 1) // Encode's newline
	}
	switch {
	case v.kind == 's':
		str(v.lit)
	case v.kind == 'l':
		io.WriteString(w, v.lit)
	case v.php(), v.jsonEncoded() != nil:
		str(v.text(placeholder))
	default:
		w.WriteByte(v.kind)
		for i, item := range v.items {
			if i > 0 {
				w.WriteByte(',')
			}
			if v.kind == '{' {
				str(v.keys[i])
				w.WriteByte(':')
			}
			item.writeJSON(w, placeholder)
		}
		if v.kind == '{' {
			w.WriteByte('}')
		} else {
			w.WriteByte(']')
		}
	}
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
