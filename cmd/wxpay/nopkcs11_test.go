//go:build !pkcs11

package main

import (
	"strings"
	"testing"
)

// A wxpay built without -tags pkcs11 says how to build one that opens a
// pkcs11: private_key, and never shows the URI's PIN.
func TestPKCS11PrivateKeyNeedsTheBuildTag(t *testing.T) {
	c := newCLI(t)
	editConfig(t, c.config, func(m map[string]any) {
		m["private_key"] = "pkcs11:token=wechatpay;object=apiclient?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-value=S3CRET-4711"
	})
	for _, args := range [][]string{{"get", "v3/certificates"}, {"certificates"}} {
		r := c.run("", args...)
		if r.code != 1 || !strings.Contains(r.stderr, "-tags pkcs11") || !strings.Contains(r.stderr, "private_key") && !strings.Contains(r.stderr, "PrivateKey") ||
			strings.Contains(r.stderr, "S3CRET") {
			t.Errorf("%q: %+v", args, r)
		}
	}
}
