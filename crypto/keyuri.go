package crypto

import (
	stdcrypto "crypto"
	"errors"
	"fmt"
	"strings"
	"sync"
)

// ErrNoKeyLoader is matched (with errors.Is) by a *NoKeyLoaderError: a key
// URI, such as "pkcs11:…", whose scheme no imported package handles.
var ErrNoKeyLoader = errors.New("crypto: no loader for this key URI scheme")

// A KeyLoader opens the private key that a key URI names, such as a key
// held in an HSM, as a crypto.Signer. It is handed the whole URI, which may
// carry a PIN: it must never put the URI, or any secret in it, into an
// error.
type KeyLoader func(uri string) (stdcrypto.Signer, error)

var (
	loadersMu sync.RWMutex
	loaders   = map[string]KeyLoader{}
)

// knownKeySchemes are the key URI schemes a package of this module
// handles, so that a program which did not import it is told which one to
// import, and with what build tag.
var knownKeySchemes = map[string]NoKeyLoaderError{
	"pkcs11": {Scheme: "pkcs11", Package: "github.com/wechatpay-go/wechatpay/crypto/pkcs11", BuildTag: "pkcs11"},
}

// RegisterKeyLoader makes LoadSigner (and so wechatpay.Config.PrivateKey)
// hand the key URIs of scheme ("pkcs11", without the colon) to load. A
// package registers its scheme in its init function, so importing it is
// enough, as with database/sql drivers: the crypto/pkcs11 package of this
// module registers "pkcs11".
//
// It panics when load is nil, the scheme is not a URI scheme name, or the
// scheme is registered twice.
func RegisterKeyLoader(scheme string, load KeyLoader) {
	if load == nil {
		panic("crypto: RegisterKeyLoader with a nil loader")
	}
	if !isURIScheme(scheme) || scheme != strings.ToLower(scheme) {
		panic(fmt.Sprintf("crypto: RegisterKeyLoader: %q is not a lower-case URI scheme name", scheme))
	}
	loadersMu.Lock()
	defer loadersMu.Unlock()
	if _, dup := loaders[scheme]; dup {
		panic("crypto: RegisterKeyLoader called twice for scheme " + scheme)
	}
	loaders[scheme] = load
}

// LoadSigner loads the merchant API private key as a crypto.Signer. A key
// URI whose scheme a package registered with RegisterKeyLoader (such as
// "pkcs11:token=…;object=…" once crypto/pkcs11 is imported) is opened by
// that package; every other src is loaded by LoadPrivateKey.
//
// A "pkcs11:" URI in a program that does not import crypto/pkcs11 fails
// with a *NoKeyLoaderError naming the package and build tag. Errors never
// quote the URI, which may carry a PIN. A signer opened from a URI holds
// resources (a token session): close it when done, if it has a Close
// method (wechatpay.Client.Close does that for the signers it opened).
func LoadSigner(src string) (stdcrypto.Signer, error) {
	scheme, ok := keyURIScheme(src)
	if !ok {
		key, err := LoadPrivateKey(src)
		if err != nil {
			return nil, err
		}
		return key, nil
	}
	loadersMu.RLock()
	load := loaders[scheme]
	loadersMu.RUnlock()
	if load == nil {
		e := knownKeySchemes[scheme]
		return nil, &e
	}
	signer, err := load(strings.TrimSpace(src))
	if err != nil {
		return nil, wrap(ErrInvalidKey, err.Error(), err)
	}
	if signer == nil {
		return nil, wrapf(ErrInvalidKey, "the %s: key loader returned no key", scheme)
	}
	return signer, nil
}

// keyURIScheme returns the scheme of src when src is a key URI: a scheme
// that is registered or known, followed by a colon.
func keyURIScheme(src string) (string, bool) {
	name, _, found := strings.Cut(strings.TrimSpace(src), ":")
	if !found || !isURIScheme(name) {
		return "", false
	}
	name = strings.ToLower(name) // schemes are case-insensitive (RFC 3986)
	if _, ok := knownKeySchemes[name]; ok {
		return name, true
	}
	loadersMu.RLock()
	defer loadersMu.RUnlock()
	_, ok := loaders[name]
	return name, ok
}

// isURIScheme reports whether s is a URI scheme name (RFC 3986: a letter,
// then letters, digits, '+', '-' or '.'). One letter is refused: "C:" starts
// a Windows path.
func isURIScheme(s string) bool {
	if len(s) < 2 || len(s) > 32 {
		return false
	}
	for i, c := range s {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || !(c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return true
}

// NoKeyLoaderError reports a key URI whose scheme no package of this
// program handles: the package that would is not imported, or the program
// was not built with its build tag. It matches ErrNoKeyLoader and
// ErrInvalidKey.
type NoKeyLoaderError struct {
	// Scheme is the URI scheme, e.g. "pkcs11".
	Scheme string
	// Package is the import path of the package that handles it, when
	// known.
	Package string
	// BuildTag is the build tag that package needs, when any.
	BuildTag string
}

func (e *NoKeyLoaderError) Error() string {
	msg := fmt.Sprintf("%v: %q URIs need a key loader", ErrNoKeyLoader, e.Scheme+":")
	if e.Package == "" {
		return msg + ": import the package that registers one (crypto.RegisterKeyLoader)"
	}
	msg += fmt.Sprintf(": import _ %q", e.Package)
	if e.BuildTag != "" {
		msg += fmt.Sprintf(" and build with -tags %s (it needs cgo)", e.BuildTag)
	}
	return msg
}

// Unwrap makes the error match ErrNoKeyLoader and ErrInvalidKey.
func (e *NoKeyLoaderError) Unwrap() []error { return []error{ErrNoKeyLoader, ErrInvalidKey} }
