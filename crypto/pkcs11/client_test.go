//go:build pkcs11 && cgo

package pkcs11_test

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/pkcs11"
	"github.com/wechatpay-go/wechatpay/internal/softhsmtest"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// nativeOrder is a Native payment order (Native下单) with its required
// fields and header.
func nativeOrder(srv *wechatpaytest.Server, outTradeNo string) wechatpay.M {
	return wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": srv.Platform.Serial}, "json": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
		"out_trade_no": outTradeNo, "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
		"amount": wechatpay.M{"total": 100, "currency": "CNY"},
	}}
}

// The merchant key lives in SoftHSM2: the sandbox's merchant certificate
// is made for it (and signed by it), the client is configured with its
// PKCS#11 URI, and the calls it signs, from many goroutines, verify at the
// sandbox. So do a JSAPI payment's paySign, and sensitive fields decrypt
// in the token.
func TestClientSignsWithTheTokenKey(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pub := tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	merchant := open(t, tok, "apiclient")
	srv := wechatpaytest.NewServer(wechatpaytest.WithMerchantSigner(merchant))
	defer srv.Close()
	if !pub.Equal(srv.Merchant.PublicKey()) || srv.Merchant.Key != nil || srv.Merchant.Cert.CheckSignature(srv.Merchant.Cert.SignatureAlgorithm, srv.Merchant.Cert.RawTBSCertificate, srv.Merchant.Cert.Signature) != nil {
		t.Fatal("the sandbox's merchant certificate is not the token key's, self-signed")
	}

	cfg := srv.Config()
	cfg.PrivateKey = crypto.NewSecret(tok.URI("apiclient")) // New opens a session of its own
	client, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	res, err := client.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "1217752501201407033233368018"))
	if err != nil || res.Get("code_url").String() == "" {
		t.Fatalf("%v %v", res, err)
	}
	res, err = client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
		"out_trade_no": "1217752501201407033233368018", "query": wechatpay.M{"mchid": srv.MchID},
	})
	// The sandbox keeps the order: unpaid until srv.Pay.
	if err != nil || res.Get("trade_state").String() != "NOTPAY" {
		t.Fatalf("%v %v", res, err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for g := range 8 {
		wg.Go(func() {
			for i := range 5 {
				if _, err := client.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, strings.Repeat("7", 10)+string(rune('a'+g))+string(rune('0'+i)))); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := len(srv.Received()); n != 42 {
		t.Fatalf("the sandbox received %d requests, want 42", n)
	}

	pay, err := client.JSAPIPayment("wxd678efh567hg6787", "wx201410272009395522657a690389285100")
	if err != nil {
		t.Fatal(err)
	}
	if err := crypto.Verify(pub, []byte(pay.AppID+"\n"+pay.TimeStamp+"\n"+pay.NonceStr+"\n"+pay.Package+"\n"), pay.PaySign); err != nil {
		t.Fatalf("paySign: %v", err)
	}

	ct, _ := crypto.EncryptOAEP(pub, []byte("13800138000"))
	if pt, err := client.DecryptSensitive(ct); err != nil || pt != "13800138000" {
		t.Fatalf("DecryptSensitive = %q, %v", pt, err)
	}

	// The client closes the session it opened; the Signer the test opened
	// keeps the module until it is closed too.
	if err := client.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.Sign(merchant, []byte("still open")); err != nil {
		t.Fatalf("the client closed a Signer it did not open: %v", err)
	}
	merchant.Close()
	if softhsmtest.ModuleInUse(t) {
		t.Fatal("a session is still open after client.Close and Signer.Close")
	}
}

// A key the sandbox's merchant certificate is not for: every call is
// refused, so the verification above is real.
func TestSandboxRefusesAnotherTokenKey(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	tok.GenerateRSA(t, "other", []byte{2}, 2048)
	srv := wechatpaytest.NewServer(wechatpaytest.WithMerchantSigner(open(t, tok, "apiclient")))
	defer srv.Close()
	cfg := srv.Config()
	cfg.PrivateKey = tok.URI("other")
	client, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	_, err = client.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "1217752501201407033233368018"))
	var apiErr *wechatpay.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("%v", err)
	}
}

// APIv2 calls made with security present the merchant certificate over
// mutual TLS; its key signs the handshake (RSA-PSS, TLS 1.3) in the token.
func TestMutualTLSWithTheTokenKey(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	srv := wechatpaytest.NewTLSServer(wechatpaytest.WithMerchantSigner(open(t, tok, "apiclient")))
	defer srv.Close()
	cfg := srv.Config()
	cfg.PrivateKey = tok.URI("apiclient")
	cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: tok.URI("apiclient")}
	client, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	res, err := client.Chain("v2/secapi/pay/refund").Post(wechatpay.M{"security": true, "xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "transaction_id": "4200000985202406011234567890",
		"out_trade_no": "1217752501201407033233368018", "out_refund_no": "1217752501201407033233368019",
		"total_fee": "100", "refund_fee": "100",
	}})
	if err != nil || res.Get("return_code").String() != "SUCCESS" {
		t.Fatalf("%v %v", res, err)
	}
	if _, err := client.Chain("v3/certificates").Get(); err != nil {
		t.Fatal(err)
	}
}

// A wrong PIN in Config.PrivateKey is a ConfigError naming the field,
// matching pkcs11.ErrLogin, without the PIN.
func TestConfigWithAWrongPIN(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.PrivateKey = strings.Replace(tok.URI("apiclient"), tok.PIN, "Wrong-PIN-0042", 1)
	_, err := wechatpay.New(cfg)
	var ce *wechatpay.ConfigError
	if !errors.As(err, &ce) || ce.Field != "PrivateKey" || !errors.Is(err, pkcs11.ErrLogin) || strings.Contains(err.Error(), "Wrong-PIN") {
		t.Fatalf("%v", err)
	}
}
