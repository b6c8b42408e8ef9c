package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
)

// aesGCMTagSize is the authentication tag length WeChat Pay uses.
const aesGCMTagSize = 16

// EncryptAESGCM encrypts plaintext with AES-256-GCM and returns
// base64(ciphertext || 16-byte tag), the format of APIv3 notification
// resources and platform-certificate downloads. key is the 32-byte APIv3
// key; nonce is used as given (WeChat Pay sends 12-byte nonces; other
// lengths work too, as the PHP SDK's 16-byte IVs do); aad is the
// associated_data, possibly empty.
//
// Never reuse a nonce with the same key: GCM loses both confidentiality and
// integrity when a nonce repeats.
func EncryptAESGCM(key, nonce, plaintext, aad []byte) (string, error) {
	aead, err := newGCM(key, nonce)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(aead.Seal(nil, nonce, plaintext, aad)), nil
}

// DecryptAESGCM decrypts and authenticates a base64 AES-256-GCM ciphertext
// (ciphertext || tag), as found in an APIv3 notification's resource
// (resource.ciphertext, resource.nonce, resource.associated_data) with the
// APIv3 key.
func DecryptAESGCM(key, nonce []byte, ciphertext string, aad []byte) ([]byte, error) {
	aead, err := newGCM(key, nonce)
	if err != nil {
		return nil, err
	}
	raw, err := decodeCiphertext("AES-GCM", ciphertext)
	if err != nil {
		return nil, err
	}
	if len(raw) < aesGCMTagSize {
		return nil, wrapf(ErrCiphertext, "the AES-GCM ciphertext is %d bytes, shorter than its 16-byte tag: it was cut short", len(raw))
	}
	pt, err := aead.Open(nil, nonce, raw, aad)
	if err != nil {
		return nil, wrap(ErrCiphertext, "AES-GCM authentication failed: wrong APIv3 key, nonce or associated_data, or the ciphertext was altered")
	}
	return pt, nil
}

// newGCM checks the key and nonce and builds the AEAD.
func newGCM(key, nonce []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, wrapf(ErrKeySize, "AES-256-GCM needs the 32-byte APIv3 key, got %d bytes: "+
			"check the APIv3 key (not the APIv2 key) was copied whole", len(key))
	}
	if len(nonce) == 0 {
		return nil, wrap(ErrNonce, "empty AES-GCM nonce: pass the resource's nonce")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, wrap(ErrKeySize, err.Error(), err)
	}
	aead, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return nil, wrap(ErrNonce, err.Error(), err)
	}
	return aead, nil
}
