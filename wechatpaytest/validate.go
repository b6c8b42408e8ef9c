package wechatpaytest

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/internal/errata"
)

// This file checks requests against the catalog as WeChat Pay checks
// them, with code of its own: it shares nothing with the client's
// validate package but the catalog's data, so that a mistake in one is
// caught by the other. Like WeChat Pay it answers the first problem it
// finds: a missing required parameter, a value of the wrong type, one
// its enum does not list, one longer than documented, a sensitive field
// (敏感信息) in clear text or encrypted for another key than the
// Wechatpay-Serial header names. Fields it does not know are ignored.

// WithLenientRequests makes the server check only that the required
// parameters are there, as it did before it checked types, enums,
// lengths, sensitive fields and the Wechatpay-Serial header's key: for
// tests written against that server.
func WithLenientRequests() Option { return func(s *Server) { s.lenient = true } }

// badParam is what is wrong with a request, as WeChat Pay reports it.
type badParam struct {
	field    string // a JSON pointer in the body ("/amount/total"); else the name
	location string // body, query, header, path
	issue    string // in English, for detail.issue
	message  string // 中文 (English), for message
	value    any    // the value refused, when it may be shown
}

func missingParam(field, location string) *badParam {
	return &badParam{field: field, location: location, issue: "required",
		message: fmt.Sprintf("缺少必填参数 %s (%s is required)", field, field)}
}

// paramError is WeChat Pay's 400 answer naming the offending parameter:
// {"code":"PARAM_ERROR","message":…,"detail":{"field":…,"location":…}}.
func paramError(field, location, message string) *Answer {
	return (&badParam{field: field, location: location, message: message}).answer(false)
}

// answer is WeChat Pay's answer to the problem: for APIv3, 400
// {"code":"PARAM_ERROR","message":…,"detail":{"field":…,"location":…,"issue":…}};
// for APIv2, the business failure err_code PARAM_ERROR naming the field.
func (p *badParam) answer(v2 bool) *Answer {
	if v2 {
		return Fields(map[string]string{"result_code": "FAIL", "err_code": "PARAM_ERROR", "err_code_des": p.message})
	}
	detail := map[string]any{"field": p.field, "location": p.location}
	if p.issue != "" {
		detail["issue"] = p.issue
	}
	if p.value != nil {
		detail["value"] = p.value
	}
	return &Answer{Status: http.StatusBadRequest, JSON: map[string]any{
		"code": "PARAM_ERROR", "message": p.message, "detail": detail,
	}}
}

// paramErrorV2 is the APIv2 business failure naming a missing field.
func paramErrorV2(field string) *Answer {
	return (&badParam{field: field, message: fmt.Sprintf("缺少参数 %s (missing field %s)", field, field)}).answer(true)
}

// checkRequest answers PARAM_ERROR for the first parameter of r that
// WeChat Pay would refuse, and checks an upload's digest; nil when the
// request holds.
func (s *Server) checkRequest(r *Request, e *catalog.Entry) *Answer {
	if p := s.inspect(r, e); p != nil {
		return p.answer(r.Protocol == "v2")
	}
	return checkDigest(r)
}

// inspector checks the parameters of one request.
type inspector struct {
	s      *Server
	r      *Request
	strict bool
	v2     bool
	// key decrypts the sensitive fields: the one Wechatpay-Serial names.
	key *rsa.PrivateKey
}

