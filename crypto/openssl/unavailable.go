//go:build !openssl || !cgo

package openssl

// This build has no OpenSSL binding: the constructors return
// ErrUnavailable before any of the functions below is reached.

const available = false

// pkey stands for OpenSSL's key, which this build never holds.
type pkey struct{}

func importPrivateKey([]byte) (*pkey, error) { return nil, ErrUnavailable }

func importPublicKey([]byte) (*pkey, error) { return nil, ErrUnavailable }

func freeKey(*pkey) {}

func signWith(*pkey, []byte, bool, int) ([]byte, error) { return nil, ErrUnavailable }

func verifyWith(*pkey, []byte, []byte, bool) error { return ErrUnavailable }

// Version returns the version of the OpenSSL library in use, such as
// "OpenSSL 3.0.19 27 Jan 2026", or "" in a build without the binding.
func Version() string { return "" }
