package wechatpaytest

import (
	"bytes"
	"compress/gzip"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// BillContent returns the bill file the server serves for a download token
// it did not hand out from its state (v3/billdownload/file?token=…): a CSV
// in WeChat Pay's layout, always the same for the same token. The
// hash_value that the bill applications other than v3/bill/tradebill
// (v3/bill/fundflowbill, …) answer is the SHA-1 of these bytes, before any
// gzip. The trade bill (v3/bill/tradebill, v2/pay/downloadbill) lists the
// day's sandbox transactions instead.
func BillContent(token string) []byte {
	var b strings.Builder
	b.WriteString("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n")
	for i := 0; i < 3; i++ {
		fmt.Fprintf(&b, "`2024-06-01 10:0%d:00,`wxd678efh567hg6787,`1900000109,`0,`,`42000009852024060112345678%02d,`%s%02d,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`wechatpaytest,`,`0.00600,`0.60%%,`1.00,`0.00,`\r\n", i, i, token, i)
	}
	b.WriteString("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n`3,`3.00,`0.00,`0.00,`0.01800,`3.00,`0.00\r\n")
	return []byte(b.String())
}

// fileAnswer answers the endpoints whose answer is a file.
func (s *Server) fileAnswer(r *Request, e *catalog.Entry) *Answer {
	path := "/" + strings.TrimPrefix(e.Chain, "/")
	q := r.URL.Query()
	switch {
	case path == "/v3/billdownload/file":
		file, ok := s.billFile(q.Get("token"))
		if !ok {
			file = BillContent(q.Get("token"))
		}
		return fileBody(file, strings.EqualFold(q.Get("tartype"), "GZIP"), "text/csv; charset=utf-8")
	case path == "/v3/statements" || path == "/v3/global/statements":
		return statementAnswer(BillContent("statement"+q.Get("date")), strings.Contains(r.Header.Get("Accept-Encoding"), "gzip"))
	case strings.Contains(path, "/images/"):
		a := &Answer{Body: tinyPNG, Unsigned: true, Header: http.Header{"Content-Type": {"image/png"}}}
		return a
	case strings.HasPrefix(path, "/v3/transferdownload/"):
		return &Answer{Body: tinyPDF, Unsigned: true, Header: http.Header{"Content-Type": {"application/pdf"}}}
	case r.Protocol == "v2":
		return fileBody(BillContent(r.Fields["bill_date"]), strings.EqualFold(r.Fields["tar_type"], "GZIP"), "text/plain; charset=utf-8")
	}
	return &Answer{Body: []byte("wechatpaytest file\n"), Unsigned: true, Header: http.Header{"Content-Type": {"application/octet-stream"}}}
}

// fileBody is an unsigned file answer, gzip-compressed (as a .gz file, not
// a Content-Encoding) when gz is set.
func fileBody(content []byte, gz bool, contentType string) *Answer {
	if gz {
		return &Answer{Body: gzipBytes(content), Unsigned: true, Header: http.Header{"Content-Type": {"application/x-gzip"}}}
	}
	return &Answer{Body: content, Unsigned: true, Header: http.Header{"Content-Type": {contentType}}}
}

// statementAnswer is an overseas statement: the Wechatpay-Statement-Sha1
// header holds the SHA-1 of the file, and the signature covers
// {"sha1":"<that digest>"}. The body is sent with Content-Encoding gzip
// when the client accepts it.
func statementAnswer(content []byte, gz bool) *Answer {
	sum := sha1.Sum(content)
	digest := hex.EncodeToString(sum[:])
	a := &Answer{
		Body:       content,
		SignedBody: []byte(`{"sha1":"` + digest + `"}`),
		Header:     http.Header{"Content-Type": {"text/csv; charset=utf-8"}, "Wechatpay-Statement-Sha1": {digest}},
	}
	if gz {
		a.Body = gzipBytes(content)
		a.Header.Set("Content-Encoding", "gzip")
	}
	return a
}

// download fills a download_url pointing at the server's bill download, and
// the matching hash_type and hash_value when the answer has them.
func (b *builder) download(out map[string]any) {
	token := randomString(24)
	u := b.s.URL + "v3/billdownload/file?token=" + token
	if strings.EqualFold(scalarString(b.echo["tar_type"]), "GZIP") {
		u += "&tartype=GZIP"
	}
	out["download_url"] = u
	if _, ok := out["hash_value"]; ok {
		sum := sha1.Sum(BillContent(token))
		out["hash_type"] = "SHA1"
		out["hash_value"] = hex.EncodeToString(sum[:])
	}
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// tinyPNG is a 1×1 PNG, the image the server serves for media downloads.
var tinyPNG = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

// tinyPDF is a minimal PDF, served for receipts and signed files.
var tinyPDF = []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")
