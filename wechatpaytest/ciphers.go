package wechatpaytest

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
)

// sealAESGCM encrypts with AES-256-GCM and returns base64 of the
// ciphertext and tag, the form of WeChat Pay's ciphertext fields
// (downloaded certificates, notification resources).
func sealAESGCM(key, nonce, plaintext, aad []byte) (string, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", err
	}
	gcm, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(gcm.Seal(nil, nonce, plaintext, aad)), nil
}

// encryptReqInfo encrypts an APIv2 refund notification's req_info as WeChat
// Pay does: AES-256-ECB keyed with the lowercase hex MD5 of the APIv2 key,
// PKCS#7 padding, base64.
func encryptReqInfo(plaintext []byte, secret string) (string, error) {
	sum := md5.Sum([]byte(secret))
	block, err := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(plaintext)%aes.BlockSize
	buf := append(append([]byte(nil), plaintext...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	for i := 0; i < len(buf); i += aes.BlockSize {
		block.Encrypt(buf[i:i+aes.BlockSize], buf[i:i+aes.BlockSize])
	}
	return base64.StdEncoding.EncodeToString(buf), nil
}
