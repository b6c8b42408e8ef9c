package wechatpaytest

import (
	"net/http"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// specialAnswers are the catalog endpoints whose answer the response tree
// alone cannot make, by method and chain.
var specialAnswers = map[string]func(s *Server, r *Request, e *catalog.Entry) *Answer{
	"GET v3/certificates": (*Server).certificatesAnswer,
}

// certificatesAnswer lists the platform certificate, encrypted under the
// APIv3 key as WeChat Pay does: AEAD_AES_256_GCM with associated data
// "certificate".
func (s *Server) certificatesAnswer(r *Request, e *catalog.Entry) *Answer {
	nonce := randomString(12)
	ct, err := sealAESGCM([]byte(s.APIv3Key), []byte(nonce), s.Platform.CertPEM(), []byte("certificate"))
	if err != nil {
		return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
	}
	return JSON(http.StatusOK, map[string]any{"data": []any{map[string]any{
		"serial_no":      s.Platform.Serial,
		"effective_time": s.Platform.Cert.NotBefore.In(chinaTime).Format(time.RFC3339),
		"expire_time":    s.Platform.Cert.NotAfter.In(chinaTime).Format(time.RFC3339),
		"encrypt_certificate": map[string]any{
			"algorithm":       "AEAD_AES_256_GCM",
			"nonce":           nonce,
			"associated_data": "certificate",
			"ciphertext":      ct,
		},
	}}})
}
