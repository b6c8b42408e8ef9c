package middleware

import (
	"context"
	stdcrypto "crypto"
	"strconv"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
)

// Signer returns the APIv3 "signer" step: it adds the Authorization header
// (WECHATPAY2-SHA256-RSA2048) signed with the merchant's key over
//
//	METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n
//
// where TARGET and BODY are exactly the bytes the transport sends: the
// escaped path and query, and Body (empty for a GET). key may be an
// *rsa.PrivateKey or any crypto.Signer, such as a KMS or HSM key.
func Signer(mchid, serial string, key stdcrypto.Signer) Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			nonce := formatter.Nonce()
			ts := strconv.FormatInt(formatter.Timestamp(), 10)
			msg := formatter.AppendRequest(make([]byte, 0, 160+len(req.Body)),
				req.Method, req.Target(), ts, nonce, req.Body)
			sig, err := crypto.Sign(key, msg)
			if err != nil {
				return nil, &SignError{Err: err}
			}
			req.Header.Set("Authorization", formatter.Authorization(mchid, nonce, sig, ts, serial))
			return next.Handle(ctx, req)
		})
	}
}