func (s *Server) inspect(r *Request, e *catalog.Entry) *badParam {
	in := &inspector{s: s, r: r, strict: !s.lenient, v2: r.Protocol == "v2"}
	// The headers first: Wechatpay-Serial names the key that decrypts the
	// sensitive fields.
	hdr := e.Request.Find("headers")
	if hdr == nil {
		hdr = &catalog.Node{}
	}
	if p := in.headers(hdr, len(e.EncryptedFields()) > 0); p != nil {
		return p
	}
	for i := range e.Request {
		n := &e.Request[i]
		var p *badParam
		switch {
		case n.Name == "headers":
		case n.Name == "query" && (!in.v2 || r.Method != http.MethodGet):
			p = in.flat(n.Children, urlValues(r.URL.Query()), "query")
		case in.v2 && (n.Name == "xml" || n.Name == "query"):
			p = in.flat(n.Children, r.Fields, n.Name, oneOf(e, n.Name)...)
		case in.v2 && n.Name == "body":
			p = in.v2Parts(n.Children)
		case n.Name == "json":
			p = in.jsonBody(n)
		case n.Name == "body":
			p = in.parts(n.Children)
		case r.Vars != nil && in.strict && !in.v2:
			if v, ok := r.Vars[n.Name]; ok {
				p = in.text(n, v, n.Name, "path")
			}
		}
		if p != nil {
			return p
		}
	}
	return nil
}

// headers checks the required headers, and that Wechatpay-Serial names a
// key of the server where the endpoint asks for it or sends sensitive
// fields: WeChat Pay decrypts them with that key.
func (in *inspector) headers(n *catalog.Node, hasSecrets bool) *badParam {
	for _, c := range requiredNames(n.Children) {
		if in.r.Header.Get(c) == "" {
			return &badParam{field: c, location: "header", issue: "required",
				message: fmt.Sprintf("缺少请求头 %s (header %s is required)", c, c)}
		}
	}
	serial := in.r.Header.Get("Wechatpay-Serial")
	if !in.strict || in.v2 || serial == "" || (n.Child("Wechatpay-Serial") == nil && !hasSecrets) {
		return nil
	}
	if in.key = in.s.decryptionKey(serial); in.key == nil {
		return &badParam{field: "Wechatpay-Serial", location: "header", issue: "unknown key", value: serial,
			message: fmt.Sprintf("Wechatpay-Serial %s 无效 (names neither a platform certificate nor the public key of this merchant)", serial)}
	}
	return nil
}

// decryptionKey returns the private key of the platform certificate or
// public key named serial; nil for another.
func (s *Server) decryptionKey(serial string) *rsa.PrivateKey {
	if serial == s.PublicKeyID {
		return s.PublicKey.Key
	}
	for _, p := range s.Platforms() {
		if p.Serial == serial {
			return p.Key
		}
	}
	return nil
}

// jsonBody checks an APIv3 JSON body.
func (in *inspector) jsonBody(n *catalog.Node) *badParam {
	if len(bytes.TrimSpace(in.r.Body)) == 0 {
		if n.Required {
			return &badParam{field: "/", location: "body", issue: "required", message: "缺少请求体 (the JSON body is required)"}
		}
		return nil
	}
	var body any
	if err := in.r.DecodeJSON(&body); err != nil {
		return &badParam{field: "/", location: "body", issue: "not JSON", message: "请求体不是合法的JSON (the body is not JSON): " + err.Error()}
	}
	return in.value(n, body, "", "body")
}

// parts checks an APIv3 upload: its required parts, and its meta JSON.
func (in *inspector) parts(nodes []catalog.Node) *badParam {
	for _, name := range namesOf(nodes) {
		alts := alternatives(nodes, name)
		p := in.r.Part(name)
		if p == nil {
			if anyRequired(alts) {
				return missingParam("/"+name, "body")
			}
			continue
		}
		for _, n := range alts {
			if len(n.Children) == 0 {
				continue
			}
			var meta any
			d := json.NewDecoder(bytes.NewReader(p.Data))
			d.UseNumber()
			if d.Decode(&meta) != nil {
				return &badParam{field: "/" + name, location: "body", issue: "not JSON", message: fmt.Sprintf("%s 不是合法的JSON (the %s part is not JSON)", name, name)}
			}
			obj := n
			obj.Type, obj.Encoded = "object", ""
			if bad := in.value(&obj, meta, "/"+name, "body"); bad != nil {
				return bad
			}
		}
	}
	return nil
}

