package crypto

import (
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sign signs message with SHA256-RSA (RSASSA-PKCS1-v1_5) and returns the
// base64 signature: the APIv3 Authorization signature, and the paySign of
// JSAPI/APP/mini-program payments.
//
// signer is any crypto.Signer whose public key is RSA: an *rsa.PrivateKey
// from LoadPrivateKey, or a KMS/HSM handle that never exposes the key.
func Sign(signer stdcrypto.Signer, message []byte) (string, error) {
	if signer == nil {
		return "", wrap(ErrInvalidKey, "nil signer: load the merchant private key with LoadPrivateKey")
	}
	if key, ok := signer.(*rsa.PrivateKey); ok && key == nil {
		return "", wrap(ErrInvalidKey, "nil *rsa.PrivateKey: load the merchant private key with LoadPrivateKey")
	}
	if _, ok := signer.Public().(*rsa.PublicKey); !ok {
		return "", wrapf(ErrInvalidKey, "the signer holds %s, but WeChat Pay signatures are SHA256-RSA", keyKind(signer.Public()))
	}
	digest := sha256.Sum256(message)
	sig, err := signer.Sign(rand.Reader, digest[:], stdcrypto.SHA256)
	if err != nil {
		return "", wrap(ErrInvalidKey, fmt.Sprintf("signing with the merchant key failed: %v", err), err)
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

// Verify checks a base64 SHA256-RSA signature over message: the
// Wechatpay-Signature of APIv3 responses and notifications, checked with the
// platform public key or certificate key. It returns nil when the signature
// is valid and an error matching ErrVerification otherwise (ErrInvalidKey
// for a nil key).
func Verify(pub *rsa.PublicKey, message []byte, signature string) error {
	if pub == nil || pub.N == nil {
		return wrap(ErrInvalidKey, "nil public key: load the platform public key or certificate first")
	}
	if signature == "" {
		return wrap(ErrVerification, "empty signature")
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		return wrap(ErrVerification, fmt.Sprintf("the signature is not standard base64 (%v)", err), err)
	}
	digest := sha256.Sum256(message)
	if err := rsa.VerifyPKCS1v15(pub, stdcrypto.SHA256, digest[:], sig); err != nil {
		return wrap(ErrVerification, "the signature does not match the message and public key: "+
			"check the Wechatpay-Serial picks the right platform key and the message is byte-for-byte what was signed", err)
	}
	return nil
}

// EncryptOAEP encrypts a sensitive field (names, ID numbers, phone numbers)
// for WeChat Pay with RSAES-OAEP using SHA-1 for both the hash and MGF1, as
// WeChat Pay requires, and returns base64. Use the platform public key, and
// send its serial in the Wechatpay-Serial header.
func EncryptOAEP(pub *rsa.PublicKey, plaintext []byte) (string, error) {
	if pub == nil {
		return "", wrap(ErrInvalidKey, "nil public key: load the platform public key or certificate first")
	}
	out, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, pub, plaintext, nil)
	if err != nil {
		return "", encryptError(pub, len(plaintext), 2*sha1.Size+2, err)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// DecryptOAEP decrypts a base64 RSAES-OAEP (SHA-1) ciphertext that WeChat
// Pay encrypted with the merchant certificate's public key. priv is an
// *rsa.PrivateKey or any crypto.Decrypter for an RSA key.
func DecryptOAEP(priv stdcrypto.Decrypter, ciphertext string) ([]byte, error) {
	if priv == nil {
		return nil, wrap(ErrInvalidKey, "nil decrypter: load the merchant private key with LoadPrivateKey")
	}
	if key, ok := priv.(*rsa.PrivateKey); ok && key == nil {
		return nil, wrap(ErrInvalidKey, "nil *rsa.PrivateKey: load the merchant private key with LoadPrivateKey")
	}
	if _, ok := priv.Public().(*rsa.PublicKey); !ok {
		return nil, wrapf(ErrInvalidKey, "the decrypter holds %s, but WeChat Pay encrypts with RSA", keyKind(priv.Public()))
	}
	if ciphertext == "" {
		return nil, wrap(ErrCiphertext, "empty ciphertext")
	}
	ct, err := decodeCiphertext("RSA-OAEP", ciphertext)
	if err != nil {
		return nil, err
	}
	pt, err := priv.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: stdcrypto.SHA1, MGFHash: stdcrypto.SHA1})
	if err != nil {
		// One fixed message whatever went wrong: distinguishing causes would
		// help a padding-oracle attacker.
		return nil, wrap(ErrCiphertext, "RSA-OAEP decryption failed: the ciphertext was not made for this private key, "+
			"is not OAEP/SHA-1, or is damaged")
	}
	return pt, nil
}

// LegacyEncryptPKCS1v15 encrypts with RSAES-PKCS1-v1_5 and returns base64.
//
// Only for the older endpoints that still require it (some global/overseas
// and APIv2 APIs, which the PHP SDK also serves this way). PKCS#1 v1.5
// encryption is malleable and its decryption is exposed to Bleichenbacher
// padding-oracle attacks; that is why this package offers no matching
// decryption (wechatpay-php's Rsa::decrypt still takes OPENSSL_PKCS1_PADDING
// as an opt-in). Use EncryptOAEP wherever the API accepts OAEP.
func LegacyEncryptPKCS1v15(pub *rsa.PublicKey, plaintext []byte) (string, error) {
	if pub == nil {
		return "", wrap(ErrInvalidKey, "nil public key: load the platform public key or certificate first")
	}
	// Deprecated in the standard library for the reasons above; kept behind
	// this explicitly named function because those APIs require it.
	out, err := rsa.EncryptPKCS1v15(rand.Reader, pub, plaintext) //nolint:staticcheck // required by legacy APIs
	if err != nil {
		return "", encryptError(pub, len(plaintext), 11, err)
	}
	return base64.StdEncoding.EncodeToString(out), nil
}

// encryptError explains an RSA encryption failure; overhead is the padding's
// size in bytes, which bounds the plaintext.
func encryptError(pub *rsa.PublicKey, n, overhead int, err error) error {
	if errors.Is(err, rsa.ErrMessageTooLong) {
		return wrap(ErrKeySize, fmt.Sprintf("plaintext of %d bytes is too long for a %d-bit RSA key (at most %d bytes)",
			n, pub.Size()*8, pub.Size()-overhead), err)
	}
	return wrap(ErrInvalidKey, fmt.Sprintf("RSA encryption failed: %v", err), err)
}
