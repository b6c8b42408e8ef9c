package crypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"strings"
)

// APIv2 sign_type values accepted by HashSign.
const (
	SignTypeMD5        = "MD5"
	SignTypeHMACSHA256 = "HMAC-SHA256"
)

// MD5 returns the lower-case hex MD5 of data followed by "&key=" and key,
// the APIv2 MD5 signature before upper-casing. With agency set the suffix is
// "&secret=" (WeChat Work's enterprise payments). With an empty key it is
// the plain MD5 of data.
func MD5(data, key []byte, agency bool) string {
	h := md5.New()
	h.Write(data)
	if len(key) > 0 {
		if agency {
			h.Write([]byte("&secret="))
		} else {
			h.Write([]byte("&key="))
		}
		h.Write(key)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// HMACSHA256 returns the lower-case hex HMAC-SHA256, keyed with key, of data
// followed by "&key=" and key: the APIv2 HMAC-SHA256 signature before
// upper-casing. (WeChat Pay appends the key even though it also keys the
// HMAC.)
func HMACSHA256(data, key []byte) string {
	h := hmac.New(sha256.New, key)
	h.Write(data)
	h.Write([]byte("&key="))
	h.Write(key)
	return hex.EncodeToString(h.Sum(nil))
}

// HashSign computes the APIv2 sign of data, the k=v&... string of the
// request's non-empty fields sorted by name, with the APIv2 key: upper-case
// hex of MD5 or HMAC-SHA256 according to signType, which must be exactly
// SignTypeMD5 or SignTypeHMACSHA256. Anything else is ErrSignType (the PHP
// SDK returns no sign there, which only fails later at WeChat Pay).
func HashSign(signType string, data, key []byte) (string, error) {
	switch signType {
	case SignTypeMD5:
		return strings.ToUpper(MD5(data, key, false)), nil
	case SignTypeHMACSHA256:
		return strings.ToUpper(HMACSHA256(data, key)), nil
	}
	for _, t := range []string{SignTypeMD5, SignTypeHMACSHA256} {
		if strings.EqualFold(signType, t) {
			return "", wrapf(ErrSignType, "sign types are case-sensitive: write %q", t)
		}
	}
	// Long values are not echoed: a swapped argument could be the 32-byte
	// APIv2 key.
	shown := fmt.Sprintf("%q", signType)
	if len(signType) > 16 {
		shown = fmt.Sprintf("of %d bytes", len(signType))
	}
	return "", wrapf(ErrSignType, "sign type %s is neither %q nor %q", shown, SignTypeMD5, SignTypeHMACSHA256)
}

// Equal compares two signatures in constant time (for equal lengths), so
// checking a notification's sign does not leak how much of it matched.
func Equal(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
