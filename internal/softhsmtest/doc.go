// Package softhsmtest makes SoftHSM2 tokens for the tests of the PKCS#11
// signer (crypto/pkcs11) and of its users: each test package gets its own
// token folder, and each token gets RSA keys generated inside it, never
// extractable, as a merchant's HSM holds its key.
//
// It needs Debian's softhsm2 package (softhsm2-util and libsofthsm2.so)
// and is built with the pkcs11 tag and cgo only. Without SoftHSM2 a test
// is skipped with a message saying what to install, except under CI=true,
// where it fails: CI installs softhsm2 (.ci/run), so its absence is a fault.
package softhsmtest
