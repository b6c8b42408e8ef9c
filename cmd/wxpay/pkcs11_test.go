//go:build pkcs11 && cgo

package main

import (
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/crypto/pkcs11"
	"github.com/wechatpay-go/wechatpay/internal/softhsmtest"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func init() {
	runTests = softhsmtest.Main
	buildFlags = append(buildFlags, "-tags", "pkcs11")
}

// private_key and merchant.key may be the PKCS#11 URI of a key in
// SoftHSM2: calls, the certificates download (whose bootstrap reads the
// public key from the token) and mutual TLS are signed in the token.
func TestPKCS11PrivateKey(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	merchant, err := pkcs11.Open(tok.URI("apiclient"))
	if err != nil {
		t.Fatal(err)
	}
	defer merchant.Close()
	c := newCLI(t, wechatpaytest.WithMerchantSigner(merchant), wechatpaytest.WithMode(wechatpaytest.CertificateMode))
	uri := tok.URI("apiclient")
	editConfig(t, c.config, func(m map[string]any) {
		m["private_key"] = uri
		m["merchant"].(map[string]any)["key"] = uri
	})

	r := c.ok("get", "v3/pay/transactions/out-trade-no/1217752501201407033233368018", "--query", "mchid="+c.srv.MchID)
	if !strings.Contains(r.stdout, `"trade_state"`) {
		t.Fatalf("%+v", r)
	}
	if auth := c.last().Header.Get("Authorization"); !strings.Contains(auth, `serial_no="`+c.srv.Merchant.Serial+`"`) {
		t.Fatalf("Authorization %q", auth)
	}

	editConfig(t, c.config, func(m map[string]any) { m["certs"] = map[string]any{} })
	r = c.ok("certificates")
	if !strings.Contains(r.stdout, "serial     "+c.srv.Platform.Serial) {
		t.Fatalf("%+v", r)
	}

	// A wrong PIN: exit 1, the reason, never the PIN. (Once no session is
	// open: PKCS#11 logs in the whole process.)
	merchant.Close()
	editConfig(t, c.config, func(m map[string]any) { m["private_key"] = strings.Replace(uri, tok.PIN, "Wrong-PIN-0042", 1) })
	r = c.run("", "certificates")
	if r.code != 1 || !strings.Contains(r.stderr, "CKR_PIN_INCORRECT") || strings.Contains(r.stderr, "Wrong-PIN") || strings.Contains(r.stderr, tok.PIN) {
		t.Fatalf("%+v", r)
	}
}
