package wechatpaytest

import (
	"net/http"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// specialAnswers are the catalog endpoints whose answer the response tree
// alone cannot make, by method and chain.
var specialAnswers = map[string]func(s *Server, r *Request, e *catalog.Entry) *Answer{
	"GET v3/certificates":        (*Server).certificatesAnswer,
	"GET v3/global/certificates": (*Server).certificatesAnswer,
}

// certificatesAnswer lists the valid platform certificates (two, after a
// rotation), for v3/certificates and its cross-border (境外) twin
// v3/global/certificates alike, each encrypted under the APIv3 key as WeChat Pay does:
// AEAD_AES_256_GCM with associated data "certificate".
func (s *Server) certificatesAnswer(r *Request, e *catalog.Entry) *Answer {
	data := []any{}
	for _, p := range s.Platforms() {
		nonce := randomString(12)
		ct, err := sealAESGCM([]byte(s.APIv3Key), []byte(nonce), p.CertPEM(), []byte("certificate"))
		if err != nil {
			return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
		}
		data = append(data, map[string]any{
			"serial_no":      p.Serial,
			"effective_time": p.Cert.NotBefore.In(chinaTime).Format(time.RFC3339),
			"expire_time":    p.Cert.NotAfter.In(chinaTime).Format(time.RFC3339),
			"encrypt_certificate": map[string]any{
				"algorithm":       "AEAD_AES_256_GCM",
				"nonce":           nonce,
				"associated_data": "certificate",
				"ciphertext":      ct,
			},
		})
	}
	return JSON(http.StatusOK, map[string]any{"data": data})
}
