package wechatpaytest

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file checks requests and signs answers with code of its own, written
// from WeChat Pay's rules rather than shared with the client, so that a
// mistake in the client's signing is caught here rather than mirrored.

const maxClockOffset = 300

// authenticateV3 checks the Authorization header of an APIv3 request over
// the method, the request target and the body exactly as received. It
// returns the 401 answer WeChat Pay gives, or nil when the request holds.
func (s *Server) authenticateV3(r *Request) *Answer {
	fail := func(format string, a ...any) *Answer {
		return ErrorJSON(http.StatusUnauthorized, "SIGN_ERROR", fmt.Sprintf(format, a...))
	}
	scheme, params, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || scheme != "WECHATPAY2-SHA256-RSA2048" {
		return fail("Authorization is not WECHATPAY2-SHA256-RSA2048")
	}
	p := map[string]string{}
	for _, kv := range strings.Split(params, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
			return fail("malformed Authorization parameter %q", kv)
		}
		p[k] = v[1 : len(v)-1]
	}
	switch {
	case p["mchid"] != s.MchID:
		return fail("mchid %q is not this merchant", p["mchid"])
	case p["serial_no"] != s.Merchant.Serial:
		return fail("serial_no %q is not the merchant certificate's", p["serial_no"])
	case p["nonce_str"] == "":
		return fail("nonce_str is empty")
	}
	ts, err := strconv.ParseInt(p["timestamp"], 10, 64)
	if err != nil {
		return fail("timestamp %q is not a number", p["timestamp"])
	}
	if d := s.now().Unix() - ts; d > maxClockOffset || d < -maxClockOffset {
		return fail("timestamp %d is %ds off", ts, d)
	}
	sig, err := base64.StdEncoding.DecodeString(p["signature"])
	if err != nil {
		return fail("signature is not base64")
	}
	msg := r.Method + "\n" + r.RequestURI + "\n" + p["timestamp"] + "\n" + p["nonce_str"] + "\n" + string(r.signedBody()) + "\n"
	digest := sha256.Sum256([]byte(msg))
	if rsa.VerifyPKCS1v15(s.Merchant.PublicKey(), stdcrypto.SHA256, digest[:], sig) != nil {
		return fail("signature does not verify")
	}
	return nil
}

// signV3Answer returns the Wechatpay-* headers of an answer body.
func signV3Answer(key *rsa.PrivateKey, serial string, now time.Time, body []byte) map[string]string {
	ts := strconv.FormatInt(now.Unix(), 10)
	nonce := randomString(32)
	digest := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + string(body) + "\n"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, stdcrypto.SHA256, digest[:])
	return map[string]string{
		"Wechatpay-Timestamp": ts,
		"Wechatpay-Nonce":     nonce,
		"Wechatpay-Serial":    serial,
		"Wechatpay-Signature": base64.StdEncoding.EncodeToString(sig),
	}
}

// authenticateV2 parses an APIv2 request's fields and checks mch_id and
// sign. It returns the FAIL answer WeChat Pay gives, or nil.
func (s *Server) authenticateV2(r *Request) *Answer {
	switch {
	case r.Method == http.MethodGet:
		r.Fields = map[string]string{}
		for k, v := range r.URL.Query() {
			r.Fields[k] = v[0]
		}
	case r.Parts != nil: // an upload: the fields are the parts but the file
		r.Fields = map[string]string{}
		for _, p := range r.Parts {
			if p.Filename == "" {
				r.Fields[p.Name] = string(p.Data)
			}
		}
	default:
		f, err := decodeXML(r.Body)
		if err != nil {
			return FailV2("XML格式错误: " + err.Error())
		}
		r.Fields = f
	}
	id := r.Fields["mch_id"]
	for _, k := range []string{"mchid", "combine_mch_id"} {
		if id == "" {
			id = r.Fields[k]
		}
	}
	if id != s.MchID {
		return FailV2("mch_id参数错误")
	}
	want, err := v2Sign(r.Fields, r.signType(), s.Secret)
	if err != nil {
		return FailV2(err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(r.Fields["sign"])) != 1 {
		return FailV2("签名错误")
	}
	return nil
}

// v2Sign computes an APIv2 sign: the non-empty fields but sign, sorted by
// key, joined as k=v&…, then "&key=" and the APIv2 key, hashed with MD5 or
// keyed HMAC-SHA256, in upper-case hex.
func v2Sign(fields map[string]string, signType, secret string) (string, error) {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(fields[k])
	}
	b.WriteString("&key=" + secret)
	var h hash.Hash
	switch signType {
	case "MD5":
		h = md5.New()
	case "HMAC-SHA256":
		h = hmac.New(sha256.New, []byte(secret))
	default:
		return "", errors.New("sign_type参数错误")
	}
	h.Write([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil))), nil
}

func signV2(fields map[string]string, signType, secret string) map[string]string {
	out := make(map[string]string, len(fields)+1)
	for k, v := range fields {
		out[k] = v
	}
	sign, err := v2Sign(out, signType, secret)
	if err != nil {
		sign, _ = v2Sign(out, "MD5", secret)
	}
	out["sign"] = sign
	return out
}

// decodeXML reads a flat <xml><k>v</k>…</xml> document. RawToken, with the
// tags matched here, reads it as Token would, without resolving namespaces
// (names are taken by their local part).
func decodeXML(b []byte) (map[string]string, error) {
	d := xml.NewDecoder(bytes.NewReader(b))
	out := map[string]string{}
	var open []xml.Name
	var key string
	var text strings.Builder
	for {
		tok, err := d.RawToken()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			open = append(open, t.Name)
			if len(open) == 2 {
				key = t.Name.Local
				text.Reset()
			}
		case xml.CharData:
			if len(open) == 2 {
				text.Write(t)
			}
		case xml.EndElement:
			if len(open) == 0 || open[len(open)-1] != t.Name {
				line, _ := d.InputPos()
				return nil, &xml.SyntaxError{Msg: "unexpected end element </" + t.Name.Local + ">", Line: line}
			}
			if len(open) == 2 {
				out[key] = text.String()
			}
			open = open[:len(open)-1]
			if len(open) == 0 {
				return out, nil
			}
		}
	}
}

// encodeXML writes fields as <xml>, keys sorted, values in CDATA as WeChat
// Pay does.
func encodeXML(fields map[string]string) []byte { return encodeXMLRoot("xml", fields) }

// encodeXMLRoot writes fields under the root element root.
func encodeXMLRoot(root string, fields map[string]string) []byte {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.WriteString("<" + root + ">")
	for _, k := range keys {
		v := strings.ReplaceAll(fields[k], "]]>", "]]]]><![CDATA[>")
		b.WriteString("<" + k + "><![CDATA[" + v + "]]></" + k + ">")
	}
	b.WriteString("</" + root + ">")
	return b.Bytes()
}
