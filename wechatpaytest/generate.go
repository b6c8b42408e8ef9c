package wechatpaytest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// catalogAnswer answers a request to a catalog endpoint: the required
// parameters checked, then an answer built from the catalog's response tree.
func (s *Server) catalogAnswer(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	return s.generatedAnswer(r, e)
}

// generatedAnswer builds the answer of a catalog endpoint from its
// response tree, the request checked already.
func (s *Server) generatedAnswer(r *Request, e *catalog.Entry) *Answer {
	if h := specialAnswers[e.Method+" "+e.Chain]; h != nil {
		return h(s, r, e)
	}
	b := s.newBuilder(r)
	switch {
	case e.ResponseFormat == "none" || e.ResponseStatus == http.StatusNoContent || e.ResponseStatus == http.StatusAccepted:
		status := e.ResponseStatus
		if status == 0 {
			status = http.StatusNoContent
		}
		return &Answer{Status: status, Body: []byte{}}
	case e.ResponseFormat == "binary":
		return s.fileAnswer(r, e)
	case r.Protocol == "v2" && e.ResponseFormat == "json":
		return &Answer{JSON: b.object(e.Response), Unsigned: true}
	case r.Protocol == "v2":
		fields := map[string]string{}
		for k, v := range b.object(e.Response) {
			fields[k] = scalarString(v)
		}
		delete(fields, "sign")
		if fields["return_code"] == "" { // the envelope every APIv2 answer has
			fields["return_code"], fields["return_msg"] = "SUCCESS", "OK"
		}
		signed := false
		for _, n := range e.Response {
			signed = signed || n.Name == "sign"
		}
		return &Answer{Fields: fields, Unsigned: !signed}
	default:
		return JSON(http.StatusOK, b.object(e.Response))
	}
}

// builder makes plausible answer values from response trees: enums take
// their first value, fields named as a request parameter echo it, and the
// rest follow the field's name and type.
type builder struct {
	s    *Server
	r    *Request
	v2   bool
	now  time.Time
	echo map[string]any
}

func (s *Server) newBuilder(r *Request) *builder {
	b := &builder{s: s, r: r, v2: r.Protocol == "v2", now: s.now(), echo: map[string]any{}}
	for k, v := range r.Vars {
		b.echo[k] = v
	}
	for k, v := range r.URL.Query() {
		b.echo[k] = v[0]
	}
	for k, v := range r.Fields {
		b.echo[k] = v
	}
	if r.Protocol != "v2" && len(r.Body) > 0 && r.Parts == nil {
		var body any
		if r.DecodeJSON(&body) == nil {
			b.collect(body)
		}
	}
	return b
}

// collect remembers the scalar values of a request body by field name,
// the shallowest first.
func (b *builder) collect(v any) {
	queue := []any{v}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		switch t := cur.(type) {
		case map[string]any:
			keys := make([]string, 0, len(t))
			for k := range t {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				switch x := t[k].(type) {
				case map[string]any, []any:
					queue = append(queue, x)
				default:
					if _, seen := b.echo[k]; !seen && x != nil {
						b.echo[k] = x
					}
				}
			}
		case []any:
			queue = append(queue, t...)
		}
	}
}

// object builds an object from nodes; of alternatives sharing a name, the
// first is used.
func (b *builder) object(nodes []catalog.Node) map[string]any {
	out := map[string]any{}
	for i := range nodes {
		n := &nodes[i]
		name := strings.NewReplacer("$n", "0", "$m", "0").Replace(n.Name)
		if _, done := out[name]; done || skipOnSuccess[name] {
			continue
		}
		out[name] = b.value(n, name)
	}
	if _, ok := out["download_url"]; ok {
		b.download(out)
	}
	return out
}

// skipOnSuccess are fields that only a failed answer carries.
var skipOnSuccess = map[string]bool{"err_code": true, "err_code_des": true, "error_code": true, "err_msg": true}

func (b *builder) value(n *catalog.Node, name string) any {
	switch {
	case n.Const != nil:
		return n.Const
	case n.Encoded != "" && len(n.Children) > 0,
		// In XML a structured value travels as a JSON string
		// (transaction_id_list of a risk notification).
		b.v2 && n.Type == "string" && n.Encrypted == "" && len(n.Children) > 0:
		enc, _ := json.Marshal(b.object(n.Children))
		return string(enc)
	case n.Encrypted == "by-rsa-pubkey" && strings.HasSuffix(n.Type, "[]"):
		elem := *n
		elem.Type = strings.TrimSuffix(n.Type, "[]")
		return []any{b.encrypt(b.scalar(&elem, strings.TrimSuffix(name, "s")))}
	case n.Encrypted == "by-rsa-pubkey":
		return b.encrypt(b.scalar(n, name))
	}
	switch n.Type {
	case "object":
		return b.object(n.Children)
	case "object[]":
		if len(n.Children) == 0 {
			return []any{}
		}
		return []any{b.object(n.Children)}
	case "string[]", "integer[]", "number[]":
		elem := *n
		elem.Type = strings.TrimSuffix(n.Type, "[]")
		return []any{b.scalar(&elem, strings.TrimSuffix(name, "s"))}
	}
	return b.scalar(n, name)
}

