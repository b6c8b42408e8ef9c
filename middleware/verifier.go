package middleware

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
)

// MaxClockOffset is how far Wechatpay-Timestamp may be from the local clock.
const MaxClockOffset = 300 * time.Second

// The headers that carry WeChat Pay's signature of an answer or notification.
const (
	HeaderNonce         = "Wechatpay-Nonce"
	HeaderSerial        = "Wechatpay-Serial"
	HeaderSignature     = "Wechatpay-Signature"
	HeaderTimestamp     = "Wechatpay-Timestamp"
	HeaderStatementSha1 = "Wechatpay-Statement-Sha1"
)

const signTestPrefix = "WECHATPAY/SIGNTEST/"

// VerifySignature checks the WeChat Pay signature carried by the
// Wechatpay-* headers h over body, at local time now: the four headers
// present, the timestamp within MaxClockOffset, the serial known to keys, and
// RSA-SHA256 over TIMESTAMP\nNONCE\nBODY\n. A WECHATPAY/SIGNTEST/ probe never
// verifies. When keys knows the certificate's validity (Lookup), the
// signing time must fall within it. The error wraps one of
// ErrMissingHeaders, ErrSignTest, ErrClockSkew, ErrUnknownSerial,
// ErrCertificateExpired or ErrBadSignature.
//
// It serves both answers and notifications (回调通知).
func VerifySignature(keys KeyStore, h http.Header, body []byte, now time.Time) error {
	nonce, serial := h.Get(HeaderNonce), h.Get(HeaderSerial)
	signature, timestamp := h.Get(HeaderSignature), h.Get(HeaderTimestamp)
	if nonce == "" || serial == "" || signature == "" || timestamp == "" {
		return ErrMissingHeaders
	}
	if strings.HasPrefix(signature, signTestPrefix) {
		return ErrSignTest
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not a Unix time", ErrClockSkew, timestamp)
	}
	if limit := int64(MaxClockOffset / time.Second); !within(ts, now.Unix(), limit) {
		return fmt.Errorf("%w: %s is more than %ds from local time %d", ErrClockSkew, timestamp, limit, now.Unix())
	}
	pub, ok := keys.PublicKey(serial)
	if !ok {
		known := ""
		if k, ok := keys.(interface{ Serials() []string }); ok {
			known = fmt.Sprintf(" (known: %s)", strings.Join(k.Serials(), ", "))
		}
		return fmt.Errorf("%w: %q%s", ErrUnknownSerial, serial, known)
	}
	if l, ok := keys.(interface{ Lookup(string) (KeyInfo, bool) }); ok {
		if info, ok := l.Lookup(serial); ok && !info.ValidAt(time.Unix(ts, 0)) {
			return fmt.Errorf("%w: %s is valid from %s to %s", ErrCertificateExpired, serial,
				info.NotBefore.UTC().Format(time.RFC3339), info.NotAfter.UTC().Format(time.RFC3339))
		}
	}
	msg := formatter.AppendResponse(make([]byte, 0, 64+len(body)), timestamp, nonce, body)
	if v, ok := keys.(MessageVerifier); ok {
		err = v.VerifyMessage(serial, msg, signature)
	} else {
		err = crypto.Verify(pub, msg, signature)
	}
	if err != nil {
		return fmt.Errorf("%w (serial %s): %w", ErrBadSignature, serial, err)
	}
	return nil
}

// within reports whether a and b are at most max apart. The difference is
// taken in uint64, where it is exact for any two int64 values: a
// difference computed in int64 wraps around for far-apart values (a
// timestamp 2^63 seconds in the past would read as close).
func within(a, b, max int64) bool {
	if a < b {
		a, b = b, a
	}
	return uint64(a)-uint64(b) <= uint64(max)
}

// MessageVerifier is a KeyStore that checks signatures itself, such as one
// that verifies with OpenSSL. VerifySignature, and so the "verifier" step,
// calls VerifyMessage instead of crypto/rsa once the serial is known.
type MessageVerifier interface {
	KeyStore
	// VerifyMessage checks signature, the base64 Wechatpay-Signature
	// header, as an RSA PKCS#1 v1.5 SHA-256 signature of message by the key
	// of serial; it returns an error when the signature does not verify.
	VerifyMessage(serial string, message []byte, signature string) error
}

