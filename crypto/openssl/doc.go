// Package openssl signs and verifies WeChat Pay's RSA signatures
// (SHA256-RSA2048, PKCS#1 v1.5) with the system's OpenSSL libcrypto through
// cgo, about three times as fast as crypto/rsa signs.
//
// It is opt-in: the binding is built only with the "openssl" build tag and
// cgo, and links libcrypto (found with pkg-config):
//
//	apt-get install libssl-dev pkg-config   # Debian, Ubuntu
//	go build -tags openssl ./...
//
// Without the tag, or with CGO_ENABLED=0, the package still compiles and
// its constructors return ErrUnavailable, so code can fall back to
// crypto/rsa:
//
//	key, err := openssl.NewPrivateKey(rsaKey)
//	if err != nil { // ErrUnavailable, or a key OpenSSL refused
//		cfg.PrivateKey = rsaKey
//	} else {
//		defer key.Close()
//		cfg.PrivateKey = key
//	}
//
// A PrivateKey is a crypto.Signer, so wechatpay.Config.PrivateKey takes it;
// its key stays inside OpenSSL until Close. Its signatures are byte for
// byte those of crypto/rsa, as PKCS#1 v1.5 signatures are deterministic.
//
// Errors from OpenSSL carry OpenSSL's error string, and never any key
// material.
package openssl
