// Package crypto holds the cryptography WeChat Pay (微信支付) APIv2 and APIv3
// need: loading merchant keys and platform certificates, SHA256-RSA request
// and response signatures, RSA-OAEP for sensitive fields, AES-256-GCM for
// APIv3 notifications, AES-256-ECB for APIv2 refund notifications, the APIv2
// MD5/HMAC-SHA256 signs, and a Secret type that keeps API keys out of logs.
//
// It uses only the Go standard library, and follows the official PHP SDK
// (wechatpay-php) and its Node sibling (wechatpay-axios-plugin) in
// behaviour and test vectors:
//
//	Go                       PHP (WeChatPay\...)                    Node (wechatpay-axios-plugin lib/)
//	LoadPrivateKey           Crypto\Rsa::from($k, 'private'),       rsa.js Rsa.from(k, 'private'),
//	                         Util\PemUtil::loadPrivateKey[FromString]  Rsa.fromPkcs1/fromPkcs8
//	ParsePrivateKey          openssl_pkey_get_private               crypto.createPrivateKey
//	LoadPublicKey            Crypto\Rsa::from($k, 'public'),        rsa.js Rsa.from(k, 'public'),
//	                         Rsa::fromSpki/fromPkcs1                  Rsa.fromSpki/fromPkcs1
//	ParsePublicKey           openssl_pkey_get_public                crypto.createPublicKey
//	PKCS1ToSPKI              Crypto\Rsa::pkcs1ToSpki                -
//	LoadCertificate          Util\PemUtil::loadCertificate[FromString]  (X509Certificate)
//	ParseCertificate         openssl_x509_read                      -
//	CertificateSerial        Util\PemUtil::parseCertificateSerialNo -
//	CheckValidity            (openssl_x509_parse validFrom/validTo) -
//	Sign                     Crypto\Rsa::sign                       rsa.js Rsa.sign
//	Verify                   Crypto\Rsa::verify                     rsa.js Rsa.verify
//	EncryptOAEP              Crypto\Rsa::encrypt                    rsa.js Rsa.encrypt
//	DecryptOAEP              Crypto\Rsa::decrypt                    rsa.js Rsa.decrypt
//	LegacyEncryptPKCS1v15    Rsa::encrypt(.., OPENSSL_PKCS1_PADDING) Rsa.encrypt(.., RSA_PKCS1_PADDING)
//	EncryptAESGCM            Crypto\AesGcm::encrypt                 aes.js AesGcm.encrypt
//	DecryptAESGCM            Crypto\AesGcm::decrypt                 aes.js AesGcm.decrypt
//	EncryptAESECB            Crypto\AesEcb::encrypt                 aes.js AesEcb.encrypt
//	DecryptAESECB            Crypto\AesEcb::decrypt                 aes.js AesEcb.decrypt
//	ECBKeyFromAPIv2Key       Hash::md5($apiv2Key)                   Hash.md5(apiv2Key)
//	EncryptAESCBC            -                                      aes.js AesCbc.encrypt
//	DecryptAESCBC            -                                      aes.js AesCbc.decrypt
//	MD5                      Crypto\Hash::md5                       hash.js Hash.md5
//	HMACSHA256               Crypto\Hash::hmac                      hash.js Hash.hmac
//	HashSign                 Crypto\Hash::sign                      hash.js Hash.sign
//	Equal                    Crypto\Hash::equals                    hash.js Hash.equals
//	Secret                   (#[\SensitiveParameter])               -
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
//   - Error messages never include key material, PEM text or API keys (PHP's
//     Rsa::from quotes its input when it fails).
//
// All errors wrap one of the Err* sentinels; match them with errors.Is.
package crypto
