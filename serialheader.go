package wechatpay

import (
	"context"
	"time"

	"github.com/wechatpay-go/wechatpay/middleware"
)

// stepSerial names the APIv3 step that sets the Wechatpay-Serial request
// header. It sits just outside "signer", so that it stays when the signer
// is replaced, and a caller may Remove it by this name.
const stepSerial = "wechatpay_serial"

// serialHeader returns the stepSerial step. A request without a
// Wechatpay-Serial header gets the one naming the key the client verifies
// and encrypts with, as NewSensitiveEncrypter picks it: the WeChat Pay
// public key ID when one is configured, else the serial of the newest
// platform certificate valid now. WeChat Pay's documentation asks some 115
// endpoints for the header (orders, profit sharing receivers, transfers…)
// and refuses them without it; it names the key WeChat Pay answers and
// reads encrypted fields with, so the client's own key is the right one.
//
// A header the caller set wins: a SensitiveEncrypter sets the key it
// encrypted with, which during a certificate rotation may be another. With
// no key to name (every platform certificate expired), none is set.
func serialHeader(keys *middleware.Keys) middleware.Middleware {
	return func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			if req.Header.Get(middleware.HeaderSerial) == "" {
				if k, ok := encryptionKey(keys.All(), time.Now()); ok {
					req.Header.Set(middleware.HeaderSerial, k.Serial)
				}
			}
			return next.Handle(ctx, req)
		})
	}
}
