// Package crypto holds the cryptography WeChat Pay (微信支付) APIv2 and APIv3
// need: loading merchant keys and platform certificates, SHA256-RSA request
// and response signatures, RSA-OAEP for sensitive fields, AES-256-GCM for
// APIv3 notifications, AES-256-ECB for APIv2 refund notifications, the APIv2
// MD5/HMAC-SHA256 signs, and a Secret type that keeps API keys out of logs.
//
// It uses only the Go standard library, and follows the official PHP SDK
// (wechatpay-php, WeChatPay\Crypto and WeChatPay\Util) and its Node sibling
// (wechatpay-axios-plugin, lib/rsa.js, aes.js, hash.js) in behaviour and
// test vectors. Counterparts, Go: PHP; Node:
//
//	LoadPrivateKey, ParsePrivateKey:
//	    Rsa::from($thing, Rsa::KEY_TYPE_PRIVATE), Rsa::fromPkcs1, Rsa::fromPkcs8,
//	    PemUtil::loadPrivateKey, PemUtil::loadPrivateKeyFromString;
//	    Rsa.from(thing, 'private'), Rsa.fromPkcs1, Rsa.fromPkcs8
//	LoadPublicKey, ParsePublicKey:
//	    Rsa::from($thing, Rsa::KEY_TYPE_PUBLIC), Rsa::fromSpki, Rsa::fromPkcs1($thing, 'public');
//	    Rsa.from(thing, 'public'), Rsa.fromSpki, Rsa.fromPkcs1(thing, 'public')
//	PKCS1ToSPKI:           Rsa::pkcs1ToSpki; -
//	LoadCertificate, ParseCertificate:
//	    PemUtil::loadCertificate, PemUtil::loadCertificateFromString; -
//	CertificateSerial:     PemUtil::parseCertificateSerialNo; -
//	CheckValidity:         (openssl_x509_parse validFrom_time_t/validTo_time_t); -
//	Sign, Verify:          Rsa::sign, Rsa::verify; Rsa.sign, Rsa.verify
//	EncryptOAEP, DecryptOAEP:
//	    Rsa::encrypt, Rsa::decrypt; Rsa.encrypt, Rsa.decrypt
//	LegacyEncryptPKCS1v15: Rsa::encrypt($p, $k, OPENSSL_PKCS1_PADDING); - (Rsa.encrypt takes OAEP only)
//	EncryptAESGCM, DecryptAESGCM:
//	    AesGcm::encrypt, AesGcm::decrypt; Aes.AesGcm.encrypt, Aes.AesGcm.decrypt
//	EncryptAESECB, DecryptAESECB:
//	    AesEcb::encrypt, AesEcb::decrypt; Aes.AesEcb.encrypt, Aes.AesEcb.decrypt
//	ECBKeyFromAPIv2Key:    Hash::md5($apiv2Key); Hash.md5(apiv2Key)
//	EncryptAESCBC, DecryptAESCBC:
//	    -; Aes.AesCbc.encrypt, Aes.AesCbc.decrypt
//	MD5, HMACSHA256:       Hash::md5, Hash::hmac; Hash.md5, Hash.hmac
//	HashSign:              Hash::sign; Hash.sign
//	Equal:                 Hash::equals; Hash.equals
//	Secret:                (#[\SensitiveParameter] on PHP parameters); -
//
// Where this package deliberately differs:
//
//   - Errors instead of silent results: HashSign rejects unknown sign types
//     with ErrSignType (PHP returns null), bad PKCS#7 padding is ErrPadding
//     (Node hands back the still-padded bytes), and malformed base64 is an
//     error (PHP's base64_decode skips bad characters).
//   - AES-ECB always pads, as OpenSSL and so PHP and WeChat Pay do; the Node
//     SDK skips the padding block when the plaintext fills whole blocks.
//   - There is no PKCS#1 v1.5 decryption (Bleichenbacher); encryption is
//     only under the explicitly named LegacyEncryptPKCS1v15.
//   - Password-protected private keys are refused with advice to decrypt
//     them first (PHP accepts a [key, passphrase] pair).
//   - MD5 treats only an empty key as "no key"; PHP's Hash::md5 also skips
//     the key "0", which PHP considers false.
//   - Error messages never include key material, PEM text, API keys or
//     plaintext.
//
// LoadSigner loads the merchant key as a crypto.Signer, and opens keys named
// by a URI whose scheme a package registered with RegisterKeyLoader: the
// "pkcs11:" URIs of keys in an HSM, once crypto/pkcs11 is imported. This
// package itself stays pure Go.
//
// All errors wrap one of the Err* sentinels; match them with errors.Is.
package crypto
