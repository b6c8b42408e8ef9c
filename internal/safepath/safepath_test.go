package safepath

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDescribe(t *testing.T) {
	dir := t.TempDir()
	existing := filepath.Join(dir, "apiclient_key")
	if err := os.WriteFile(existing, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		value string
		shown bool
		hint  string
	}{
		{"/etc/wechatpay/apiclient_key.pem", true, ""},
		{`C:\wechatpay\apiclient_cert.p12`, true, ""},
		{"keys/apiclient_cert.PEM", true, ""},
		{existing, true, ""},
		{"Zq7XtP3rW9mK2vL8nB4cH6jD1fG5sA0y", false, "APIv2 or APIv3 key"},
		{strings.Repeat("MIIEvQIBADANBgkq", 8), false, "base64"},
		{"MIIEvQIBADANBgkq\nhkiG9w0BAQEFAASC\nBKcwggSjAgEAAoIB\nAQDLJSjfmZqMvK2t.pem", false, "several lines"},
		{"MIIEvQ-----END PRIVATE KEY-----.pem", false, "PEM"},
		{"/no/such/apiclient_key", false, "22 characters"},
		{"", false, "0 characters"},
	} {
		got := Describe(tc.value, tc.value)
		if tc.shown {
			if got != `file "`+strings.ReplaceAll(tc.value, `\`, `\\`)+`"` {
				t.Errorf("%q: %s, want it quoted", tc.value, got)
			}
			continue
		}
		if tc.value != "" && strings.Contains(got, tc.value[:6]) || !strings.Contains(got, tc.hint) || !strings.Contains(got, "not shown") {
			t.Errorf("%q: %s, want it hidden, with %q", tc.value, got, tc.hint)
		}
	}
}
