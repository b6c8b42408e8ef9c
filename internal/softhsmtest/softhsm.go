//go:build pkcs11 && cgo

package softhsmtest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"fmt"
	"math/big"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	p11 "github.com/miekg/pkcs11"
)

// modulePaths are where Debian and others install libsofthsm2.so.
var modulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
}

// setup is the process's SoftHSM2: its module, and a token folder of its
// own named by SOFTHSM2_CONF.
var setup struct {
	once    sync.Once
	module  string
	util    string
	dir     string
	missing string // why SoftHSM2 cannot be used, when it cannot
}

// Main runs the tests of a package with SOFTHSM2_CONF pointing at a
// configuration and token folder of its own, removed afterwards. Call it
// from TestMain: os.Exit(softhsmtest.Main(m)). SoftHSM2 reads the
// configuration once per process, when the module is first initialised.
func Main(m *testing.M) int {
	setup.once.Do(prepare)
	code := m.Run()
	if setup.dir != "" {
		os.RemoveAll(setup.dir)
	}
	return code
}

func prepare() {
	for _, p := range modulePaths {
		if _, err := os.Stat(p); err == nil {
			setup.module = p
			break
		}
	}
	util, err := exec.LookPath("softhsm2-util")
	switch {
	case setup.module == "":
		setup.missing = "libsofthsm2.so is not installed"
		return
	case err != nil:
		setup.missing = "softhsm2-util is not installed"
		return
	}
	setup.util = util
	dir, err := os.MkdirTemp("", "softhsmtest")
	if err != nil {
		setup.missing = err.Error()
		return
	}
	setup.dir = dir
	tokens := filepath.Join(dir, "tokens")
	conf := filepath.Join(dir, "softhsm2.conf")
	err = os.Mkdir(tokens, 0o700)
	if err == nil {
		err = os.WriteFile(conf, fmt.Appendf(nil, "directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n", tokens), 0o600)
	}
	if err != nil {
		setup.missing = err.Error()
		return
	}
	os.Setenv("SOFTHSM2_CONF", conf)
}

// Require skips the test when SoftHSM2 is not installed, or fails it under
// CI=true, and returns the module's path.
func Require(t testing.TB) string {
	t.Helper()
	setup.once.Do(prepare)
	if setup.missing == "" && setup.dir == "" {
		t.Fatal("softhsmtest: call softhsmtest.Main from the package's TestMain")
	}
	if setup.missing != "" {
		msg := "SoftHSM2 is needed for the PKCS#11 tests: " + setup.missing + " (apt-get install softhsm2)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return setup.module
}

// Token is a SoftHSM2 token initialised for one test.
type Token struct {
	Label  string // the token label (CKA_LABEL of the token)
	PIN    string // the user PIN
	Module string // the path of libsofthsm2.so
}

var tokenSeq struct {
	sync.Mutex
	n int
}

// NewToken initialises a fresh token with softhsm2-util, with a random user
// PIN.
func NewToken(t testing.TB) *Token {
	t.Helper()
	module := Require(t)
	if ModuleInUse(t) {
		// SoftHSM2 looks for tokens when it is initialised, not after.
		t.Fatal("softhsmtest: SoftHSM2 is held by a Signer or client still open: close them before making a token")
	}
	tokenSeq.Lock()
	tokenSeq.n++
	label := fmt.Sprintf("wxpay-test-%d", tokenSeq.n)
	tokenSeq.Unlock()
	tok := &Token{Label: label, PIN: "Pin-" + randomPIN(), Module: module}
	out, err := exec.Command(setup.util, "--init-token", "--free", "--label", label, "--pin", tok.PIN, "--so-pin", "So-"+randomPIN()).CombinedOutput()
	if err != nil {
		t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
	}
	return tok
}

func randomPIN() string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e8))
	return fmt.Sprintf("%08d", n)
}

// URI returns the PKCS#11 URI of the object labelled object, with the
// module path and PIN in its query, followed by extra attributes (e.g.
// "x-max-sessions=4").
func (tok *Token) URI(object string, extra ...string) string {
	u := "pkcs11:token=" + escape(tok.Label) + ";object=" + escape(object) + ";type=private" +
		"?module-path=" + escape(tok.Module) + "&pin-value=" + escape(tok.PIN)
	for _, e := range extra {
		u += "&" + e
	}
	return u
}

// escape percent-encodes an attribute value; '/' may stay as it is.
func escape(s string) string { return strings.ReplaceAll(url.PathEscape(s), "%2F", "/") }

// ModuleInUse reports whether the process holds SoftHSM2 initialised: a
// Signer (or a client's) is open. It tells whether Close released the
// module.
func ModuleInUse(t testing.TB) bool {
	t.Helper()
	ctx := p11.New(Require(t))
	if ctx == nil {
		t.Fatal("cannot load SoftHSM2")
	}
	defer ctx.Destroy()
	switch err := ctx.Initialize(); {
	case err == nil:
		ctx.Finalize()
		return false
	case err == p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED):
		return true
	default:
		t.Fatalf("C_Initialize: %v", err)
		return false
	}
}

