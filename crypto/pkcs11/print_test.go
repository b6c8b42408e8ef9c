//go:build pkcs11 && cgo

package pkcs11_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/pkcs11"
	"github.com/wechatpay-go/wechatpay/internal/softhsmtest"
)

// A Signer printed with any fmt verb, encoded as JSON or logged with slog
// names its token and key, never the PIN; nor does a Config holding the
// URI.
func TestNothingShowsThePIN(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	uri := tok.URI("apiclient")
	s := open(t, tok, "apiclient")

	want := fmt.Sprintf(`pkcs11.Signer{token %q, object "apiclient", RSA-2048}`, tok.Label)
	var out []string
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%T"} {
		out = append(out, fmt.Sprintf(verb, s), fmt.Sprintf(verb, struct{ Key *pkcs11.Signer }{s}))
	}
	if got := fmt.Sprint(s); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
	j, err := json.Marshal(map[string]any{"key": s})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, string(j))
	var logs bytes.Buffer
	for _, h := range []slog.Handler{
		slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
		slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}),
	} {
		slog.New(h).Debug("signer", "key", s, "any", any(s))
	}
	out = append(out, logs.String())
	if !strings.Contains(logs.String(), `"key":{"token":"`+tok.Label+`","object":"apiclient","bits":2048}`) {
		t.Errorf("slog JSON: %s", logs.String())
	}

	cfg := wechatpay.Config{MchID: "1900000109", Serial: "S", PrivateKey: uri}
	out = append(out, fmt.Sprintf("%v %+v %#v %s", cfg, cfg, cfg, cfg))
	for _, o := range out {
		if strings.Contains(o, tok.PIN) || strings.Contains(o, "pin-value") {
			t.Fatalf("the PIN shows: %s", o)
		}
	}
}

// Without module-path or a PIN in the URI, the environment gives them; a
// pin-source file does too.
func TestEnvironmentAndPINSource(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pub := tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	t.Setenv(pkcs11.EnvModule, tok.Module)
	t.Setenv(pkcs11.EnvPIN, tok.PIN)
	pinFile := filepath.Join(t.TempDir(), "hsm-pin")
	if err := os.WriteFile(pinFile, []byte(tok.PIN+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, uri := range []string{
		"pkcs11:token=" + tok.Label + ";object=apiclient",
		"pkcs11:token=" + tok.Label + ";object=apiclient?pin-source=file:" + pinFile,
	} {
		s, err := crypto.LoadSigner(uri)
		if err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		sig, err := crypto.Sign(s, []byte("m"))
		if err == nil {
			err = crypto.Verify(pub, []byte("m"), sig)
		}
		if err != nil {
			t.Fatal(err)
		}
		s.(*pkcs11.Signer).Close()
	}
}
