package node_test

import (
	"errors"
	"net/http"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Our client calls a server written with the Node SDK's own Rsa, Formatter,
// Hash and Transformer: that server verifies our signatures, and our client
// verifies its answers.
func TestClientAgainstNodeServer(t *testing.T) {
	bin := node(t)
	keys := wechatpaytest.NewServer() // only for its merchant and platform identities and keys
	keys.Close()
	base := startNodeServer(t, bin, map[string]any{
		"mchid": keys.MchID, "merchantSerial": keys.Merchant.Serial, "merchantPublicKey": string(keys.Merchant.PublicKeyPEM()),
		"platformSerial": keys.Platform.Serial, "platformPrivateKey": string(keys.Platform.KeyPEM()), "secret": keys.Secret,
	})
	cfg := wechatpay.Config{
		MchID: keys.MchID, Serial: keys.Merchant.Serial, PrivateKey: keys.Merchant.Key,
		Certs:   map[string]any{keys.Platform.Serial: keys.Platform.Cert},
		Secret:  crypto.NewSecret(keys.Secret),
		BaseURL: base,
	}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	res, err := c.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{
		"transaction_id": "4200/0985 2024", "query": wechatpay.M{"mchid": keys.MchID, "note": "商家说 & 支付"},
	})
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	if got := res.Get("url").String(); got != "/v3/pay/transactions/id/4200%2F0985%202024?mchid="+keys.MchID+"&note=%E5%95%86%E5%AE%B6%E8%AF%B4%20%26%20%E6%94%AF%E4%BB%98" {
		t.Fatalf("the Node server saw %s", got)
	}
	body := wechatpay.M{"description": "Image形象店-深圳腾大-QQ公仔 <&>", "amount": wechatpay.M{"total": 1}}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch} {
		res, err := c.Chain("v3/marketing/favor/stocks").Do(t.Context(), method, wechatpay.M{"json": body})
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if res.Get("method").String() != method || res.Get("echo.description").String() != "Image形象店-深圳腾大-QQ公仔 <&>" {
			t.Fatalf("%s: %s", method, res.Body)
		}
	}
	if res, err := c.Chain("v3/merchant-service/complaint-notifications").Delete(); err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v", err)
	}

	for _, signType := range []string{"MD5", "HMAC-SHA256"} {
		res, err := c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{
			"appid": "wx2421b1c4370ec43b", "mch_id": keys.MchID, "out_trade_no": "G-" + signType, "sign_type": signType,
		}})
		if err != nil {
			t.Fatalf("APIv2 %s: %v", signType, err)
		}
		if res.Get("out_trade_no").String() != "G-"+signType || res.Get("path").String() != "/pay/orderquery" {
			t.Fatalf("APIv2 %s: %s", signType, res.Body)
		}
	}

	// An answer signed over other bytes does not verify.
	_, err = c.Chain("v3/interop/tampered").Get()
	var ve *wechatpay.VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrBadSignature) {
		t.Fatalf("want ErrBadSignature, got %v", err)
	}

	// The Node server refuses a request signed with another key, and an
	// APIv2 call signed with another secret.
	cfg.PrivateKey = keys.PublicKey.Key
	cfg.Secret = crypto.NewSecret("RRRRRRRRRRRRRRRRRRRRRRRRRRRRRRRR")
	rogue, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer rogue.Close()
	_, err = rogue.Chain("v3/marketing/favor/stocks").Post(wechatpay.M{"json": body})
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "SIGN_ERROR" {
		t.Fatalf("want 401 SIGN_ERROR, got %v", err)
	}
	_, err = rogue.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wx1", "mch_id": keys.MchID, "out_trade_no": "G"}})
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ReturnCode != "FAIL" || v2.ReturnMsg != "签名错误" {
		t.Fatalf("want return_code FAIL 签名错误, got %v", err)
	}
}
