package remotesign_test

import (
	stdcrypto "crypto"
	"testing"

	"github.com/wechatpay-go/wechatpay/crypto"
)

// BenchmarkNativeOrder is one APIv3 call signed with the merchant key in
// the process (local) and by a signing service over loopback HTTP
// (remote), WeChat Pay and the service both in this process: the
// difference is what the service's round trip adds to a call (see
// docs/performance.md).
func BenchmarkNativeOrder(b *testing.B) {
	srv, svc := setup(b)
	key, err := crypto.ParsePrivateKey(srv.Merchant.KeyPEM())
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name   string
		remote bool
	}{{"local", false}, {"remote", true}} {
		b.Run(bc.name, func(b *testing.B) {
			var signer stdcrypto.Signer = key
			if bc.remote {
				signer = newSigner(srv, svc)
			}
			c := newClient(b, srv, signer)
			b.ReportAllocs()
			for b.Loop() {
				res, err := nativeOrder(c, 0)
				if err != nil {
					b.Fatal(err)
				}
				if res.Get("code_url").String() == "" {
					b.Fatalf("no code_url: %s", res.Body)
				}
			}
		})
	}
}
