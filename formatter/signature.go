package formatter

import (
	"slices"
	"strings"
)

// AuthorizationScheme is the APIv3 authentication scheme: an SHA256-with-RSA
// signature by a 2048-bit merchant key.
const AuthorizationScheme = "WECHATPAY2-SHA256-RSA2048"

// Authorization returns the APIv3 Authorization header value for a signed
// request. The parameter order follows the PHP and Node SDKs; the fields are
// written in the order of the WeChat Pay documentation:
//
//	WECHATPAY2-SHA256-RSA2048 mchid="…",serial_no="…",timestamp="…",nonce_str="…",signature="…"
//
// The values are written as given: they are digits, base62 and base64 by
// construction, none of which needs quoting.
func Authorization(mchid, nonce, signature, timestamp, serial string) string {
	var b strings.Builder
	b.Grow(len(AuthorizationScheme) + 64 + len(mchid) + len(serial) + len(timestamp) + len(nonce) + len(signature))
	b.WriteString(AuthorizationScheme)
	b.WriteString(` mchid="`)
	b.WriteString(mchid)
	b.WriteString(`",serial_no="`)
	b.WriteString(serial)
	b.WriteString(`",timestamp="`)
	b.WriteString(timestamp)
	b.WriteString(`",nonce_str="`)
	b.WriteString(nonce)
	b.WriteString(`",signature="`)
	b.WriteString(signature)
	b.WriteByte('"')
	return b.String()
}

// Request returns the message an APIv3 request signature covers: the HTTP
// method, the path with its query, the timestamp, the nonce and the body,
// each followed by a line feed. A request without a body (GET, DELETE)
// passes "".
func Request(method, uri, timestamp, nonce, body string) string {
	return JoinedByLineFeed(method, uri, timestamp, nonce, body)
}

// Response returns the message an APIv3 response (or notification)
// signature covers: the Wechatpay-Timestamp and Wechatpay-Nonce headers and
// the body, each followed by a line feed. A response without a body
// (HTTP 204) passes "".
func Response(timestamp, nonce, body string) string {
	return JoinedByLineFeed(timestamp, nonce, body)
}

// JoinedByLineFeed writes each piece followed by a line feed ("\n"), the
// layout of every signed message; no pieces give "".
func JoinedByLineFeed(pieces ...string) string {
	n := len(pieces)
	for _, p := range pieces {
		n += len(p)
	}
	var b strings.Builder
	b.Grow(n)
	for _, p := range pieces {
		b.WriteString(p)
		b.WriteByte('\n')
	}
	return b.String()
}

// AppendRequest appends the bytes of Request to dst and returns the extended
// slice. It lets a client sign a request body it already holds as []byte
// without copying it into a string, reusing one buffer across requests.
func AppendRequest(dst []byte, method, uri, timestamp, nonce string, body []byte) []byte {
	dst = slices.Grow(dst, len(method)+len(uri)+len(timestamp)+len(nonce)+len(body)+5)
	dst = appendLines(dst, method, uri, timestamp, nonce)
	return append(append(dst, body...), '\n')
}

// AppendResponse appends the bytes of Response to dst and returns the
// extended slice, for verifying a response body held as []byte.
func AppendResponse(dst []byte, timestamp, nonce string, body []byte) []byte {
	dst = slices.Grow(dst, len(timestamp)+len(nonce)+len(body)+3)
	dst = appendLines(dst, timestamp, nonce)
	return append(append(dst, body...), '\n')
}

// appendLines appends each piece followed by a line feed.
func appendLines(dst []byte, pieces ...string) []byte {
	for _, p := range pieces {
		dst = append(append(dst, p...), '\n')
	}
	return dst
}
