package wechatpaytest

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/crypto"
)

// The bill applications whose files are encrypted (加密账单): the answer
// lists the files in download_bill_list, each with its own key.
func init() {
	for _, route := range []string{
		"GET v3/bill/sub-merchant-fundflowbill",
		"GET v3/ecommerce/bill/fundflowbill",
		"GET v3/payscore/merchant-bill",
	} {
		specialAnswers[route] = (*Server).encryptedBill
	}
}

// fundFlowHeader is the header line of a fund flow bill (资金账单).
const fundFlowHeader = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额（元）,账户结余（元）,资金变更提交申请人,备注,业务凭证号\r\n"

// FundFlowBillContent returns the fund flow bill the server encrypts for a
// day and sub-merchant: a CSV in WeChat Pay's layout, always the same for
// the same arguments.
func FundFlowBillContent(day, subMchID string) []byte {
	var b strings.Builder
	b.WriteString(fundFlowHeader)
	balance := 10000.0
	for i := 0; i < 3; i++ {
		balance += 1
		fmt.Fprintf(&b, "`%s 10:0%d:00,`42000009852024060112345678%02d,`1900000109%s%02d,`交易,`交易,`收入,`1.00,`%.2f,`system,`wechatpaytest,`%s%02d\r\n",
			day, i, i, subMchID, i, balance, subMchID, i)
	}
	b.WriteString("资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n`3,`3,`3.00,`0,`0.00\r\n")
	return []byte(b.String())
}

// encryptedBill answers an encrypted bill application as WeChat Pay does:
// one file, the bill (gzip, for tar_type GZIP) sealed as one
// AEAD_AES_256_GCM message under a fresh key, with a 16-character nonce
// and no associated data; encrypt_key is that key encrypted for the
// merchant (RSAES-OAEP, SHA-1); hash_value is the SHA-1 of the bill as
// FundFlowBillContent returns it, before any gzip. The file is served at
// v3/billdownload/file. Only AEAD_AES_256_GCM is served: SM4_GCM is
// refused with PARAM_ERROR.
func (s *Server) encryptedBill(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	q := r.URL.Query()
	alg := q.Get("algorithm") + q.Get("encryption_algorithm")
	if alg != "AEAD_AES_256_GCM" {
		return paramError("algorithm", "query", "the sandbox encrypts bills with AEAD_AES_256_GCM only")
	}
	content := FundFlowBillContent(q.Get("bill_date"), q.Get("sub_mchid"))
	file := content
	if strings.EqualFold(q.Get("tar_type"), "GZIP") {
		file = gzipBytes(content)
	}
	key, nonce := []byte(randomString(32)), randomString(16)
	block, err := aes.NewCipher(key)
	if err != nil {
		return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
	}
	aead, err := cipher.NewGCMWithNonceSize(block, len(nonce))
	if err != nil {
		return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
	}
	encKey, err := crypto.EncryptOAEP(s.Merchant.PublicKey(), key)
	if err != nil {
		return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
	}
	s.st.mu.Lock()
	token := s.st.addBill(aead.Seal(nil, []byte(nonce), file, nil))
	s.st.mu.Unlock()
	sum := sha1.Sum(content)
	return JSON(http.StatusOK, map[string]any{
		"download_bill_count": 1,
		"download_bill_list": []any{map[string]any{
			"bill_sequence": 1,
			"download_url":  s.URL + "v3/billdownload/file?token=" + token,
			"encrypt_key":   encKey,
			"hash_type":     "SHA1",
			"hash_value":    hex.EncodeToString(sum[:]),
			"nonce":         nonce,
		}},
	})
}
