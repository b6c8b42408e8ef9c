// Package wechatpaytest is a fake WeChat Pay on the loopback interface, for
// testing code that calls WeChat Pay, in the spirit of net/http/httptest.
//
// A Server generates its own merchant key and certificate, a platform key
// with its certificate, a WeChat Pay public key (PUB_KEY_ID_…), an APIv2 key
// and an APIv3 key, and hands out a ready client Config. It checks every
// request the way WeChat Pay does, with its own code rather than the
// client's: the APIv3 Authorization signature over the exact bytes
// received, or the APIv2 sign. It signs every answer as WeChat Pay does.
//
//	srv := wechatpaytest.NewServer()
//	defer srv.Close()
//	srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
//		return wechatpaytest.JSON(200, map[string]any{"transaction_id": r.Vars["transaction_id"]})
//	})
//	client, _ := wechatpay.New(srv.Config())
package wechatpaytest
