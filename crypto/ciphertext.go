package crypto

import (
	"crypto/aes"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
)

// decodeCiphertext decodes standard base64 ciphertext; what names the
// scheme for the message ("AES-GCM", "RSA-OAEP", ...).
func decodeCiphertext(what, s string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, wrap(ErrCiphertext, fmt.Sprintf("the %s ciphertext is not standard base64 (%v)", what, err), err)
	}
	return b, nil
}

// decodeBlocks decodes base64 ciphertext of a block mode (ECB, CBC), which
// must be a positive number of whole AES blocks.
func decodeBlocks(what, s string) ([]byte, error) {
	b, err := decodeCiphertext(what, s)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return nil, wrapf(ErrCiphertext, "the %s ciphertext is %d bytes, not a positive multiple of 16: it was cut short or altered", what, len(b))
	}
	return b, nil
}

// pkcs7Pad appends PKCS#7 padding for the AES block size: always 1 to 16
// bytes, so a plaintext that fills whole blocks gets a full extra block (as
// OpenSSL, and so the PHP SDK and WeChat Pay, do).
func pkcs7Pad(b []byte) []byte {
	n := aes.BlockSize - len(b)%aes.BlockSize
	out := make([]byte, len(b)+n)
	copy(out, b)
	for i := len(b); i < len(out); i++ {
		out[i] = byte(n)
	}
	return out
}

// pkcs7Unpad strips PKCS#7 padding, checking every padding byte. The check
// runs over the whole last block without early exit.
func pkcs7Unpad(b []byte) ([]byte, error) {
	if len(b) == 0 || len(b)%aes.BlockSize != 0 {
		return nil, wrap(ErrPadding, "decrypted data is not a whole number of blocks")
	}
	n := int(b[len(b)-1])
	good := subtle.ConstantTimeLessOrEq(1, n) & subtle.ConstantTimeLessOrEq(n, aes.BlockSize)
	last := b[len(b)-aes.BlockSize:]
	for i := range aes.BlockSize {
		inPad := subtle.ConstantTimeLessOrEq(aes.BlockSize-n, i)
		match := subtle.ConstantTimeByteEq(last[i], byte(n))
		good &= subtle.ConstantTimeSelect(inPad, match, 1)
	}
	if good != 1 {
		return nil, wrap(ErrPadding, "PKCS#7 padding does not check out after decryption: the key is most likely wrong")
	}
	return b[:len(b)-n], nil
}
