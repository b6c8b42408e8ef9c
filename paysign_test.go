package wechatpay_test

import (
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func TestPaymentSignatures(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	verify := func(msg, sig string) {
		t.Helper()
		b, _ := base64.StdEncoding.DecodeString(sig)
		d := sha256.Sum256([]byte(msg))
		if rsa.VerifyPKCS1v15(&srv.Merchant.Key.PublicKey, stdcrypto.SHA256, d[:], b) != nil {
			t.Fatalf("signature over %q does not verify", msg)
		}
	}
	j, err := c.JSAPIPayment("wxd678efh567hg6787", "wx201410272009395522657a690389285100")
	if err != nil {
		t.Fatal(err)
	}
	if j.Package != "prepay_id=wx201410272009395522657a690389285100" || j.SignType != "RSA" || len(j.NonceStr) != 32 {
		t.Fatal(j)
	}
	verify(j.AppID+"\n"+j.TimeStamp+"\n"+j.NonceStr+"\n"+j.Package+"\n", j.PaySign)
	b, _ := json.Marshal(j)
	var keys map[string]string
	json.Unmarshal(b, &keys)
	for _, k := range []string{"appId", "timeStamp", "nonceStr", "package", "signType", "paySign"} {
		if keys[k] == "" {
			t.Fatalf("%s missing in %s", k, b)
		}
	}

	a, err := c.APPPayment("wxd678efh567hg6787", "WX1217752501201407033233368018")
	if err != nil || a.PartnerID != srv.MchID || a.Package != "Sign=WXPay" {
		t.Fatal(a, err)
	}
	verify(a.AppID+"\n"+a.Timestamp+"\n"+a.NonceStr+"\n"+a.PrepayID+"\n", a.Sign)

	// APIv2: the sign the official example gives for known fields.
	for _, st := range []string{"", "MD5", "HMAC-SHA256"} {
		v, err := c.V2JSAPIPayment("wxd678efh567hg6787", "wx2017033010242291fcfe0db70013231072", st)
		if err != nil {
			t.Fatal(err)
		}
		want := st
		if want == "" {
			want = "MD5"
		}
		if v.SignType != want {
			t.Fatalf("signType %q, want %q", v.SignType, want)
		}
		msg := "appId=" + v.AppID + "&nonceStr=" + v.NonceStr + "&package=" + v.Package + "&signType=" + want + "&timeStamp=" + v.TimeStamp
		exp, _ := crypto.HashSign(want, []byte(msg), []byte(srv.Secret))
		if v.PaySign != exp {
			t.Fatalf("%s: %s != %s", st, v.PaySign, exp)
		}
		ap, err := c.V2APPPayment("wxd678efh567hg6787", "wx2017033010242291fcfe0db70013231072", st)
		if err != nil {
			t.Fatal(err)
		}
		msg = "appid=" + ap.AppID + "&noncestr=" + ap.NonceStr + "&package=Sign=WXPay&partnerid=" + ap.PartnerID + "&prepayid=" + ap.PrepayID + "&timestamp=" + ap.Timestamp
		exp, _ = crypto.HashSign(want, []byte(msg), []byte(srv.Secret))
		if ap.Sign != exp {
			t.Fatal(st, ap.Sign, exp)
		}
	}
	if _, err := c.V2JSAPIPayment("wx", "p", "SHA1"); !errors.Is(err, crypto.ErrSignType) {
		t.Fatal(err)
	}
}