// session opens a logged-in read-write session on the token and passes it
// to f. The module is initialised for the call unless the process already
// holds it (a Signer is open), in which case it is left initialised.
func (tok *Token) session(t testing.TB, f func(ctx *p11.Ctx, sh p11.SessionHandle)) {
	t.Helper()
	ctx := p11.New(tok.Module)
	if ctx == nil {
		t.Fatalf("cannot load %s", tok.Module)
	}
	defer ctx.Destroy()
	switch err := ctx.Initialize(); {
	case err == nil:
		defer ctx.Finalize()
	case err == p11.Error(p11.CKR_CRYPTOKI_ALREADY_INITIALIZED):
	default:
		t.Fatalf("C_Initialize: %v", err)
	}
	slot := tok.slot(t, ctx)
	sh, err := ctx.OpenSession(slot, p11.CKF_SERIAL_SESSION|p11.CKF_RW_SESSION)
	if err != nil {
		t.Fatalf("C_OpenSession: %v", err)
	}
	defer ctx.CloseSession(sh)
	if err := ctx.Login(sh, p11.CKU_USER, tok.PIN); err != nil && err != p11.Error(p11.CKR_USER_ALREADY_LOGGED_IN) {
		t.Fatalf("C_Login: %v", err)
	}
	f(ctx, sh)
}

func (tok *Token) slot(t testing.TB, ctx *p11.Ctx) uint {
	t.Helper()
	slots, err := ctx.GetSlotList(true)
	if err != nil {
		t.Fatalf("C_GetSlotList: %v", err)
	}
	for _, s := range slots {
		if info, err := ctx.GetTokenInfo(s); err == nil && info.Label == tok.Label {
			return s
		}
	}
	t.Fatalf("token %q not found among %d slots", tok.Label, len(slots))
	return 0
}

// Logout logs the process out of the token, as a token that restarted or
// a network HSM that lost its connection leaves an open Signer: PKCS#11
// logs in (and out) the whole application, not one session.
func (tok *Token) Logout(t testing.TB) {
	t.Helper()
	tok.session(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		if err := ctx.Logout(sh); err != nil {
			t.Fatalf("C_Logout: %v", err)
		}
	})
}

// ChangePIN changes the token's user PIN to pin.
func (tok *Token) ChangePIN(t testing.TB, pin string) {
	t.Helper()
	tok.session(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		if err := ctx.SetPIN(sh, tok.PIN, pin); err != nil {
			t.Fatalf("C_SetPIN: %v", err)
		}
	})
	tok.PIN = pin
}

// Slot returns the token's slot ID and serial number, as a URI's slot-id
// and serial name them.
func (tok *Token) Slot(t testing.TB) (slot uint, serial string) {
	t.Helper()
	tok.session(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		slot = tok.slot(t, ctx)
		info, err := ctx.GetTokenInfo(slot)
		if err != nil {
			t.Fatal(err)
		}
		serial = info.SerialNumber
	})
	return slot, serial
}

// GenerateRSA generates an RSA key pair of bits inside the token, labelled
// object with CKA_ID id: the private key is sensitive and never
// extractable, so no one, this test included, ever sees it. It checks that
// the token refuses to reveal it, and returns the public key.
func (tok *Token) GenerateRSA(t testing.TB, object string, id []byte, bits int) *rsa.PublicKey {
	t.Helper()
	var pub *rsa.PublicKey
	tok.session(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		pubTmpl := []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY),
			p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_RSA),
			p11.NewAttribute(p11.CKA_TOKEN, true),
			p11.NewAttribute(p11.CKA_VERIFY, true),
			p11.NewAttribute(p11.CKA_ENCRYPT, true),
			p11.NewAttribute(p11.CKA_MODULUS_BITS, bits),
			p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}),
			p11.NewAttribute(p11.CKA_LABEL, object),
			p11.NewAttribute(p11.CKA_ID, id),
		}
		privTmpl := []*p11.Attribute{
			p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PRIVATE_KEY),
			p11.NewAttribute(p11.CKA_KEY_TYPE, p11.CKK_RSA),
			p11.NewAttribute(p11.CKA_TOKEN, true),
			p11.NewAttribute(p11.CKA_PRIVATE, true),
			p11.NewAttribute(p11.CKA_SENSITIVE, true),
			p11.NewAttribute(p11.CKA_EXTRACTABLE, false),
			p11.NewAttribute(p11.CKA_SIGN, true),
			p11.NewAttribute(p11.CKA_DECRYPT, true),
			p11.NewAttribute(p11.CKA_LABEL, object),
			p11.NewAttribute(p11.CKA_ID, id),
		}
		pubH, privH, err := ctx.GenerateKeyPair(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_RSA_PKCS_KEY_PAIR_GEN, nil)}, pubTmpl, privTmpl)
		if err != nil {
			t.Fatalf("C_GenerateKeyPair RSA-%d: %v", bits, err)
		}
		checkNeverExtractable(t, ctx, sh, privH)
		attrs, err := ctx.GetAttributeValue(sh, pubH, []*p11.Attribute{
			p11.NewAttribute(p11.CKA_MODULUS, nil), p11.NewAttribute(p11.CKA_PUBLIC_EXPONENT, nil),
		})
		if err != nil {
			t.Fatalf("reading the public key: %v", err)
		}
		pub = &rsa.PublicKey{N: new(big.Int).SetBytes(attrs[0].Value), E: int(new(big.Int).SetBytes(attrs[1].Value).Int64())}
	})
	return pub
}