// v2Parts checks an APIv2 upload's form fields.
func (in *inspector) v2Parts(nodes []catalog.Node) *badParam {
	for _, c := range requiredNames(nodes) {
		if in.r.Fields[c] == "" && in.r.Part(c) == nil {
			return &badParam{field: c, location: "body", issue: "required", message: fmt.Sprintf("缺少参数 %s (missing field %s)", c, c)}
		}
	}
	return nil
}

// oneOf returns the sets of fields of an entry's option (xml) of which
// one is needed, though the catalog marks each required (internal/errata).
func oneOf(e *catalog.Entry, option string) [][]string {
	var out [][]string
	for _, a := range errata.OneOf {
		if a.Method == e.Method && a.Chain == e.Chain && a.Path == option {
			out = append(out, a.Names)
		}
	}
	return out
}

// flat checks text parameters: a query, APIv2 fields. An empty value is
// a missing one. Of each set in anyOf, one field is needed.
func (in *inspector) flat(nodes []catalog.Node, got map[string]string, location string, anyOf ...[]string) *badParam {
	either := map[string]bool{}
	for _, set := range anyOf {
		found := false
		for _, name := range set {
			either[name] = true
			found = found || got[name] != ""
		}
		if !found {
			return &badParam{field: strings.Join(set, "/"), location: location, issue: "required",
				message: fmt.Sprintf("缺少参数 %s，须填其一 (one of %s is required)", strings.Join(set, "/"), strings.Join(set, ", "))}
		}
	}
	for _, name := range namesOf(nodes) {
		alts := alternatives(nodes, name)
		v, ok := got[name]
		if !ok || v == "" {
			if anyRequired(alts) && !either[name] {
				if in.v2 {
					return &badParam{field: name, location: location, issue: "required", message: fmt.Sprintf("缺少参数 %s (missing field %s)", name, name)}
				}
				return &badParam{field: name, location: location, issue: "required",
					message: fmt.Sprintf("缺少查询参数 %s (query parameter %s is required)", name, name)}
			}
			continue
		}
		if !in.strict {
			continue
		}
		if bad := firstBad(len(alts), func(i int) *badParam { return in.text(&alts[i], v, name, location) }); bad != nil {
			return bad
		}
	}
	return nil
}

func urlValues(q url.Values) map[string]string {
	out := make(map[string]string, len(q))
	for k, v := range q {
		out[k] = v[0]
	}
	return out
}

// text checks a parameter carried as text: a query parameter, a path
// segment, an APIv2 field.
func (in *inspector) text(n *catalog.Node, v, field, location string) *badParam {
	bad := func(issue, zh, en string) *badParam {
		return &badParam{field: field, location: location, issue: issue, value: v,
			message: fmt.Sprintf("%s %s (%s %s)", field, zh, field, en)}
	}
	switch n.Type {
	case "integer":
		if _, err := strconv.ParseInt(v, 10, 64); err != nil {
			return bad("invalid type", "应为整数", "must be an integer")
		}
	case "number", "float":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return bad("invalid type", "应为数字", "must be a number")
		}
	case "boolean":
		if b := strings.ToLower(v); b != "true" && b != "false" {
			return bad("invalid type", "应为布尔值", "must be true or false")
		}
	case "string":
		if n.Encrypted == catalog.ByRSAPublicKey {
			return in.ciphertext(v, field, location)
		}
		if n.Encoded == catalog.ByJSONEncode && len(n.Children) > 0 {
			return in.encoded(n, v, field, location)
		}
	}
	return in.limits(n, v, v, field, location)
}

// limits checks a value's enum and length.
func (in *inspector) limits(n *catalog.Node, text string, v any, field, location string) *badParam {
	if len(n.Enum) > 0 {
		for _, e := range n.Enum {
			if e == text {
				goto length
			}
		}
		return &badParam{field: field, location: location, issue: "invalid enum value", value: v,
			message: fmt.Sprintf("%s 的值 %s 不在枚举范围内 (%s: %q is not one of %s)", field, text, field, text, strings.Join(n.Enum, ", "))}
	}
length:
	if n.MaxLength > 0 && len(text) > n.MaxLength {
		return &badParam{field: field, location: location, issue: "too long", value: v,
			message: fmt.Sprintf("%s 字节数 %d，大于最大值 %d (%s is longer than %d bytes)", field, len(text), n.MaxLength, field, n.MaxLength)}
	}
	return nil
}

