package crypto

import (
	"bytes"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/wechatpay-go/wechatpay/internal/safepath"
)

// Source schemes understood by LoadPrivateKey, LoadPublicKey and
// LoadCertificate, mirroring the PHP Rsa::from and Node Rsa.from loaders.
// A scheme is followed by the bare base64 DER of the key (no PEM armour, no
// line breaks needed), or for SchemeFile by a file path.
const (
	SchemeFile         = "file://"
	SchemePrivatePKCS1 = "private.pkcs1://"
	SchemePrivatePKCS8 = "private.pkcs8://"
	SchemePublicPKCS1  = "public.pkcs1://"
	SchemePublicSPKI   = "public.spki://"
)

// maxSourceFile bounds how much of a key or certificate file is read: real
// ones are a few KiB, so anything bigger is the wrong file.
const maxSourceFile = 1 << 20

// source is key or certificate input resolved to bytes.
type source struct {
	scheme string // a DER scheme, or "" for PEM text / file contents
	data   []byte
	origin string // description safe for messages, e.g. a file path; "" for inline text
}

// readSource resolves src (PEM text, file://path, scheme://base64 or a plain
// path) to bytes. Failures wrap sentinel.
func readSource(src string, sentinel error) (source, error) {
	s := strings.TrimSpace(src)
	switch {
	case s == "":
		return source{}, wrap(sentinel, "empty source: pass PEM text, file://path, a file path, or scheme://base64")
	case strings.Contains(s, "-----BEGIN"):
		// PEM text, possibly after other text (OpenSSL's "Bag Attributes").
		return source{data: []byte(s)}, nil
	case strings.HasPrefix(s, SchemeFile):
		return readSourceFile(s[len(SchemeFile):], sentinel)
	}
	if scheme, ok := keyURIScheme(s); ok {
		// Not a file path: taken as one, the URI (and a PIN in it) would
		// be quoted in the error.
		return source{}, wrapf(sentinel, "a %q URI names a key held in a token or key store, which never leaves it: "+
			"open it with LoadSigner, which wechatpay.Config.PrivateKey uses", scheme+":")
	}
	if i := strings.Index(s, "://"); i > 0 && isSchemeName(s[:i]) {
		scheme := s[:i+3]
		switch scheme {
		case SchemePrivatePKCS1, SchemePrivatePKCS8, SchemePublicPKCS1, SchemePublicSPKI:
		default:
			return source{}, wrapf(sentinel, "unknown source scheme %q: use %s, %s, %s, %s or %s",
				scheme, SchemeFile, SchemePrivatePKCS1, SchemePrivatePKCS8, SchemePublicPKCS1, SchemePublicSPKI)
		}
		der, err := decodeBase64Loose(s[i+3:])
		if err != nil {
			return source{}, wrap(sentinel, fmt.Sprintf("the %s value is not valid base64 DER (%v)", scheme, err), err)
		}
		if len(der) == 0 {
			return source{}, wrapf(sentinel, "the %s value is empty", scheme)
		}
		return source{scheme: scheme, data: der, origin: scheme + " value"}, nil
	}
	return readSourceFile(s, sentinel)
}

// isSchemeName reports whether s looks like one of our scheme names (short,
// lower-case letters, digits and dots). Base64 text never contains "://", so
// anything before it of this shape is safe to echo in an error message.
func isSchemeName(s string) bool {
	if len(s) > 24 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '+' || c == '-') {
			return false
		}
	}
	return true
}

// readSourceFile reads a key or certificate file of reasonable size.
func readSourceFile(path string, sentinel error) (source, error) {
	shown := describePath(path)
	if path == "" {
		return source{}, wrap(sentinel, "empty file path after file://")
	}
	f, err := os.Open(path)
	if err != nil {
		return source{}, fileError(sentinel, shown, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSourceFile+1))
	if err != nil {
		return source{}, fileError(sentinel, shown, err)
	}
	if len(data) > maxSourceFile {
		return source{}, wrapf(sentinel, "%s is larger than 1 MiB: not a key or certificate file", shown)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return source{}, wrapf(sentinel, "%s is empty", shown)
	}
	return source{data: data, origin: shown}, nil
}

// fileError reports a failed read; the underlying error stays matchable
// (errors.Is(err, fs.ErrNotExist)) but its text, which repeats the path, is
// only used when the path is safe to show.
func fileError(sentinel error, shown string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return wrap(sentinel, fmt.Sprintf("cannot read %s: %v (expected PEM text, file://path, a file path or scheme://base64)", shown, err), err)
}

// describePath names path for messages: quoted when it certainly is one,
// else described without any of its characters, as it may be a secret
// pasted into the wrong field (an APIv3 key, say).
func describePath(path string) string {
	return safepath.Describe(path, path)
}

// decodeBase64Loose decodes standard base64, ignoring ASCII whitespace and
// accepting missing padding: values copied out of PEM files keep their line
// breaks, and some tools strip the '='.
func decodeBase64Loose(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\r', '\n':
			return -1
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// isPEM reports whether data holds PEM armour rather than raw DER.
func isPEM(data []byte) bool {
	return bytes.Contains(data, []byte("-----BEGIN"))
}

// pemBlocks decodes every PEM block in data. It fails when data has PEM
// armour but no complete block (a truncated copy, a missing END line or
// corrupted base64 inside).
func pemBlocks(data []byte, sentinel error) ([]*pem.Block, error) {
	var blocks []*pem.Block
	for rest := data; ; {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		blocks = append(blocks, b)
	}
	if len(blocks) == 0 {
		return nil, wrap(sentinel, "truncated or malformed PEM: found -----BEGIN but no complete block "+
			"(check the -----END line and that the base64 between them was copied whole)")
	}
	return blocks, nil
}

// scanPEM hands the PEM blocks of data to pick in order until pick claims
// one, and returns pick's result with a nil seen. When no block is claimed it
// returns the types of the blocks found (never nil, as data holds at least
// one block) so the caller can say what the input was instead.
func scanPEM[T any](data []byte, sentinel error, pick func(*pem.Block) (T, bool, error)) (v T, seen []string, err error) {
	blocks, err := pemBlocks(data, sentinel)
	if err != nil {
		return v, nil, err
	}
	for _, b := range blocks {
		if v, ok, err := pick(b); ok {
			return v, nil, err
		}
		seen = append(seen, b.Type)
	}
	return v, seen, nil
}

// withOrigin prefixes err with where the input came from, when that is known.
func withOrigin(origin string, err error) error {
	if err == nil || origin == "" {
		return err
	}
	return fmt.Errorf("%s: %w", origin, err)
}
