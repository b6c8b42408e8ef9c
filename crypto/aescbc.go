package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
)

// EncryptAESCBC encrypts plaintext with AES-128-CBC and PKCS#7 padding and
// returns base64. It is the counterpart of DecryptAESCBC, mainly for tests
// and tools; key and iv are 16 bytes each.
func EncryptAESCBC(key, iv, plaintext []byte) (string, error) {
	block, err := newCBCCipher(key, iv)
	if err != nil {
		return "", err
	}
	buf := pkcs7Pad(plaintext)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}

// DecryptAESCBC decrypts a base64 AES-128-CBC/PKCS#7 ciphertext: the
// encryptedData of WeChat mini-programs (wx.getUserInfo, phone numbers),
// where key is the base64-decoded 16-byte session_key and iv the decoded iv.
// Always check the decrypted watermark.appid afterwards: CBC has no
// integrity of its own.
func DecryptAESCBC(key, iv []byte, ciphertext string) ([]byte, error) {
	block, err := newCBCCipher(key, iv)
	if err != nil {
		return nil, err
	}
	buf, err := decodeBlocks("AES-CBC", ciphertext)
	if err != nil {
		return nil, err
	}
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(buf, buf)
	return pkcs7Unpad(buf)
}

func newCBCCipher(key, iv []byte) (cipher.Block, error) {
	if len(key) != 16 {
		// Only AES-128: a 24-byte key is most likely a session_key still in base64.
		return nil, wrapf(ErrKeySize, "AES-128-CBC needs a 16-byte key, got %d bytes: base64-decode the session_key first", len(key))
	}
	if len(iv) != aes.BlockSize {
		return nil, wrapf(ErrNonce, "AES-CBC needs a 16-byte iv, got %d bytes: base64-decode the iv first", len(iv))
	}
	return aes.NewCipher(key)
}
