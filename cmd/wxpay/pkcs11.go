//go:build pkcs11

package main

// Built with -tags pkcs11, wxpay opens a private_key (or merchant.key) that
// is a PKCS#11 URI, "pkcs11:token=…;object=…", with the key in the token.
import _ "github.com/wechatpay-go/wechatpay/crypto/pkcs11"
