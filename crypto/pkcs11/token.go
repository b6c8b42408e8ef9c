//go:build pkcs11 && cgo

package pkcs11

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/ThalesGroup/crypto11"
	p11 "github.com/miekg/pkcs11"
)

// Available reports whether this build can open PKCS#11 tokens: it was
// built with the "pkcs11" tag and cgo.
const Available = true

// This build reaches PKCS#11 through github.com/ThalesGroup/crypto11 (on
// github.com/miekg/pkcs11), which loads the module once per process, keeps
// one logged-in session open for the Context's life (so the login and the
// object handles stay valid), and lends each operation a session of its
// own from a pool, as PKCS#11 forbids sharing a session between threads.

// c11Key is a key found by crypto11, with the Context that owns its
// sessions.
type c11Key struct {
	ctx *crypto11.Context
	key crypto11.SignerDecrypter
}

func (k *c11Key) sign(digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	return k.key.Sign(nil, digest, opts)
}

func (k *c11Key) decrypt(ciphertext []byte, opts *rsa.OAEPOptions) ([]byte, error) {
	return k.key.Decrypt(nil, ciphertext, opts)
}

func (k *c11Key) close() error { return k.ctx.Close() }

// openKey logs in to the token u names and finds its RSA key.
func openKey(u *keyURI) (tokenKey, *rsa.PublicKey, error) {
	if _, err := os.Stat(u.modulePath); err != nil {
		return nil, nil, fail(ErrModule, fmt.Sprintf("module %q", u.modulePath), err)
	}
	pin := u.pin.Reveal()
	defer clear(pin)
	cfg := &crypto11.Config{
		Path:        u.modulePath,
		TokenLabel:  u.token,
		TokenSerial: u.serial,
		SlotNumber:  u.slot,
		Pin:         string(pin),
		// One more than the signatures made at once: crypto11 keeps one
		// session for the login.
		MaxSessions: u.maxSessions + 1,
	}
	ctx, err := crypto11.Configure(cfg)
	if err != nil {
		return nil, nil, configureError(u, err)
	}
	key, pub, err := findKey(ctx, u)
	if err != nil {
		ctx.Close()
		return nil, nil, err
	}
	return &c11Key{ctx: ctx, key: key}, pub, nil
}

// configureError says why crypto11.Configure failed. Its messages carry
// PKCS#11 return values and fixed text, never the PIN.
func configureError(u *keyURI, err error) error {
	var rv p11.Error
	if errors.As(err, &rv) {
		switch rv {
		case p11.CKR_PIN_INCORRECT, p11.CKR_PIN_INVALID, p11.CKR_PIN_LEN_RANGE, p11.CKR_PIN_EXPIRED,
			p11.CKR_PIN_LOCKED, p11.CKR_USER_PIN_NOT_INITIALIZED:
			return fail(ErrLogin, "the token refused the PIN for "+u.String(), rv)
		}
	}
	msg := err.Error()
	switch {
	case strings.Contains(msg, "could not find PKCS#11 token"):
		return fail(ErrTokenNotFound, fmt.Sprintf("module %q has no token with %s (pkcs11-tool --module … --list-token-slots lists them)",
			u.modulePath, tokenMatch(u)), nil)
	case strings.HasPrefix(msg, "failed to create module context"):
		return fail(ErrModule, fmt.Sprintf("module %q", u.modulePath), err)
	case strings.Contains(msg, "failed to log into"):
		return fail(ErrLogin, "logging in to "+tokenName(u), err)
	}
	return fail(ErrToken, "opening "+tokenName(u), err)
}

// findKey finds the one private key the URI names, with its public half.
func findKey(ctx *crypto11.Context, u *keyURI) (crypto11.SignerDecrypter, *rsa.PublicKey, error) {
	attrs := crypto11.NewAttributeSet()
	if u.object != "" {
		if err := attrs.Set(crypto11.CkaLabel, u.object); err != nil {
			return nil, nil, fail(ErrToken, "object label", err)
		}
	}
	if len(u.id) > 0 {
		if err := attrs.Set(crypto11.CkaId, u.id); err != nil {
			return nil, nil, fail(ErrToken, "object id", err)
		}
	}
	// Keys of every type are looked up, so that an EC key is reported as
	// such rather than as missing.
	keys, err := ctx.FindKeyPairsWithAttributes(attrs)
	if err != nil {
		return nil, nil, fail(ErrToken, "looking up the key in "+tokenName(u), err)
	}
	switch len(keys) {
	case 0:
		return nil, nil, fail(ErrKeyNotFound, fmt.Sprintf("%s holds no private key with %s and its public key (or certificate) beside it",
			tokenName(u), objectName(u)), nil)
	case 1:
	default:
		return nil, nil, fail(ErrURI, fmt.Sprintf("%d private keys in %s have %s: add id= (or object=) to name one", len(keys), tokenName(u), objectName(u)), nil)
	}
	pub, ok := keys[0].Public().(*rsa.PublicKey)
	if !ok {
		kind := fmt.Sprintf("%T", keys[0].Public())
		if _, ec := keys[0].Public().(*ecdsa.PublicKey); ec {
			kind = "an EC key"
		}
		return nil, nil, fail(ErrNotRSA, fmt.Sprintf("the key with %s in %s is %s, but WeChat Pay signs with RSA (SHA256-RSA2048)", objectName(u), tokenName(u), kind), nil)
	}
	sd, ok := keys[0].(crypto11.SignerDecrypter)
	if !ok {
		return nil, nil, fail(ErrNotRSA, fmt.Sprintf("the key with %s in %s cannot decrypt", objectName(u), tokenName(u)), nil)
	}
	return sd, pub, nil
}

func tokenName(u *keyURI) string {
	switch {
	case u.token != "":
		return fmt.Sprintf("token %q", u.token)
	case u.serial != "":
		return fmt.Sprintf("the token with serial %q", u.serial)
	}
	return fmt.Sprintf("the token in slot %d", *u.slot)
}

// tokenMatch says what the token was looked up by.
func tokenMatch(u *keyURI) string {
	switch {
	case u.token != "":
		return fmt.Sprintf("label %q", u.token)
	case u.serial != "":
		return fmt.Sprintf("serial %q", u.serial)
	}
	return fmt.Sprintf("slot %d", *u.slot)
}

func objectName(u *keyURI) string {
	switch {
	case u.object != "" && len(u.id) > 0:
		return fmt.Sprintf("label %q and id %x", u.object, u.id)
	case u.object != "":
		return fmt.Sprintf("label %q", u.object)
	}
	return fmt.Sprintf("id %x", u.id)
}

// sessionLost reports whether err says the token lost the login or the
// sessions, so that logging in again may help.
func sessionLost(err error) bool {
	var rv p11.Error
	if !errors.As(err, &rv) {
		return strings.Contains(err.Error(), "context is closed") // crypto11's, once its Context is closed
	}
	switch rv {
	case p11.CKR_USER_NOT_LOGGED_IN, p11.CKR_SESSION_HANDLE_INVALID, p11.CKR_SESSION_CLOSED,
		p11.CKR_OBJECT_HANDLE_INVALID, p11.CKR_KEY_HANDLE_INVALID,
		p11.CKR_DEVICE_REMOVED, p11.CKR_DEVICE_ERROR, p11.CKR_TOKEN_NOT_PRESENT, p11.CKR_TOKEN_NOT_RECOGNIZED,
		p11.CKR_CRYPTOKI_NOT_INITIALIZED:
		return true
	}
	return false
}
