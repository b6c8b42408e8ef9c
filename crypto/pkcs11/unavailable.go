//go:build !pkcs11 || !cgo

package pkcs11

import "crypto/rsa"

// This build has no PKCS#11 binding: Open parses the URI, then fails with
// ErrUnavailable.

// Available reports whether this build can open PKCS#11 tokens: it was
// built with the "pkcs11" tag and cgo.
const Available = false

func openKey(*keyURI) (tokenKey, *rsa.PublicKey, error) { return nil, nil, ErrUnavailable }

func sessionLost(error) bool { return false }
