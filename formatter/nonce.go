package formatter

import (
	"crypto/rand"
	"fmt"
)

// base62 is the nonce alphabet: digits, upper case, lower case.
const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// nonceCutoff is the largest multiple of 62 that a byte can hold (4*62).
// Random bytes at or above it are drawn again, so that b%62 hits every
// character of base62 with the same odds.
const nonceCutoff = 248

// DefaultNonceLength is the length Nonce uses, the one both WeChat Pay API
// generations accept for nonce_str.
const DefaultNonceLength = 32

// Nonce returns a fresh 32-character base62 string from crypto/rand, for the
// APIv3 Authorization header and the APIv2 nonce_str field.
//
// Unlike the Node SDK, which maps each random byte with i%62 and so favours
// the first eight characters (256 is not a multiple of 62), bytes of 248 and
// above are rejected and drawn again: every character is equally likely.
func Nonce() string {
	s, _ := NonceN(DefaultNonceLength) // cannot fail for a positive length
	return s
}

// NonceN returns a fresh base62 string of n characters, drawn like Nonce.
// n below 1 returns an error matching ErrNonceLength.
func NonceN(n int) (string, error) {
	if n < 1 {
		return "", fmt.Errorf("%w, got %d", ErrNonceLength, n)
	}
	out := make([]byte, n)
	var pool [64]byte
	for filled := 0; filled < n; {
		// About 3% of bytes are rejected; ask for a little more than needed.
		want := min(len(pool), n-filled+(n-filled)/16+1)
		rand.Read(pool[:want]) // never returns an error (Go 1.24+)
		for _, b := range pool[:want] {
			if b >= nonceCutoff {
				continue
			}
			out[filled] = base62[b%62]
			filled++
			if filled == n {
				break
			}
		}
	}
	return string(out), nil
}
