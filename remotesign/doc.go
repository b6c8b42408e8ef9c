// Package remotesign signs APIv3 requests through a central signing
// service (签名服务): a service inside the merchant's network that holds the
// merchant API private key (商户API私钥, apiclient_key.pem), or reaches it in
// an HSM or KMS, so that the servers that call WeChat Pay never see it.
//
// A Signer is a crypto.Signer, so wechatpay.Config.PrivateKey takes it
// and the client's "signer" step calls the service under each call's
// context (Config.Timeout, the call's timeout or context bound it). A
// service that fails or is too slow fails the call with a
// *middleware.SignError before anything is sent to WeChat Pay.
//
//	client, err := wechatpay.New(wechatpay.Config{
//		MchID:  "1900000109",
//		Serial: "3775B6A45ACD588826D15E583A95F5DD********",
//		PrivateKey: &remotesign.Signer{
//			URL:    "http://signer.internal:8080/v1/sign",
//			MchID:  "1900000109",
//			Serial: "3775B6A45ACD588826D15E583A95F5DD********",
//		},
//		Certs: …,
//	})
//
// # Wire format
//
// For each APIv3 request the Signer POSTs one JSON object to URL:
//
//	POST /v1/sign HTTP/1.1
//	Content-Type: application/json
//
//	{"mchid":"1900000109","serial_no":"3775B6A4…","message":"R0VUCi92My9jZXJ0aWZpY2F0ZXMKMTU1NDIwODQ2MAo1OTNCRUMwQzkzMEJGMUFGRUI0MEI0QTA4QzhGQjI0MgoK"}
//
// Its fields:
//
//   - mchid and serial_no name the merchant and its API certificate, so that
//     one service can hold the keys of several merchants.
//   - message is the standard base64 (RFC 4648, with padding) of the exact
//     bytes to sign, METHOD\nTARGET\nTIMESTAMP\nNONCE\nBODY\n: above,
//     "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n".
//     Base64 keeps every byte of the body as sent, whatever it holds. A
//     service may check what it is asked to sign (the method and path, the
//     merchant in the body) before signing it.
//   - With Signer.DigestOnly, or when the Signer is used as a plain
//     crypto.Signer (Sign, SignContext), "digest" replaces "message": the
//     standard base64 of the message's SHA-256 hash. The request's content
//     then never leaves the caller.
//
// The service signs the message (or the digest) with RSA PKCS#1 v1.5 and
// SHA-256, the SHA256-RSA2048 of WeChat Pay's Authorization header, and
// answers 200 with:
//
//	{"signature":"<standard base64 of the RSA signature>"}
//
// Any other status fails the call; the error names the status and quotes
// the start of the answer, so a service may explain itself in its body (as
// plain text or JSON). The timestamp and nonce are the client's; the client
// builds the Authorization header.
//
// With Signer.PublicKey set, each signature is checked before use, so that a
// service signing with the wrong key fails the call at once rather than at
// WeChat Pay (401 SIGN_ERROR).
package remotesign
