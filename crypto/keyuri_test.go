package crypto

import (
	stdcrypto "crypto"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
)

// A URI that carries a PIN, for the tests that no error ever quotes it.
const pinURI = "pkcs11:token=wechatpay;object=apiclient?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=S3CRET-PIN-4711"

// Without crypto/pkcs11 imported, a pkcs11: URI fails with a typed error
// naming the package and its build tag, and never quoting the URI.
func TestLoadSignerWithoutLoader(t *testing.T) {
	for _, src := range []string{pinURI, "  " + pinURI + "\n", strings.Replace(pinURI, "pkcs11:", "PKCS11:", 1)} {
		s, err := LoadSigner(src)
		if s != nil || err == nil {
			t.Fatalf("LoadSigner = %v, %v", s, err)
		}
		var nl *NoKeyLoaderError
		if !errors.As(err, &nl) || !errors.Is(err, ErrNoKeyLoader) || !errors.Is(err, ErrInvalidKey) {
			t.Fatalf("%v (%T) is not a *NoKeyLoaderError matching ErrNoKeyLoader and ErrInvalidKey", err, err)
		}
		if nl.Scheme != "pkcs11" || nl.Package != "github.com/wechatpay-go/wechatpay/crypto/pkcs11" || nl.BuildTag != "pkcs11" {
			t.Fatalf("%+v", nl)
		}
		for _, want := range []string{`"pkcs11:" URIs need a key loader`, `import _ "github.com/wechatpay-go/wechatpay/crypto/pkcs11"`, "-tags pkcs11"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%q lacks %q", err, want)
			}
		}
		if strings.Contains(err.Error(), "S3CRET") || strings.Contains(err.Error(), "token=") {
			t.Fatalf("the error quotes the URI: %q", err)
		}
	}
}

// Regression: a pkcs11: URI given to the PEM/file loaders was taken as a
// file path and quoted, PIN and all, in the "cannot read file" error.
func TestFileLoadersRefuseKeyURIs(t *testing.T) {
	for name, load := range map[string]func(string) error{
		"LoadPrivateKey":  func(s string) error { _, err := LoadPrivateKey(s); return err },
		"LoadPublicKey":   func(s string) error { _, err := LoadPublicKey(s); return err },
		"LoadCertificate": func(s string) error { _, err := LoadCertificate(s); return err },
	} {
		err := load(pinURI)
		if err == nil || strings.Contains(err.Error(), "S3CRET") || strings.Contains(err.Error(), "token=") {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.Contains(err.Error(), `a "pkcs11:" URI names a key held in a token`) || !strings.Contains(err.Error(), "LoadSigner") {
			t.Errorf("%s: %q does not point at LoadSigner", name, err)
		}
	}
}

// closingSigner is a signer with resources, as a token key has.
type closingSigner struct {
	*rsa.PrivateKey
	uri string
}

func (closingSigner) Close() error { return nil }

var errLoaderFailed = errors.New("testkms: the key service refused")

// testkms: URIs are handed to the loader registered in init.
func init() {
	RegisterKeyLoader("testkms", func(uri string) (stdcrypto.Signer, error) {
		switch {
		case strings.Contains(uri, "fail"):
			return nil, errLoaderFailed
		case strings.Contains(uri, "nil"):
			return nil, nil
		}
		key, err := LoadPrivateKey(fixture("mock.pkcs8.key"))
		return closingSigner{key, uri}, err
	})
}

func TestLoadSignerRegistered(t *testing.T) {
	s, err := LoadSigner("  TESTKMS:key=1\n")
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := s.(closingSigner); !ok || c.uri != "TESTKMS:key=1" {
		t.Fatalf("%T %+v", s, s)
	}
	if _, err := Sign(s, []byte("message")); err != nil {
		t.Fatal(err)
	}
	// A loader's error keeps its identity and matches ErrInvalidKey.
	_, err = LoadSigner("testkms:fail")
	if !errors.Is(err, errLoaderFailed) || !errors.Is(err, ErrInvalidKey) || err.Error() != "crypto: invalid key: "+errLoaderFailed.Error() {
		t.Fatalf("%v", err)
	}
	if s, err := LoadSigner("testkms:nil"); s != nil || !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("%v, %v", s, err)
	}
	// Everything else is LoadPrivateKey's: PEM, paths (Windows ones too).
	if s, err := LoadSigner(fixture("mock.pkcs8.key")); err != nil {
		t.Fatal(err)
	} else if _, ok := s.(*rsa.PrivateKey); !ok {
		t.Fatalf("%T", s)
	}
	if _, err := LoadSigner(`C:\keys\apiclient_key.pem`); err == nil || !strings.Contains(err.Error(), `cannot read file "C:\\keys\\apiclient_key.pem"`) {
		t.Fatalf("%v", err)
	}
	// An unknown scheme is taken as a path, and not quoted, as it is no
	// file and may be a secret.
	if _, err := LoadSigner("otherscheme:x"); err == nil || !strings.Contains(err.Error(), "cannot read") || strings.Contains(err.Error(), "otherscheme:x") {
		t.Fatalf("an unknown scheme is a path: %v", err)
	}
}

func TestRegisterKeyLoaderMisuse(t *testing.T) {
	load := func(string) (stdcrypto.Signer, error) { return nil, nil }
	for name, f := range map[string]func(){
		"nil loader": func() { RegisterKeyLoader("x-nil", nil) },
		"twice":      func() { RegisterKeyLoader("testkms", load) },
		"bad name":   func() { RegisterKeyLoader("bad name", load) },
		"one letter": func() { RegisterKeyLoader("c", load) },
		"upper case": func() { RegisterKeyLoader("KMS", load) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