// checkNeverExtractable fails the test unless the token marks the private
// key sensitive and never extractable, and refuses to read its private
// exponent.
func checkNeverExtractable(t testing.TB, ctx *p11.Ctx, sh p11.SessionHandle, priv p11.ObjectHandle) {
	t.Helper()
	attrs, err := ctx.GetAttributeValue(sh, priv, []*p11.Attribute{
		p11.NewAttribute(p11.CKA_SENSITIVE, nil),
		p11.NewAttribute(p11.CKA_EXTRACTABLE, nil),
		p11.NewAttribute(p11.CKA_NEVER_EXTRACTABLE, nil),
		p11.NewAttribute(p11.CKA_ALWAYS_SENSITIVE, nil),
	})
	if err != nil {
		t.Fatalf("reading the key's attributes: %v", err)
	}
	want := []byte{1, 0, 1, 1}
	for i, a := range attrs {
		if len(a.Value) != 1 || a.Value[0] != want[i] {
			t.Fatalf("attribute %#x of the private key is %x, want %x", a.Type, a.Value, want[i])
		}
	}
	if _, err := ctx.GetAttributeValue(sh, priv, []*p11.Attribute{p11.NewAttribute(p11.CKA_PRIVATE_EXPONENT, nil)}); err != p11.Error(p11.CKR_ATTRIBUTE_SENSITIVE) {
		t.Fatalf("reading the private exponent: %v, want CKR_ATTRIBUTE_SENSITIVE", err)
	}
}

// GenerateEC generates a P-256 EC key pair inside the token, for tests of
// keys WeChat Pay cannot use.
func (tok *Token) GenerateEC(t testing.TB, object string, id []byte) {
	t.Helper()
	p256, _ := hex.DecodeString("06082a8648ce3d030107") // OID 1.2.840.10045.3.1.7
	tok.session(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		_, _, err := ctx.GenerateKeyPair(sh, []*p11.Mechanism{p11.NewMechanism(p11.CKM_EC_KEY_PAIR_GEN, nil)},
			[]*p11.Attribute{
				p11.NewAttribute(p11.CKA_TOKEN, true), p11.NewAttribute(p11.CKA_VERIFY, true),
				p11.NewAttribute(p11.CKA_EC_PARAMS, p256),
				p11.NewAttribute(p11.CKA_LABEL, object), p11.NewAttribute(p11.CKA_ID, id),
			},
			[]*p11.Attribute{
				p11.NewAttribute(p11.CKA_TOKEN, true), p11.NewAttribute(p11.CKA_PRIVATE, true),
				p11.NewAttribute(p11.CKA_SENSITIVE, true), p11.NewAttribute(p11.CKA_EXTRACTABLE, false),
				p11.NewAttribute(p11.CKA_SIGN, true),
				p11.NewAttribute(p11.CKA_LABEL, object), p11.NewAttribute(p11.CKA_ID, id),
			})
		if err != nil {
			t.Fatalf("C_GenerateKeyPair EC: %v", err)
		}
	})
}

// DeletePublic destroys the public key labelled object, leaving its
// private key alone in the token.
func (tok *Token) DeletePublic(t testing.TB, object string) {
	t.Helper()
	tok.session(t, func(ctx *p11.Ctx, sh p11.SessionHandle) {
		tmpl := []*p11.Attribute{p11.NewAttribute(p11.CKA_CLASS, p11.CKO_PUBLIC_KEY), p11.NewAttribute(p11.CKA_LABEL, object)}
		if err := ctx.FindObjectsInit(sh, tmpl); err != nil {
			t.Fatal(err)
		}
		hs, _, err := ctx.FindObjects(sh, 10)
		ctx.FindObjectsFinal(sh)
		if err != nil || len(hs) != 1 {
			t.Fatalf("public key %q: %d found, %v", object, len(hs), err)
		}
		if err := ctx.DestroyObject(sh, hs[0]); err != nil {
			t.Fatal(err)
		}
	})
}
