package pkcs11

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"

	wxcrypto "github.com/wechatpay-go/wechatpay/crypto"
)

// Environment variables read when the URI does not say.
const (
	// EnvModule names the PKCS#11 module (the vendor's .so) used when the
	// URI has no module-path, e.g. /usr/lib/softhsm/libsofthsm2.so.
	EnvModule = "WECHATPAY_PKCS11_MODULE"
	// EnvPIN holds the user PIN used when the URI has neither pin-value
	// nor pin-source.
	EnvPIN = "WECHATPAY_PKCS11_PIN"
)

// DefaultMaxSessions is how many signatures a Signer makes at once when
// the URI has no x-max-sessions: each takes one PKCS#11 session of its own.
const DefaultMaxSessions = 16

// maxPINFile bounds what is read from a pin-source file.
const maxPINFile = 4 << 10

// keyURI is what a PKCS#11 URI (RFC 7512) says, resolved against the
// environment: which module, token and key, and the PIN.
type keyURI struct {
	// One of token, serial and slot names the token.
	token, serial string
	slot          *int
	// object (CKA_LABEL) and id (CKA_ID) name the key; one at least.
	object string
	id     []byte

	modulePath  string
	pin         wxcrypto.Secret
	maxSessions int
}

// parseURI reads a PKCS#11 URI such as
//
//	pkcs11:token=wechatpay;object=apiclient;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/pin
//
// and completes it from EnvModule and EnvPIN. Its errors never quote a
// value, as one may be the PIN.
func parseURI(s string) (*keyURI, error) {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, ":")
	if !ok || !strings.EqualFold(scheme, "pkcs11") {
		return nil, fail(ErrURI, `a PKCS#11 URI starts with "pkcs11:"`, nil)
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &keyURI{maxSessions: DefaultMaxSessions}
	seen := map[string]bool{}
	var pinValue, pinSource, typ string
	for _, part := range []struct {
		attrs string
		sep   string
		where string
	}{{path, ";", "path"}, {query, "&", "query"}} {
		for _, attr := range strings.Split(part.attrs, part.sep) {
			if attr == "" {
				continue
			}
			name, raw, ok := strings.Cut(attr, "=")
			if !ok || !isAttrName(name) {
				return nil, fail(ErrURI, fmt.Sprintf("a %s attribute is not name=value (not shown: it may be the PIN)", part.where), nil)
			}
			if seen[name] {
				return nil, fail(ErrURI, fmt.Sprintf("attribute %q appears twice", name), nil)
			}
			seen[name] = true
			value, err := url.PathUnescape(raw)
			if err != nil {
				return nil, fail(ErrURI, fmt.Sprintf("attribute %q is not validly percent-encoded", name), nil)
			}
			if err := u.set(part.where, name, value, &pinValue, &pinSource, &typ); err != nil {
				return nil, err
			}
		}
	}
	if n := countSet(u.token != "", u.serial != "", u.slot != nil); n != 1 {
		return nil, fail(ErrURI, "name the token by exactly one of token= (its label), serial= or slot-id=", nil)
	}
	if u.object == "" && len(u.id) == 0 {
		return nil, fail(ErrURI, "name the key by object= (its label), id= or both", nil)
	}
	if typ != "" && typ != "private" {
		return nil, fail(ErrURI, fmt.Sprintf("type=%s names no private key: the merchant key is type=private", typ), nil)
	}
	if pinValue != "" && pinSource != "" {
		return nil, fail(ErrURI, "give pin-value or pin-source, not both", nil)
	}
	if u.modulePath == "" {
		u.modulePath = os.Getenv(EnvModule)
	}
	if u.modulePath == "" {
		return nil, fail(ErrModule, "the URI has no module-path and "+EnvModule+" is not set: name the vendor's PKCS#11 library, "+
			"e.g. module-path=/usr/lib/softhsm/libsofthsm2.so", nil)
	}
	switch {
	case pinValue != "":
		u.pin = wxcrypto.NewSecret(pinValue)
	case pinSource != "":
		pin, err := readPINSource(pinSource)
		if err != nil {
			return nil, err
		}
		u.pin = pin
	default:
		u.pin = wxcrypto.NewSecret(os.Getenv(EnvPIN))
	}
	if u.pin.IsZero() {
		return nil, fail(ErrLogin, "no PIN: add pin-source=file:… (or pin-value=…) to the URI, or set "+EnvPIN, nil)
	}
	return u, nil
}

