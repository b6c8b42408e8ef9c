package crypto

import (
	"crypto/aes"
	"crypto/subtle"
)

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
