// Package wechatpaytest is a fake WeChat Pay on the loopback interface, for
// testing code that calls WeChat Pay, in the spirit of net/http/httptest.
//
// A Server generates its own merchant key and certificate, a platform key
// with its certificate, a WeChat Pay public key (PUB_KEY_ID_…), an APIv2 key
// and an APIv3 key, and hands out a ready client Config. It checks every
// request the way WeChat Pay does, with its own code rather than the
// client's: the APIv3 Authorization signature over the exact bytes
// received (the meta JSON of an upload), or the APIv2 sign. It signs every
// answer as WeChat Pay does.
//
// It knows every endpoint of the SDK's endpoint catalog, whatever host the
// catalog puts it on (api, apihk, fraud, payapp, the /hk/ and /global/
// paths): it checks the parameters as WeChat Pay does, with code of its
// own (not the client's validate package): required ones, JSON types and
// text that is not of the documented type, enums, lengths, sensitive
// fields in clear text or encrypted for another key than Wechatpay-Serial
// names, a Wechatpay-Serial naming no key of the server (400 PARAM_ERROR
// naming the field in its detail, or an APIv2 PARAM_ERROR);
// WithLenientRequests checks only the required ones. It answers from the
// documented response tree: plausible values that echo the request's, 204 where documented,
// files with matching hashes for downloads, the platform certificate
// encrypted under the APIv3 key for v3/certificates. An unknown path gets
// 404 RESOURCE_NOT_EXISTS. Routes of your own (HandleFunc) take precedence.
//
//	srv := wechatpaytest.NewServer()
//	defer srv.Close()
//	client, _ := wechatpay.New(srv.Config())
//	res, err := client.Chain("v3/pay/transactions/native").Post(…)
//
// NewTLSServer serves HTTPS, trusted by its Config, and requires the
// merchant certificate (mutual TLS) on the APIv2 endpoints called with
// security.
//
// Faults (Server.Fault, Server.FaultAll) make the server misbehave on
// purpose: latency, connections cut before or after the headers, truncated
// bodies, 5xx and 429 answers, stale timestamps, bad or missing signatures,
// WECHATPAY/SIGNTEST probes, unknown serials. Received and Count tell what
// the server got.
//
// Server.Notify sends any notification of the catalog to a URL, encrypted
// and signed, and retries it on WeChat Pay's schedule (RetrySchedule) on a
// clock that tests can speed up.
//
// # A stateful sandbox
//
// The server keeps the payment lifecycle's state, in memory. An order
// placed through APIv3 (v3/pay/transactions/{jsapi,app,h5,native}, and
// the service provider's v3/pay/partner/transactions/…, mini programs
// included) or APIv2 (v2/pay/unifiedorder) answers its prepay_id, code_url
// or h5_url, and its queries (by out_trade_no, or by transaction_id once
// paid; APIv2 orderquery) answer NOTPAY until Server.Pay pays it. Pay
// makes it SUCCESS with a transaction_id and sends its payment
// notification to its notify_url, encrypted and signed, on WeChat Pay's
// retry schedule, in the background (a Sending tells how it goes). Closing
// it (close, closeorder) makes it CLOSED: it cannot be paid. An
// out_trade_no names one order: the same request again gets the first
// answer, a different one WeChat Pay's 400 INVALID_REQUEST
// "201 商户订单号重复".
//
// A refund of a paid order (v3/refund/domestic/refunds, or
// v2/secapi/pay/refund over mutual TLS) is PROCESSING, then SUCCESS after
// WithRefundDelay or at Server.CompleteRefund, which sends the refund
// notification (REFUND.SUCCESS; for APIv2, req_info encrypted). Refunding
// more than is left of the order, or an order not paid, gets WeChat Pay's
// errors. The trade bill of a day (v3/bill/tradebill and its download,
// v2/pay/downloadbill) lists the day's sandbox payments and refunds.
// Every other endpoint is generated from the catalog as before.
//
// Orders the server did not create are answered as before it kept state
// (generated), unless WithStrictOrders (404 ORDER_NOT_EXIST);
// WithoutState turns the state off. WithDataDir keeps the identities, keys
// and state in one file of a directory, so that a server started again
// has the same Config and orders. RotatePlatformCertificate adds a
// platform certificate as WeChat Pay rotates them. The routes under
// /_sandbox/ (AdminRoutes) let another process pay an order, complete a
// refund, rotate the certificate or send a notification, with a client
// of the server's Config.
package wechatpaytest