// ciphertext checks a sensitive field: base64 of an RSA ciphertext, which
// decrypts (RSAES-OAEP, SHA-1) with the key Wechatpay-Serial names when
// the request names one. Its value is never shown.
func (in *inspector) ciphertext(v, field, location string) *badParam {
	bad := &badParam{field: field, location: location, issue: "not encrypted",
		message: fmt.Sprintf("%s 解密失败，敏感字段须用微信支付公钥或平台证书加密 (%s must be encrypted with the WeChat Pay public key or platform certificate)", field, field)}
	ct, err := base64.StdEncoding.DecodeString(v)
	if err != nil {
		return bad
	}
	switch len(ct) {
	case 256, 384, 512:
	default:
		return bad
	}
	if in.key != nil {
		if _, err := in.key.Decrypt(rand.Reader, ct, &rsa.OAEPOptions{Hash: stdcrypto.SHA1}); err != nil {
			bad.message = fmt.Sprintf("%s 解密失败，请用 Wechatpay-Serial 所指的密钥加密 (%s does not decrypt with the key Wechatpay-Serial names)", field, field)
			return bad
		}
	}
	return nil
}

// encoded checks a string carrying JSON (json_encode) against the
// children that describe its content: an object, or the one array they
// document.
func (in *inspector) encoded(n *catalog.Node, v, field, location string) *badParam {
	var inner any
	d := json.NewDecoder(strings.NewReader(v))
	d.UseNumber()
	if d.Decode(&inner) != nil {
		return &badParam{field: field, location: location, issue: "not JSON", value: v,
			message: fmt.Sprintf("%s 不是合法的JSON (%s must hold JSON)", field, field)}
	}
	if list, ok := inner.([]any); ok && len(n.Children) == 1 && strings.HasSuffix(n.Children[0].Type, "[]") {
		return in.value(&n.Children[0], list, pointer(field, location), location)
	}
	obj := *n
	obj.Type, obj.Encoded = "object", ""
	return in.value(&obj, inner, pointer(field, location), location)
}

// pointer is the JSON pointer of a body field, or the name of another.
func pointer(field, location string) string {
	if location == "body" && !strings.HasPrefix(field, "/") {
		return "/" + field
	}
	return field
}

// value checks a JSON value against its node; at is its JSON pointer.
func (in *inspector) value(n *catalog.Node, v any, at, location string) *badParam {
	field := at
	if field == "" {
		field = "/"
	}
	if in.strict && !hasType(n.Type, v) {
		return &badParam{field: field, location: location, issue: "invalid type", value: shown(n, v),
			message: fmt.Sprintf("%s 类型错误，应为 %s (%s must be %s, not %s)", field, n.Type, field, n.Type, jsonType(v))}
	}
	switch t := v.(type) {
	case string:
		if !in.strict {
			if n.Encoded == catalog.ByJSONEncode && len(n.Children) > 0 {
				return in.encoded(n, t, field, location) // its required fields
			}
			return nil
		}
		return in.text(n, t, field, location)
	case json.Number:
		if !in.strict {
			return nil
		}
		return in.limits(n, t.String(), t, field, location)
	case map[string]any:
		return in.object(n.Children, t, at, location)
	case []any:
		item := *n
		item.Type = strings.TrimSuffix(n.Type, "[]")
		for i, x := range t {
			if x == nil {
				continue
			}
			if bad := in.value(&item, x, at+"/"+strconv.Itoa(i), location); bad != nil {
				return bad
			}
		}
	}
	return nil
}

