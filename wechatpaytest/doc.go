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
// paths): it checks the required parameters (400 PARAM_ERROR naming the
// field, or an APIv2 PARAM_ERROR), and answers from the documented response
// tree: plausible values that echo the request's, 204 where documented,
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
package wechatpaytest
