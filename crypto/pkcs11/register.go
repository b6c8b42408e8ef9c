package pkcs11

import (
	stdcrypto "crypto"

	wxcrypto "github.com/wechatpay-go/wechatpay/crypto"
)

// Importing the package makes crypto.LoadSigner, and so
// wechatpay.Config.PrivateKey, open "pkcs11:" URIs with Open. In a build
// without the pkcs11 tag they fail with ErrUnavailable, which says how to
// build.
func init() {
	wxcrypto.RegisterKeyLoader("pkcs11", func(uri string) (stdcrypto.Signer, error) {
		s, err := Open(uri)
		if err != nil {
			return nil, err // not a typed nil *Signer
		}
		return s, nil
	})
}