// set records one attribute.
func (u *keyURI) set(where, name, value string, pinValue, pinSource, typ *string) error {
	if where == "path" {
		switch name {
		case "token":
			u.token = value
		case "serial":
			u.serial = value
		case "slot-id":
			n, err := strconv.ParseUint(value, 10, strconv.IntSize-1)
			if err != nil {
				return fail(ErrURI, "slot-id is not a decimal slot number", nil)
			}
			slot := int(n)
			u.slot = &slot
		case "object":
			u.object = value
		case "id":
			u.id = []byte(value)
		case "type":
			*typ = value
		case "manufacturer", "model", "library-manufacturer", "library-description", "library-version",
			"slot-description", "slot-manufacturer":
			return fail(ErrURI, fmt.Sprintf("attribute %q is not supported: name the token by token=, serial= or slot-id= alone", name), nil)
		default:
			return fail(ErrURI, fmt.Sprintf("unknown path attribute %q: use token, serial or slot-id, and object, id or type", name), nil)
		}
		return nil
	}
	switch name {
	case "pin-value":
		*pinValue = value
	case "pin-source":
		*pinSource = value
	case "module-path":
		u.modulePath = value
	case "x-max-sessions":
		n, err := strconv.Atoi(value)
		if err != nil || n < 1 || n > 1024 {
			return fail(ErrURI, "x-max-sessions is not a number from 1 to 1024", nil)
		}
		u.maxSessions = n
	case "module-name":
		return fail(ErrURI, `attribute "module-name" is not supported: give the library's path with module-path= or `+EnvModule, nil)
	default:
		return fail(ErrURI, fmt.Sprintf("unknown query attribute %q: use module-path, pin-source, pin-value or x-max-sessions", name), nil)
	}
	return nil
}

// readPINSource reads the PIN from a pin-source: a "file:" URI or a path.
// RFC 7512 lets it name a program too ("|…"), which is never run here.
func readPINSource(src string) (wxcrypto.Secret, error) {
	path := src
	if rest, ok := strings.CutPrefix(src, "file:"); ok {
		path = rest
		if after, ok := strings.CutPrefix(rest, "//"); ok {
			// file:///run/pin, or file://localhost/run/pin
			host, p, _ := strings.Cut(after, "/")
			if host != "" && host != "localhost" {
				return wxcrypto.Secret{}, fail(ErrURI, "pin-source names a file on another host", nil)
			}
			path = "/" + p
		}
	} else if strings.HasPrefix(src, "|") {
		return wxcrypto.Secret{}, fail(ErrURI, "pin-source programs (|command) are not run: keep the PIN in a file (pin-source=file:…) or "+EnvPIN, nil)
	}
	f, err := os.Open(path)
	if err != nil {
		return wxcrypto.Secret{}, fail(ErrLogin, fmt.Sprintf("cannot read the pin-source file %q", path), err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPINFile+1))
	defer clear(data)
	if err != nil {
		return wxcrypto.Secret{}, fail(ErrLogin, fmt.Sprintf("cannot read the pin-source file %q", path), err)
	}
	if len(data) > maxPINFile {
		return wxcrypto.Secret{}, fail(ErrLogin, fmt.Sprintf("the pin-source file %q is larger than 4 KiB: not a PIN file", path), nil)
	}
	// A file written by echo ends with a line break, which is no part of
	// the PIN.
	pin := bytes.TrimSuffix(bytes.TrimSuffix(data, []byte("\n")), []byte("\r"))
	return wxcrypto.NewSecret(string(pin)), nil
}

// isAttrName reports whether s may be an attribute name, and so is safe to
// quote in an error: letters, digits and '-'.
func isAttrName(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

func countSet(set ...bool) int {
	n := 0
	for _, b := range set {
		if b {
			n++
		}
	}
	return n
}

// String describes the key the URI names, never its PIN.
func (u *keyURI) String() string {
	var b strings.Builder
	switch {
	case u.token != "":
		fmt.Fprintf(&b, "token %q", u.token)
	case u.serial != "":
		fmt.Fprintf(&b, "token serial %q", u.serial)
	case u.slot != nil:
		fmt.Fprintf(&b, "slot %d", *u.slot)
	}
	if u.object != "" {
		fmt.Fprintf(&b, ", object %q", u.object)
	}
	if len(u.id) > 0 {
		fmt.Fprintf(&b, ", id %x", u.id)
	}
	return b.String()
}