// object checks an object's fields: the required ones there, each present
// one fitting its node or one of its alternatives.
func (in *inspector) object(nodes []catalog.Node, obj map[string]any, at, location string) *badParam {
	for _, name := range namesOf(nodes) {
		alts := alternatives(nodes, name)
		val, present := obj[name]
		if !present || val == nil {
			if anyRequired(alts) {
				return missingParam(at+"/"+name, location)
			}
			continue
		}
		if bad := firstBad(len(alts), func(i int) *badParam { return in.value(&alts[i], val, at+"/"+name, location) }); bad != nil {
			return bad
		}
	}
	return nil
}

// hasType tells whether a decoded JSON value is of the documented type.
func hasType(t string, v any) bool {
	switch t {
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		n, ok := v.(json.Number)
		if !ok {
			return false
		}
		if _, err := n.Int64(); err == nil {
			return true
		}
		f, ok := new(big.Float).SetString(n.String())
		return ok && f.IsInt()
	case "number", "float":
		_, ok := v.(json.Number)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "object":
		_, ok := v.(map[string]any)
		return ok
	}
	if strings.HasSuffix(t, "[]") {
		_, ok := v.([]any)
		return ok
	}
	return true
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "boolean"
	case map[string]any:
		return "object"
	case []any:
		return "array"
	}
	return "null"
}

// shown is the value a detail may show: a scalar, not a sensitive one.
func shown(n *catalog.Node, v any) any {
	switch v.(type) {
	case map[string]any, []any:
		return nil
	}
	if n.Encrypted != "" {
		return nil
	}
	return v
}

// checkDigest checks that an upload's file matches the digest it declares:
// the meta's sha256 (APIv3), or media_hash, an MD5 (APIv2).
func checkDigest(r *Request) *Answer {
	if r.Parts == nil {
		return nil
	}
	var file *Part
	for i := range r.Parts {
		if r.Parts[i].Filename != "" {
			file = &r.Parts[i]
		}
	}
	if file == nil {
		return nil
	}
	if r.Protocol == "v2" {
		if want := r.Fields["media_hash"]; want != "" {
			if sum := md5.Sum(file.Data); !strings.EqualFold(hex.EncodeToString(sum[:]), want) {
				return (&badParam{field: "media_hash", message: "media_hash 与文件不符 (media_hash does not match the file)"}).answer(true)
			}
		}
		return nil
	}
	var meta map[string]any
	if p := r.Part("meta"); p != nil && json.Unmarshal(p.Data, &meta) == nil {
		want, _ := meta["sha256"].(string)
		if sum := sha256.Sum256(file.Data); want != "" && !strings.EqualFold(hex.EncodeToString(sum[:]), want) {
			return (&badParam{field: "/meta/sha256", location: "body", issue: "digest mismatch",
				message: "文件摘要与 meta.sha256 不符 (the file does not match meta.sha256)"}).answer(false)
		}
	}
	return nil
}

// requiredNames lists the required children's names, each once.
func requiredNames(nodes []catalog.Node) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range nodes {
		if n.Required && !seen[n.Name] {
			seen[n.Name] = true
			out = append(out, n.Name)
		}
	}
	return out
}

func namesOf(nodes []catalog.Node) []string {
	var out []string
	seen := map[string]bool{}
	for _, n := range nodes {
		if !seen[n.Name] {
			seen[n.Name] = true
			out = append(out, n.Name)
		}
	}
	return out
}

func alternatives(nodes []catalog.Node, name string) []catalog.Node {
	var out []catalog.Node
	for _, n := range nodes {
		if n.Name == name {
			out = append(out, n)
		}
	}
	return out
}

func anyRequired(nodes []catalog.Node) bool {
	for _, n := range nodes {
		if n.Required {
			return true
		}
	}
	return false
}

// firstBad checks n alternatives of a parameter with check: nil when one
// of them fits, else the first one's problem.
func firstBad(n int, check func(i int) *badParam) *badParam {
	var first *badParam
	for i := range n {
		bad := check(i)
		if bad == nil {
			return nil
		}
		if first == nil {
			first = bad
		}
	}
	return first
}
