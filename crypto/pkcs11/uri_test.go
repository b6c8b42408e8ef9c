package pkcs11

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const testModule = "/usr/lib/softhsm/libsofthsm2.so"

func TestParseURI(t *testing.T) {
	t.Setenv(EnvModule, "")
	t.Setenv(EnvPIN, "")
	u, err := parseURI(" pkcs11:token=wechat%20pay;object=api%3Bclient;id=%01%FF;type=private?module-path=" + testModule + "&pin-value=12%2634&x-max-sessions=3\n")
	if err != nil {
		t.Fatal(err)
	}
	if u.token != "wechat pay" || u.object != "api;client" || string(u.id) != "\x01\xff" || u.modulePath != testModule ||
		string(u.pin.Reveal()) != "12&34" || u.maxSessions != 3 || u.serial != "" || u.slot != nil {
		t.Fatalf("%+v", u)
	}
	if got := u.String(); got != `token "wechat pay", object "api;client", id 01ff` {
		t.Fatalf("String() = %q", got)
	}

	u, err = parseURI("PKCS11:serial=0123abcd;id=%42?module-path=/m.so&pin-value=1")
	if err != nil || u.serial != "0123abcd" || string(u.id) != "B" || u.maxSessions != DefaultMaxSessions {
		t.Fatalf("%+v %v", u, err)
	}
	u, err = parseURI("pkcs11:slot-id=7;object=k;?module-path=/m.so&pin-value=1")
	if err != nil || u.slot == nil || *u.slot != 7 || u.String() != `slot 7, object "k"` {
		t.Fatalf("%+v %v", u, err)
	}
}

// The module path and PIN come from the environment when the URI does not
// give them, and from a pin-source file.
func TestParseURIEnvironmentAndPINSource(t *testing.T) {
	t.Setenv(EnvModule, "/env/module.so")
	t.Setenv(EnvPIN, "from-env")
	u, err := parseURI("pkcs11:token=t;object=k")
	if err != nil || u.modulePath != "/env/module.so" || string(u.pin.Reveal()) != "from-env" {
		t.Fatalf("%+v %v", u, err)
	}
	u, err = parseURI("pkcs11:token=t;object=k?module-path=/uri.so&pin-value=from-uri")
	if err != nil || u.modulePath != "/uri.so" || string(u.pin.Reveal()) != "from-uri" {
		t.Fatalf("the URI wins: %+v %v", u, err)
	}
	pinFile := filepath.Join(t.TempDir(), "pin")
	os.WriteFile(pinFile, []byte("from-file\n"), 0o600)
	for _, src := range []string{"file:" + pinFile, "file://" + pinFile, "file://localhost" + pinFile, pinFile} {
		u, err = parseURI("pkcs11:token=t;object=k?pin-source=" + src)
		if err != nil || string(u.pin.Reveal()) != "from-file" {
			t.Fatalf("%s: %+v %v", src, u, err)
		}
	}
	os.WriteFile(pinFile, []byte("crlf\r\n"), 0o600)
	if u, err = parseURI("pkcs11:token=t;object=k?pin-source=file:" + pinFile); err != nil || string(u.pin.Reveal()) != "crlf" {
		t.Fatalf("%+v %v", u, err)
	}
	os.WriteFile(pinFile, []byte(strings.Repeat("x", maxPINFile+1)), 0o600)
	if _, err = parseURI("pkcs11:token=t;object=k?pin-source=" + pinFile); !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), "larger than 4 KiB") {
		t.Fatal(err)
	}
	if _, err = parseURI("pkcs11:token=t;object=k?pin-source=file:/nonexistent/pin"); !errors.Is(err, ErrLogin) || !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}

	t.Setenv(EnvModule, "")
	if _, err := parseURI("pkcs11:token=t;object=k"); !errors.Is(err, ErrModule) || !strings.Contains(err.Error(), EnvModule) {
		t.Fatal(err)
	}
	t.Setenv(EnvPIN, "")
	if _, err := parseURI("pkcs11:token=t;object=k?module-path=/m.so"); !errors.Is(err, ErrLogin) || !strings.Contains(err.Error(), "no PIN") {
		t.Fatal(err)
	}
	if _, err := parseURI("pkcs11:token=t;object=k?module-path=/m.so&pin-source=file:" + filepath.Join(t.TempDir(), "empty")); !errors.Is(err, ErrLogin) {
		t.Fatal(err)
	}
}

// Bad URIs fail with ErrURI and say what to fix, never quoting a value:
// each case carries the PIN "S3CRET" somewhere.
func TestParseURIErrors(t *testing.T) {
	t.Setenv(EnvModule, "/m.so")
	t.Setenv(EnvPIN, "")
	for _, tc := range []struct{ uri, want string }{
		{"pkcs12:token=t;object=k?pin-value=S3CRET", `starts with "pkcs11:"`},
		{"token=t;object=k?pin-value=S3CRET", `starts with "pkcs11:"`},
		{"pkcs11:object=k?pin-value=S3CRET", "exactly one of token="},
		{"pkcs11:token=t;serial=1;object=k?pin-value=S3CRET", "exactly one of token="},
		{"pkcs11:token=t?pin-value=S3CRET", "name the key by object="},
		{"pkcs11:token=t;object=k;type=cert?pin-value=S3CRET", "type=cert names no private key"},
		{"pkcs11:token=t;object=k?pin-value=S3CRET&pin-source=file:/p", "not both"},
		{"pkcs11:token=t;object=k;object=j?pin-value=S3CRET", `attribute "object" appears twice`},
		{"pkcs11:token=t;object=k;S3CRET?pin-value=1", "a path attribute is not name=value (not shown"},
		{"pkcs11:token=t;object=k?S3CRET", "a query attribute is not name=value (not shown"},
		{"pkcs11:token=t;object=k?pin=S3CRET", `unknown query attribute "pin"`},
		{"pkcs11:token=t;lable=k?pin-value=S3CRET", `unknown path attribute "lable"`},
		{"pkcs11:token=t;object=k?pin-value=S3CRET%zz", `attribute "pin-value" is not validly percent-encoded`},
		{"pkcs11:token=t;object=k;manufacturer=SoftHSM?pin-value=S3CRET", `"manufacturer" is not supported`},
		{"pkcs11:token=t;object=k?module-name=softhsm2&pin-value=S3CRET", `"module-name" is not supported`},
		{"pkcs11:slot-id=x;object=k?pin-value=S3CRET", "slot-id is not a decimal"},
		{"pkcs11:token=t;object=k?pin-value=S3CRET&x-max-sessions=0", "x-max-sessions is not a number from 1 to 1024"},
		{"pkcs11:token=t;object=k?pin-source=|/bin/echo%20S3CRET", "programs (|command) are not run"},
		{"pkcs11:token=t;object=k?pin-source=file://otherhost/S3CRET", "another host"},
	} {
		_, err := parseURI(tc.uri)
		if !errors.Is(err, ErrURI) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v; want ErrURI with %q", tc.uri, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "S3CRET") {
			t.Errorf("%s: the error quotes the PIN: %v", tc.uri, err)
		}
	}
}
