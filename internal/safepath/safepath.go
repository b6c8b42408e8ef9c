// Package safepath describes, for error messages, a configuration value
// that was taken as a file path. Such a value may be a secret pasted into
// the wrong field (an APIv3 key given as the private key, base64 of a key
// without its scheme), so it is quoted only when it certainly is a path.
package safepath

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// fileExtensions are those of the files a key, certificate or
// configuration path names.
var fileExtensions = map[string]bool{
	".pem": true, ".key": true, ".crt": true, ".cer": true, ".der": true,
	".p12": true, ".pfx": true, ".pub": true, ".txt": true, ".json": true,
}

// maxPath bounds a value that may be shown.
const maxPath = 1024

// Describe names value, taken as a file path and resolved to resolved (the
// path opened: value itself, or value joined to a folder), for an error
// message. It is `file "<resolved>"` when value certainly is a path: a file
// or folder exists at resolved, or value ends in a key or certificate file
// extension (.pem, .key, .p12…); and value holds no line break or PEM
// armour. Otherwise it describes value without quoting any of it.
func Describe(value, resolved string) string {
	if Shown(value, resolved) {
		return fmt.Sprintf("file %q", resolved)
	}
	return "the value given (" + Hint(value) + ")"
}

// Shown reports whether Describe quotes the path.
func Shown(value, resolved string) bool {
	if value == "" || len(value) > maxPath || strings.ContainsAny(value, "\r\n") || strings.Contains(value, "-----") {
		return false
	}
	if fileExtensions[strings.ToLower(filepath.Ext(value))] {
		return true
	}
	_, err := os.Lstat(resolved)
	return err == nil
}

// Hint says what a value that is not shown is: its length and what it
// looks like, never any of its characters.
func Hint(value string) string {
	n := utf8.RuneCountInString(value)
	what := ""
	switch v := strings.TrimSpace(value); {
	case strings.Contains(v, "-----"):
		what = "; it looks like PEM text whose -----BEGIN line is missing or damaged"
	case len(v) == 32 && isAlnum(v):
		what = "; a 32-character value looks like an APIv2 or APIv3 key (APIv2密钥, APIv3密钥), not a file path"
	case len(v) >= 64 && isBase64(v):
		what = "; it looks like base64 of a key or certificate, without its PEM armour or scheme"
	case strings.ContainsAny(v, "\r\n"):
		what = "; it spans several lines, so it is no file path"
	}
	return fmt.Sprintf("%d characters, not shown as it may be a secret%s", n, what)
}

func isAlnum(s string) bool {
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// isBase64 reports whether s is standard or URL-safe base64 text, line
// breaks and padding allowed.
func isBase64(s string) bool {
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' ||
			c == '+' || c == '/' || c == '-' || c == '_' || c == '=' || c == '\r' || c == '\n') {
			return false
		}
	}
	return true
}

// IsBase64 reports whether s, trimmed, is long base64 text (64 characters or
// more, line breaks allowed): key or certificate material rather than a
// path.
func IsBase64(s string) bool {
	s = strings.TrimSpace(s)
	return len(s) >= 64 && isBase64(s)
}
