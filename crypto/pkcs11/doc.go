// Package pkcs11 signs WeChat Pay (微信支付) requests with a merchant API
// private key (商户API私钥) kept in an HSM, a cloud KMS that offers a
// PKCS#11 library, or SoftHSM: the key is named by a PKCS#11 URI
// (RFC 7512) and never leaves the token.
//
//	pkcs11:token=wechatpay;object=apiclient;type=private?module-path=/usr/lib/softhsm/libsofthsm2.so&pin-source=file:/run/secrets/hsm-pin
//
// Importing the package registers the "pkcs11" scheme with
// crypto.LoadSigner, so wechatpay.Config.PrivateKey (and the wxpay
// command's private_key) takes such a URI as it is, and Client.Close
// closes the token session New opened:
//
//	import _ "github.com/wechatpay-go/wechatpay/crypto/pkcs11"
//
//	client, err := wechatpay.New(wechatpay.Config{
//		MchID:      "1900000109",
//		Serial:     "…",
//		PrivateKey: crypto.NewSecret("pkcs11:token=wechatpay;object=apiclient?module-path=…&pin-source=file:/run/secrets/hsm-pin"),
//		…
//	})
//
// Open does the same for a Signer of one's own, to share between clients.
//
// It is opt-in: PKCS#11 modules are C libraries, so the binding
// (github.com/ThalesGroup/crypto11 on github.com/miekg/pkcs11) is built
// only with the "pkcs11" build tag and cgo:
//
//	go build -tags pkcs11 ./...
//
// Without the tag, or with CGO_ENABLED=0, the package still compiles and
// Open fails with ErrUnavailable, which says how to build; a program that
// does not import the package at all gets a *crypto.NoKeyLoaderError
// naming it. The rest of the SDK stays pure Go either way.
//
// Errors match the Err… sentinels (ErrLogin for a wrong PIN,
// ErrTokenNotFound, ErrKeyNotFound, ErrNotRSA, …) and keep the PKCS#11
// return value as their cause. Neither they nor a printed Signer ever show
// the PIN or the URI that carries it.
package pkcs11
