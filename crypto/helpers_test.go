package crypto

import (
	"crypto/rsa"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// base64Pattern is the PHP suite's BASE64_EXPRESSION.
var base64Pattern = regexp.MustCompile(`^[a-zA-Z0-9+/]+={0,2}$`)

// fixture returns the path of a file under testdata.
func fixture(name string) string { return filepath.Join("testdata", name) }

// readFixture returns a testdata file's contents.
func readFixture(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// bareBase64 returns the base64 body of a PEM fixture without armour or line
// breaks, as the PHP suite's getMockContents does.
func bareBase64(t testing.TB, name string) string {
	t.Helper()
	b, _ := pem.Decode([]byte(readFixture(t, name)))
	if b == nil {
		t.Fatalf("%s: no PEM block", name)
	}
	body := readFixture(t, name)
	body = body[strings.Index(body, "\n")+1 : strings.Index(body, "-----END")]
	return strings.NewReplacer("\r", "", "\n", "").Replace(body)
}

// mustPrivate loads a private key fixture.
func mustPrivate(t testing.TB, name string) *rsa.PrivateKey {
	t.Helper()
	k, err := LoadPrivateKey(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// mustPublic loads a public key (or certificate) fixture.
func mustPublic(t testing.TB, name string) *rsa.PublicKey {
	t.Helper()
	k, err := LoadPublicKey(fixture(name))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// wantErr checks err matches sentinel and that its message holds none of
// the secrets (nor any 16-character run of them, to catch partial echoes).
func wantErr(t testing.TB, err error, sentinel error, secrets ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got nil error, want %v", sentinel)
	}
	if !errors.Is(err, sentinel) {
		t.Fatalf("error %q does not match %v", err, sentinel)
	}
	assertNoLeak(t, err.Error(), secrets...)
}

// assertNoLeak fails when msg contains any secret or a 16-byte window of one.
func assertNoLeak(t testing.TB, msg string, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s == "" {
			continue
		}
		if len(s) <= 16 {
			if strings.Contains(msg, s) {
				t.Fatalf("message leaks a secret: %q", msg)
			}
			continue
		}
		for i := 0; i+16 <= len(s); i++ {
			if w := s[i : i+16]; strings.TrimSpace(w) == w && !strings.Contains(w, "-----") && !strings.Contains(w, "\n") && strings.Contains(msg, w) {
				t.Fatalf("message leaks part of a secret (%q): %q", w, msg)
			}
		}
	}
}
