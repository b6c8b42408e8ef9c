package pkcs11_test

import (
	"errors"
	"fmt"
	"log"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/pkcs11"
)

// A client whose merchant API private key (商户API私钥) stays in an HSM:
// with this package imported (and the program built with -tags pkcs11),
// Config.PrivateKey takes the key's PKCS#11 URI. The URI is wrapped in a
// crypto.Secret so that it never prints; the PIN is read from a file.
// Client.Close closes the token session New opened.
func Example() {
	client, err := wechatpay.New(wechatpay.Config{
		MchID:  "1900000109",
		Serial: "3775B6A45ACD588826D15E583A95F5DD********",
		PrivateKey: crypto.NewSecret("pkcs11:token=wechatpay;object=apiclient;type=private" +
			"?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/hsm-pin"),
		Certs: map[string]any{"PUB_KEY_ID_0114232134912410000000000000": "/etc/wechatpay/pub_key.pem"},
	})
	if errors.Is(err, pkcs11.ErrLogin) {
		log.Fatal("check the HSM PIN: ", err)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
}

// One Signer shared by several clients (one per sub-merchant, say): the
// token is logged in to once, and the caller closes the Signer after the
// clients. Without the pkcs11 build tag, Open fails with ErrUnavailable.
func ExampleOpen() {
	signer, err := pkcs11.Open("pkcs11:token=wechatpay;object=apiclient?x-max-sessions=32") // module and PIN from the environment
	if errors.Is(err, pkcs11.ErrUnavailable) {
		log.Fatal("build with: go build -tags pkcs11")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer signer.Close()
	fmt.Println(signer) // pkcs11.Signer{token "wechatpay", object "apiclient", RSA-2048}

	cfg := wechatpay.Config{MchID: "1900000109", Serial: "3775B6A45ACD588826D15E583A95F5DD********", PrivateKey: signer,
		Certs: map[string]any{"PUB_KEY_ID_0114232134912410000000000000": "/etc/wechatpay/pub_key.pem"}}
	client, err := wechatpay.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close() // leaves the Signer open: the caller owns it
}
