package transformer

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// readFlat reads the documents WeChat Pay answers and notifies with, one
// root holding text-only fields, without encoding/xml:
//
//	<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee></xml>
//
// It takes only what it can read exactly as ToMap's encoding/xml reader
// does, a strict subset of XML: UTF-8 (the byte order mark already
// removed) of characters XML allows, without carriage returns; optional
// spaces, tabs and line feeds around the root and between fields; names
// of ASCII letters, digits, '_', '-' and '.' (not starting with a digit,
// '-' or '.'); tags without attributes or spaces; each field's value
// empty, one CDATA section, or text without '<', '&' or '>'; no field
// named twice. For anything else (a declaration, a DOCTYPE, a comment, an
// entity or character reference, a nested or repeated field, an empty-tag
// <a/>, an error) ok is false and ToMap reads the input with encoding/xml,
// which then decides. FuzzFlatReader checks the two agree.
func readFlat(data []byte) (m map[string]any, ok bool) {
	// One string holds every name and value: the map's strings share it.
	s := string(data)
	i := skipSpace(s, 0)
	root, i, ok := openTag(s, i)
	if !ok {
		return nil, false
	}
	m = make(map[string]any, max(bytes.Count(data, []byte("</"))-1, 0))
	for {
		i = skipSpace(s, i)
		if i+1 < len(s) && s[i] == '<' && s[i+1] == '/' {
			break // the root's end
		}
		var name string
		if name, i, ok = openTag(s, i); !ok {
			return nil, false
		}
		var value string
		if value, i, ok = fieldValue(s, i); !ok {
			return nil, false
		}
		if i, ok = closeTag(s, i, name); !ok {
			return nil, false
		}
		if _, dup := m[name]; dup {
			return nil, false
		}
		m[name] = value
	}
	if i, ok = closeTag(s, i, root); !ok {
		return nil, false
	}
	if skipSpace(s, i) != len(s) {
		return nil, false
	}
	return m, true
}

// skipSpace returns the index of the first byte at or after i that is not
// a space, tab or line feed.
func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n') {
		i++
	}
	return i
}

// openTag reads "<name>" at i.
func openTag(s string, i int) (name string, next int, ok bool) {
	if i >= len(s) || s[i] != '<' {
		return "", i, false
	}
	end := scanName(s, i+1)
	if end == i+1 || end >= len(s) || s[end] != '>' {
		return "", i, false
	}
	return s[i+1 : end], end + 1, true
}

// closeTag reads "</name>" at i.
func closeTag(s string, i int, name string) (next int, ok bool) {
	end := i + 2 + len(name)
	if end >= len(s) || s[i] != '<' || s[i+1] != '/' || s[i+2:end] != name || s[end] != '>' {
		return i, false
	}
	return end + 1, true
}

// scanName returns the end of the name starting at i: an ASCII letter or
// '_', then letters, digits, '_', '-' or '.'.
func scanName(s string, i int) int {
	if i >= len(s) || !(isLetter(s[i]) || s[i] == '_') {
		return i
	}
	j := i + 1
	for j < len(s) && (isLetter(s[j]) || '0' <= s[j] && s[j] <= '9' || s[j] == '_' || s[j] == '-' || s[j] == '.') {
		j++
	}
	return j
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

const cdataOpen, cdataClose = "<![CDATA[", "]]>"

// fieldValue reads a field's value at i, up to its end tag: nothing, one
// CDATA section, or text without markup or references.
func fieldValue(s string, i int) (value string, next int, ok bool) {
	if len(s)-i >= len(cdataOpen) && s[i:i+len(cdataOpen)] == cdataOpen {
		start := i + len(cdataOpen)
		n := strings.Index(s[start:], cdataClose)
		if n < 0 || !plainChars(s[start:start+n], true) {
			return "", i, false
		}
		return s[start : start+n], start + n + len(cdataClose), true
	}
	n := strings.IndexByte(s[i:], '<')
	if n < 0 || !plainChars(s[i:i+n], false) {
		return "", i, false
	}
	return s[i : i+n], i + n, true
}

// plainChars reports whether text reads the same through encoding/xml as
// it is: only characters XML allows, no carriage return (which XML turns
// into a line feed), and, outside CDATA, no '&' or '>'.
func plainChars(text string, cdata bool) bool {
	for i := 0; i < len(text); {
		c := text[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || !cdata && (c == '&' || c == '>') {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 || !isXMLChar(r) {
			return false
		}
		i += size
	}
	return true
}