// scalar makes a string, number or boolean value for a field.
func (b *builder) scalar(n *catalog.Node, name string) any {
	numeric := n.Type == "integer" || n.Type == "number" || n.Type == "float"
	if b.v2 && (name == "return_code" || name == "result_code") {
		return "SUCCESS" // an answer the server makes is a successful one
	}
	if len(n.Enum) > 0 {
		if numeric {
			if x, err := strconv.ParseFloat(n.Enum[0], 64); err == nil {
				return x
			}
		}
		return n.Enum[0]
	}
	if v, ok := b.echo[name]; ok {
		if x, ok := convert(v, n.Type, b.v2); ok {
			return x
		}
	}
	lname := strings.ToLower(name)
	if lname == "pub_key" {
		// v2/risk/getpublickey: the RSA key (PKCS#1 PEM) bank details are
		// encrypted with, here the platform key's.
		return string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&b.s.platform().Key.PublicKey)}))
	}
	switch n.Type {
	case "boolean":
		return true
	case "integer", "number", "float":
		return plausibleNumber(lname)
	}
	return fitLength(b.plausibleString(lname), n.MaxLength)
}

// convert turns an echoed request value into the answer field's type.
func convert(v any, typ string, v2 bool) (any, bool) {
	s := scalarString(v)
	switch typ {
	case "boolean":
		x, err := strconv.ParseBool(s)
		return x, err == nil
	case "integer", "number", "float":
		if v2 {
			return s, true
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, false
		}
		return json.Number(strconv.FormatFloat(x, 'f', -1, 64)), true
	case "string", "":
		return s, true
	}
	return nil, false
}

func scalarString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case nil:
		return ""
	case map[string]any, []any:
		enc, _ := json.Marshal(x)
		return string(enc)
	}
	return fmt.Sprint(v)
}

func plausibleNumber(name string) any {
	switch {
	case strings.Contains(name, "offset"):
		return 0
	case strings.Contains(name, "limit"):
		return 10
	case strings.Contains(name, "count"), strings.Contains(name, "num"), strings.Contains(name, "quantity"):
		return 1
	case strings.Contains(name, "rate"):
		return 100000000
	}
	return 100 // amounts are in fen (分)
}

func (b *builder) plausibleString(name string) string {
	v2 := b.v2
	switch {
	case name == "mchid" || name == "mch_id" || name == "sp_mchid" || name == "combine_mchid" || name == "combine_mch_id":
		return b.s.MchID
	case strings.HasSuffix(name, "appid"):
		return "wxd678efh567hg6787"
	case strings.HasSuffix(name, "openid"):
		return "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	case name == "nonce_str" || name == "nonce":
		return randomString(32)
	case name == "hash_type":
		return "SHA1"
	case name == "return_code" || name == "result_code" || name == "state" || strings.HasSuffix(name, "_state") || strings.HasSuffix(name, "status"):
		return "SUCCESS"
	case name == "return_msg":
		return "OK"
	case strings.HasSuffix(name, "_time") || name == "time_end" || name == "time" || strings.HasSuffix(name, "_at"):
		if v2 {
			return b.now.In(chinaTime).Format("20060102150405")
		}
		return b.now.In(chinaTime).Format(time.RFC3339)
	case strings.HasSuffix(name, "_date") || name == "date":
		if v2 {
			return b.now.In(chinaTime).Format("20060102")
		}
		return b.now.In(chinaTime).Format(time.DateOnly)
	case strings.Contains(name, "currency") || name == "fee_type":
		return "CNY"
	case strings.Contains(name, "url"):
		return "https://pay.weixin.qq.com/wechatpaytest/" + name
	case strings.HasSuffix(name, "fee") || strings.HasSuffix(name, "amount") || strings.HasSuffix(name, "total"):
		return "100"
	case strings.Contains(name, "name"):
		return "微信支付测试"
	case strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_no") || name == "id" || strings.HasSuffix(name, "_code"):
		return "4200000985202406011234567890"
	}
	return "wechatpaytest_" + name
}

var chinaTime = time.FixedZone("CST", 8*3600)

func fitLength(s string, max int) string {
	if max <= 0 {
		return s
	}
	r := []rune(s)
	if len(r) > max {
		return string(r[:max])
	}
	return s
}

// encrypt is what WeChat Pay does to a sensitive answer field: RSA-OAEP
// (SHA-1) under the merchant's public key, in base64.
func (b *builder) encrypt(v any) string {
	ct, err := rsa.EncryptOAEP(sha1.New(), rand.Reader, b.s.Merchant.PublicKey(), []byte(scalarString(v)), nil)
	if err != nil {
		return ""
	}
	return base64.StdEncoding.EncodeToString(ct)
}
