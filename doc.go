// Package wechatpay is a client for WeChat Pay (微信支付) APIv3 and APIv2
// that reaches every endpoint by its path, as wechatpay-php does:
//
//	client, err := wechatpay.New(wechatpay.Config{
//		MchID:      "1900000109",
//		Serial:     "3775B6A45ACD588826D15E583A95F5DD********",
//		PrivateKey: "file:///path/to/merchant/apiclient_key.pem",
//		Certs: map[string]any{
//			"PUB_KEY_ID_0114232134912410000000000000": "file:///path/to/wechatpay/pub_key.pem",
//		},
//	})
//	res, err := client.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{
//		"transaction_id": "1217752501201407033233368018",
//		"query":          wechatpay.M{"mchid": "1900000109"},
//	})
//	fmt.Println(res.Get("trade_state").String())
//
// Every APIv3 request is signed (Authorization) and every answer verified
// (Wechatpay-Signature) before the call returns; APIv2 fields are signed
// (sign) and answers checked. The work is done by a middleware stack per
// protocol (package middleware) that can be customised.
//
// Calls are synchronous (Get, Post, …), bounded by a context (GetContext,
// …), or asynchronous (GetAsync, …) returning a Future. Options are given as
// an M, the Go form of a PHP options array, or as a typed Options.
//
// Errors are typed: *APIError for non-2xx answers, *V2Error for APIv2 FAIL
// codes, *VerifyError when an answer does not verify, *TransportError below
// HTTP, *OptionError and *ConfigError for bad input.
package wechatpay
