package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
)

// EncryptAESECB encrypts plaintext with AES-256-ECB and PKCS#7 padding and
// returns base64: the scheme of APIv2 refund notifications' req_info. ECB
// leaks equal blocks and has no integrity; it exists here only because that
// API uses it. key is 32 bytes, normally ECBKeyFromAPIv2Key(apiv2Key).
func EncryptAESECB(key, plaintext []byte) (string, error) {
	block, err := newECBCipher(key)
	if err != nil {
		return "", err
	}
	buf := pkcs7Pad(plaintext)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(buf), nil
}

// DecryptAESECB decrypts a base64 AES-256-ECB/PKCS#7 ciphertext, such as the
// req_info of an APIv2 refund notification, with the 32-byte key from
// ECBKeyFromAPIv2Key. A wrong key shows up as ErrPadding.
func DecryptAESECB(key []byte, ciphertext string) ([]byte, error) {
	block, err := newECBCipher(key)
	if err != nil {
		return nil, err
	}
	buf, err := decodeBlocks("AES-ECB", ciphertext)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Decrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return pkcs7Unpad(buf)
}

// ECBKeyFromAPIv2Key derives the req_info decryption key from the APIv2 key:
// the lower-case hex MD5 of the key, used as 32 ASCII bytes.
func ECBKeyFromAPIv2Key(apiv2Key []byte) []byte {
	sum := md5.Sum(apiv2Key)
	out := make([]byte, hex.EncodedLen(len(sum)))
	hex.Encode(out, sum[:])
	return out
}

func newECBCipher(key []byte) (cipher.Block, error) {
	if len(key) != 32 {
		return nil, wrapf(ErrKeySize, "AES-256-ECB needs a 32-byte key, got %d bytes: "+
			"use ECBKeyFromAPIv2Key(apiv2Key), the MD5-hex of the APIv2 key", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, wrap(ErrKeySize, err.Error(), err)
	}
	return block, nil
}
