//go:build openssl && cgo

package openssl_test

import (
	"context"
	"fmt"
	"log"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/openssl"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// A client whose APIv3 requests are signed by OpenSSL. The key is read
// with the SDK's loader, copied into OpenSSL, and closed after the client.
func Example() {
	srv := wechatpaytest.NewServer() // stands for WeChat Pay
	defer srv.Close()
	srv.HandleFunc("GET", "v3/pay/transactions/out-trade-no/{out_trade_no}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"out_trade_no": r.Vars["out_trade_no"], "trade_state": "SUCCESS"})
	})

	rsaKey, err := crypto.ParsePrivateKey(srv.Merchant.KeyPEM()) // or crypto.LoadPrivateKey("file:///path/to/apiclient_key.pem")
	if err != nil {
		log.Fatal(err)
	}
	key, err := openssl.NewPrivateKey(rsaKey)
	if err != nil {
		log.Fatal(err) // or fall back to rsaKey
	}
	defer key.Close()

	cfg := srv.Config()
	cfg.PrivateKey = key
	client, err := wechatpay.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	res, err := client.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
		"out_trade_no": "1217752501201407033233368018",
		"query":        wechatpay.M{"mchid": srv.MchID},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Get("trade_state").String())
	// Output: SUCCESS
}

// Verifying a signature of WeChat Pay, such as a notification's (回调通知),
// with OpenSSL.
func ExamplePublicKey_VerifyMessage() {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pub, err := openssl.NewPublicKey(&srv.Platform.Key.PublicKey)
	if err != nil {
		log.Fatal(err)
	}
	defer pub.Close()

	signer, err := openssl.NewPrivateKey(srv.Platform.Key) // WeChat Pay's side
	if err != nil {
		log.Fatal(err)
	}
	defer signer.Close()
	message := []byte("1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{\"id\":\"EV-2018022511223320873\"}\n")
	sig, err := signer.SignMessage(context.Background(), message)
	if err != nil {
		log.Fatal(err)
	}

	fmt.Println(pub.VerifyMessage(message, sig))
	fmt.Println(pub.VerifyMessage(append(message, ' '), sig))
	// Output:
	// <nil>
	// crypto/rsa: verification error
}
