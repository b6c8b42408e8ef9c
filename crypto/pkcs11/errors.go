package pkcs11

import "errors"

// Sentinel errors: every error of this package matches one of them with
// errors.Is, and keeps its cause (a PKCS#11 return value such as
// CKR_PIN_INCORRECT) for errors.As. No error holds the URI or a PIN.
var (
	// ErrUnavailable is returned by a build without PKCS#11 support: one
	// without the "pkcs11" build tag, or without cgo.
	ErrUnavailable = errors.New("pkcs11: not available: built without the pkcs11 tag (go build -tags pkcs11, with cgo enabled)")

	// ErrURI reports a PKCS#11 URI that cannot be used: not RFC 7512, an
	// attribute this package does not support, no token or no object
	// named, or one that names several keys.
	ErrURI = errors.New("pkcs11: invalid PKCS#11 URI")

	// ErrModule reports a PKCS#11 module (the vendor's .so) that cannot be
	// found, loaded or initialised.
	ErrModule = errors.New("pkcs11: cannot load the PKCS#11 module")

	// ErrTokenNotFound reports that no token of the module has the label,
	// serial number or slot the URI names.
	ErrTokenNotFound = errors.New("pkcs11: token not found")

	// ErrLogin reports a failed login: a wrong, locked, expired or missing
	// PIN.
	ErrLogin = errors.New("pkcs11: login failed")

	// ErrKeyNotFound reports that the token holds no private key with the
	// URI's object label and id, with its public key beside it.
	ErrKeyNotFound = errors.New("pkcs11: key not found")

	// ErrNotRSA reports a key that is not RSA: WeChat Pay signs with
	// SHA256-RSA2048.
	ErrNotRSA = errors.New("pkcs11: not an RSA key")

	// ErrToken reports any other failure of the module or token, such as a
	// signature it refused to make or one that does not verify.
	ErrToken = errors.New("pkcs11: token operation failed")

	// ErrClosed is returned by the methods of a closed Signer.
	ErrClosed = errors.New("pkcs11: the signer is closed")
)

// failure is an error of this package: a sentinel, what happened, and the
// cause when there is one.
type failure struct {
	kind   error
	detail string
	cause  error
}

// fail makes a failure. detail and cause must never hold the URI or a
// PIN; PKCS#11 return values (CKR_…) are safe.
func fail(kind error, detail string, cause error) error {
	return &failure{kind: kind, detail: detail, cause: cause}
}

func (e *failure) Error() string {
	msg := e.kind.Error() + ": " + e.detail
	if e.cause != nil {
		msg += ": " + e.cause.Error()
	}
	return msg
}

func (e *failure) Unwrap() []error {
	if e.cause == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.cause}
}