// Verifier returns the APIv3 "verifier" step: every 2xx answer must carry a
// valid WeChat Pay signature (see VerifySignature), or the call fails with a
// *VerifyError that still holds the answer.
//
// Two kinds of answer are treated differently, as WeChat Pay signs them
// differently:
//   - File downloads that WeChat Pay documents as unsigned (跳过验签) pass
//     unverified: bill and fund-flow files (/v3/billdownload/file),
//     merchant-service and complaint images (an ID after
//     /v3/merchant-service/images/ or /v3/global/merchant-service/images/),
//     transfer receipts and sign files, e-invoice files. Verify their
//     content with the hash given by the call that issued the download URL.
//     The paths are matched exactly, in their case: any other answer is
//     verified, so that a path written another way fails closed.
//   - Overseas statements (/v3/global/statements, and /v3/statements under
//     /hk/, as https://api.mch.weixin.qq.com/hk/v3/statements) that carry
//     Wechatpay-Statement-Sha1 are signed over
//     {"sha1":"<Wechatpay-Statement-Sha1>"}, and the body's SHA-1 must equal
//     that header, as wechatpay-php matches them. Every other answer is
//     verified over its body.
func Verifier(keys KeyStore) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			if req.Method == http.MethodGet && unsignedDownload(req.Pathname) {
				return next.Handle(ctx, req)
			}
			var digest hash.Hash
			statement := isStatement(req)
			if statement {
				digest = sha1.New()
				if req.Sink != nil {
					req.Sink = io.MultiWriter(req.Sink, digest)
				}
			}
			// A signed answer that goes to a sink is verified over the
			// bytes the sink received.
			var sunk *teeSink
			if req.Sink != nil && !statement {
				sunk = &teeSink{w: req.Sink}
				req.Sink = sunk
			}
			resp, err := next.Handle(ctx, req)
			if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
				return resp, err
			}
			body := resp.Body
			if sunk != nil {
				body = sunk.copy.Bytes()
			}
			want := resp.Header.Get(HeaderStatementSha1)
			if statement && want != "" {
				body = []byte(`{"sha1":"` + want + `"}`)
			}
			if err := VerifySignature(keys, resp.Header, body, time.Now()); err != nil {
				return nil, &VerifyError{Err: err, Response: resp}
			}
			if statement && want != "" {
				if req.Sink == nil {
					digest.Write(resp.Body)
				}
				if got := hex.EncodeToString(digest.Sum(nil)); !strings.EqualFold(got, want) {
					return nil, &VerifyError{Err: fmt.Errorf("%w: got %s, header %s", ErrDigestMismatch, got, want), Response: resp}
				}
			}
			return resp, nil
		})
	}
}

// teeSink passes an answer on to a sink and keeps a copy to verify. Signed
// answers are small JSON documents (the files WeChat Pay does not sign do
// not pass here), so the copy is bounded: a peer streaming more is refused
// rather than allowed to fill memory.
type teeSink struct {
	w    io.Writer
	copy bytes.Buffer
}

// maxSignedSink bounds the copy teeSink keeps.
const maxSignedSink = 32 << 20

// errSignedSinkTooLarge stops a signed answer larger than maxSignedSink.
var errSignedSinkTooLarge = fmt.Errorf("a signed answer larger than %d bytes cannot be verified", maxSignedSink)

// Write writes p to the sink and copies what it took.
func (t *teeSink) Write(p []byte) (int, error) {
	if t.copy.Len()+len(p) > maxSignedSink {
		return 0, errSignedSinkTooLarge
	}
	n, err := t.w.Write(p)
	t.copy.Write(p[:n])
	return n, err
}

// ExpectSize passes the answer's length on to the sink.
func (t *teeSink) ExpectSize(n int64) {
	if s, ok := t.w.(interface{ ExpectSize(int64) }); ok {
		s.ExpectSize(n)
	}
}

// unsignedDownload reports the APIv3 GET endpoints whose answer is a file
// that WeChat Pay does not sign.
func unsignedDownload(p string) bool {
	switch p {
	case "/v3/billdownload/file",
		"/v3/transferdownload/elecvoucherfile",
		"/v3/transferdownload/signfile",
		"/v3/new-tax-control-fapiao/download":
		return true
	}
	for _, prefix := range [...]string{"/v3/merchant-service/images/", "/v3/global/merchant-service/images/"} {
		if id, ok := strings.CutPrefix(p, prefix); ok && id != "" && id != "upload" {
			return true
		}
	}
	return false
}

// isStatement reports an overseas statement download: /v3/global/statements,
// or /v3/statements on a URL whose path ends in /hk/v3/statements (the base
// URL https://api.mch.weixin.qq.com/hk/). wechatpay-php matches the URL
// paths /hk/v3/statements and /v3/global/statements; the suffix keeps a
// base URL with a further prefix (a gateway's) working.
func isStatement(req *Request) bool {
	switch req.Pathname {
	case "/v3/global/statements":
		return true
	case "/v3/statements":
		return req.URL != nil && strings.HasSuffix(req.URL.Path, "/hk/v3/statements")
	}
	return false
}
