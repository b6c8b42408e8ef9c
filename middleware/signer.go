package middleware

import (
	"context"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/wechatpay-go/wechatpay/formatter"
)

// ContextSigner is a crypto.Signer whose signing can be bounded by a
// context, such as a cloud KMS or HSM client that makes a network call. The
// "signer" step prefers SignContext to Sign, passing the call's context, so
// that a slow signer is bounded by the call's deadline (Config.Timeout, a
// call's Options.Timeout or its context).
//
// SignContext has the contract of crypto.Signer's Sign: digest is the
// SHA-256 hash of the string to sign, opts is crypto.SHA256, and the answer
// is an RSA PKCS#1 v1.5 signature.
type ContextSigner interface {
	stdcrypto.Signer
	SignContext(ctx context.Context, rand io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error)
}

// MessageSigner is a crypto.Signer that signs the whole string to sign
// rather than its digest, such as a central signing service (签名服务) that
// checks what it signs, or a signer that hashes the message itself. The
// "signer" step prefers SignMessage to SignContext and Sign.
//
// SignMessage returns the RSA PKCS#1 v1.5 signature, with SHA-256, of
// message (METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n). It should give up when
// ctx is done.
type MessageSigner interface {
	stdcrypto.Signer
	SignMessage(ctx context.Context, message []byte) ([]byte, error)
}

// errNoKey is the cause of the SignError of a Signer step without a key.
var errNoKey = errors.New("no merchant private key")

// Signer returns the APIv3 "signer" step: it adds the Authorization header
// (WECHATPAY2-SHA256-RSA2048) signed with the merchant's key over
//
//	METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n
//
// where TARGET and BODY are exactly the bytes the transport sends: the
// escaped path and query, and Body (empty for a GET). key may be an
// *rsa.PrivateKey or any crypto.Signer, such as a KMS or HSM key; a
// MessageSigner or a ContextSigner is used through SignMessage or
// SignContext under the call's context.
//
// When the key fails, or the call's context ends before the signature is
// made, the call fails with a *SignError wrapping the cause (for example
// context.DeadlineExceeded) and nothing is sent.
func Signer(mchid, serial string, key stdcrypto.Signer) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			nonce := formatter.Nonce()
			ts := strconv.FormatInt(formatter.Timestamp(), 10)
			msg := formatter.AppendRequest(make([]byte, 0, 160+len(req.Body)),
				req.Method, req.Target(), ts, nonce, req.Body)
			sig, err := signMessage(ctx, key, msg)
			if err != nil {
				return nil, &SignError{Err: err}
			}
			req.Header.Set("Authorization", authorization(mchid, nonce, sig, ts, serial))
			return next.Handle(ctx, req)
		})
	}
}

// signMessage signs msg with key in the most direct way key offers, and
// fails when ctx ended before the signature was made, so that a signature
// that came too late is never used.
func signMessage(ctx context.Context, key stdcrypto.Signer, msg []byte) ([]byte, error) {
	if key == nil {
		return nil, errNoKey
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var sig []byte
	var err error
	switch k := key.(type) {
	case MessageSigner:
		sig, err = k.SignMessage(ctx, msg)
	case ContextSigner:
		digest := sha256.Sum256(msg)
		sig, err = k.SignContext(ctx, rand.Reader, digest[:], stdcrypto.SHA256)
	default:
		digest := sha256.Sum256(msg)
		sig, err = key.Sign(rand.Reader, digest[:], stdcrypto.SHA256)
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		if err == nil || !errors.Is(err, ctxErr) {
			return nil, joinCause(ctxErr, err)
		}
	}
	if err == nil && len(sig) == 0 {
		err = fmt.Errorf("the %T signer returned an empty signature", key)
	}
	return sig, err
}

// joinCause returns ctxErr, with err as a second cause when there is one.
func joinCause(ctxErr, err error) error {
	if err == nil {
		return ctxErr
	}
	return fmt.Errorf("%w: %w", ctxErr, err)
}

// authorization is formatter.Authorization with the signature encoded in
// place, in a buffer on the stack: one allocation, the header's.
func authorization(mchid, nonce string, sig []byte, ts, serial string) string {
	var buf [768]byte
	b := append(buf[:0], formatter.AuthorizationScheme...)
	b = append(b, ` mchid="`...)
	b = append(b, mchid...)
	b = append(b, `",serial_no="`...)
	b = append(b, serial...)
	b = append(b, `",timestamp="`...)
	b = append(b, ts...)
	b = append(b, `",nonce_str="`...)
	b = append(b, nonce...)
	b = append(b, `",signature="`...)
	b = base64.StdEncoding.AppendEncode(b, sig)
	b = append(b, '"')
	return string(b)
}
