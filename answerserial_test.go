package wechatpay_test

import "github.com/wechatpay-go/wechatpay/wechatpaytest"

// answerSerial is the key srv signs its answers with: what a call names in
// its Wechatpay-Serial header.
func answerSerial(srv *wechatpaytest.Server) string {
	if srv.Mode() == wechatpaytest.CertificateMode {
		return srv.Platform.Serial
	}
	return srv.PublicKeyID
}
