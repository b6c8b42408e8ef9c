package wechatpay

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/transformer"
)

// The bodies a debug record carries are redacted by their structure, since
// the client does not read the endpoint catalog (the catalog package is
// not part of the client): a value is replaced with [REDACTED] when
//
//   - its field's name is one WeChat Pay encrypts somewhere (the names of
//     every field the catalog marks encrypted, sensitiveFields, kept equal
//     to the catalog by a test) or one that holds a signature or key;
//   - it looks like ciphertext or a signature: 40 or more characters of
//     base64 with upper and lower case letters and digits (RSA-OAEP fields
//     are 344 characters; hex digests, paths and WeChat Pay's IDs do not
//     match);
//   - it is a value the call's SensitiveEncrypter made.
//
// A body that is neither JSON nor XML (a file, a CSV) is described by its
// length only.

// sensitiveFields are the field names WeChat Pay encrypts in some request,
// answer or notification (the catalog's encrypted fields), and those that
// hold signatures and keys.
var sensitiveFields = setOf(
	// Encrypted somewhere (by-rsa-pubkey, by-aes-gcm, by-aes-ecb).
	"account_name", "account_number", "address", "admin_name", "bal_account_no", "bank_account",
	"bank_card_no", "bank_card_number", "beneficial_owner_address", "beneficial_owner_id_no",
	"beneficial_owner_name", "business_license_number", "card_address", "card_name", "card_no",
	"card_number", "cert_no", "cert_number", "certificate_id", "certificate_name", "certificate_no",
	"certificate_number", "certificates_name", "certificates_number", "ciphertext",
	"consultation_phone_number", "contact_email", "contact_id_card_number", "contact_id_number",
	"contact_name", "cred_id", "credential_type", "driver_name", "email", "enc_bank_no", "enc_true_name",
	"encrypted_credential_id", "encrypted_echo_message", "encrypted_name", "encrypted_phone_number",
	"encrypted_real_name", "event_ciphertext", "id_card_address", "id_card_name", "id_card_number",
	"id_digest", "id_doc_address", "id_doc_name", "id_doc_number", "identification_address",
	"identification_name", "identification_no", "identification_number", "identity_id",
	"legal_representative_address", "legal_representative_id_no", "legal_representative_name",
	"merchant_id_no", "merchant_name", "mobile", "mobile_phone", "name", "new_account_name", "number",
	"operate_user", "payer_phone", "phone", "phone_number", "real_name", "receiver_name", "req_info",
	"settlement_card_name", "settlement_card_no", "tel", "ubo_id_doc_address", "ubo_id_doc_name",
	"ubo_id_doc_number", "user_chosen_values", "user_id_card", "user_name", "user_real_name", "userid",
	"value",
	// Signatures and keys.
	"sign", "paysign", "pay_sign", "signature", "authorization", "key", "secret", "api_key", "apiv3_key",
	"private_key", "password", "encrypt_key",
)

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// redactor redacts the bodies of one call.
type redactor struct {
	values map[string]bool // made by the call's SensitiveEncrypter
}

func newRedactor(values []string) *redactor {
	return &redactor{values: setOf(values...)}
}

// request describes what a request carries: its APIv2 fields, or its body
// (for an upload, the meta JSON that is signed in its place).
func (r *redactor) request(req *middleware.Request) string {
	if req.Fields != nil {
		m := make(map[string]any, len(req.Fields))
		for _, p := range req.Fields {
			m[p.Key] = p.Value
		}
		return r.encode(m)
	}
	return r.body(req.Body)
}

// response describes an answer's body; a download is described by the
// bytes written to its destination.
func (r *redactor) response(resp *Response) string {
	if len(resp.Body) == 0 && resp.Written > 0 {
		return fmt.Sprintf("[%d bytes to the download's destination]", resp.Written)
	}
	return r.body(resp.Body)
}

// body redacts a JSON or XML body, or describes another by its length.
func (r *redactor) body(b []byte) string {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return ""
	case t[0] == '{' || t[0] == '[':
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.UseNumber()
		var v any
		if dec.Decode(&v) == nil {
			return r.encode(v)
		}
	case t[0] == '<':
		if m, err := transformer.ToMap(t); err == nil {
			return r.encode(m)
		}
	}
	return fmt.Sprintf("[%d bytes, not JSON or XML]", len(b))
}

func (r *redactor) encode(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.walk("", v)); err != nil {
		return "[unprintable]"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// walk returns v with the values to hide replaced; name is the field v is
// the value of.
func (r *redactor) walk(name string, v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, x := range t {
			out[k] = r.walk(k, x)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = r.walk(name, x)
		}
		return out
	case nil, bool:
		return t
	}
	if sensitiveFields[strings.ToLower(name)] {
		return redacted
	}
	s, ok := v.(string)
	if !ok {
		return v
	}
	if r.values[s] || looksLikeCiphertext(s) {
		return redacted
	}
	if strings.HasPrefix(s, "{") {
		// A JSON document in a string (APIv2's detail, scene_info).
		var inner any
		if json.Unmarshal([]byte(s), &inner) == nil {
			if _, isObj := inner.(map[string]any); isObj {
				return r.encode(inner)
			}
		}
	}
	return r.text(s)
}

// text hides, in free text (an error message quoting what was sent), the
// call's encrypted values and what looks like ciphertext.
func (r *redactor) text(s string) string {
	for v := range r.values {
		s = strings.ReplaceAll(s, v, redacted)
	}
	return redactText(s)
}

// looksLikeCiphertext reports a string of 40 or more base64 characters
// (standard or URL alphabet) holding upper and lower case letters and
// digits: RSA and AES ciphertexts and signatures, whose 40 random
// characters all but always hold all three, but not hex digests, paths,
// IDs or dates.
func looksLikeCiphertext(s string) bool {
	if len(s) < 40 {
		return false
	}
	var upper, lower, digit bool
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			upper = true
		case 'a' <= c && c <= 'z':
			lower = true
		case '0' <= c && c <= '9':
			digit = true
		case c == '+' || c == '/' || c == '=' || c == '-' || c == '_':
		default:
			return false
		}
	}
	return upper && lower && digit
}

// redactText hides what looks like ciphertext in free text, such as an
// error message that quotes an answer.
func redactText(s string) string {
	fields := strings.FieldsFunc(s, func(c rune) bool {
		return !(c < 0x80 && (c == '+' || c == '/' || c == '=' || c == '-' || c == '_' ||
			'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'))
	})
	for _, f := range fields {
		if looksLikeCiphertext(f) {
			s = strings.ReplaceAll(s, f, redacted)
		}
	}
	return s
}
