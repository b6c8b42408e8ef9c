package wechatpaytest

import (
	"bytes"
	"encoding/json"
	"net/http"
)

// Request is an authenticated request, as a handler sees it.
type Request struct {
	*http.Request
	// Body is the request body as received.
	Body []byte
	// Protocol is "v2" or "v3".
	Protocol string
	// Route is the matched template.
	Route string
	// Vars holds the decoded values of the template's {name} segments.
	Vars map[string]string
	// Fields holds an APIv2 request's fields (from the XML body, the query
	// of a GET, or the non-file parts of a multipart upload).
	Fields map[string]string
	// Parts holds the parts of a multipart/form-data body (uploads), in
	// order; nil for other bodies.
	Parts []Part

	verified bool // the signature held (Received.Verified)
}

// Part is one part of a multipart/form-data body.
type Part struct {
	// Name is the form field name: "meta" and "file" for APIv3 uploads.
	Name string
	// Filename is the file name of a file part, "" for a field.
	Filename string
	// ContentType is the part's Content-Type, if given.
	ContentType string
	// Data is the part's content.
	Data []byte
}

// Part returns the part named name, or nil.
func (r *Request) Part(name string) *Part {
	for i := range r.Parts {
		if r.Parts[i].Name == name {
			return &r.Parts[i]
		}
	}
	return nil
}

// DecodeJSON decodes an APIv3 request body into v, keeping numbers exact
// (json.Number) when v is an interface.
func (r *Request) DecodeJSON(v any) error {
	d := json.NewDecoder(bytes.NewReader(r.Body))
	d.UseNumber()
	return d.Decode(v)
}

func (r *Request) signType() string {
	if t := r.Fields["sign_type"]; t != "" {
		return t
	}
	return "MD5"
}

// Answer is what a handler returns; the server signs it.
type Answer struct {
	// Status is the HTTP status; 200 when zero.
	Status int
	// Header is added to the answer.
	Header http.Header
	// Body is sent as is when not nil.
	Body []byte
	// JSON is marshaled into the body when Body is nil.
	JSON any
	// Fields are an APIv2 answer, written as XML and signed with the
	// request's sign_type unless Unsigned.
	Fields map[string]string
	// Unsigned leaves the answer unsigned (no Wechatpay-* headers for
	// APIv3, no sign field for APIv2), as WeChat Pay does for downloads.
	Unsigned bool
	// SignedBody, when not nil, is what the APIv3 signature covers instead
	// of the body, as for overseas statements, signed over
	// {"sha1":"<Wechatpay-Statement-Sha1>"}.
	SignedBody []byte

	// signer, when set, signs the answer in CertificateMode instead of the
	// current platform certificate: the answer to a rotation is signed
	// with the certificate its caller knows.
	signer *Identity
}

// JSON returns an APIv3 answer with a JSON body.
func JSON(status int, v any) *Answer { return &Answer{Status: status, JSON: v} }

// ErrorJSON returns an APIv3 error answer: {"code":…,"message":…}.
func ErrorJSON(status int, code, message string) *Answer {
	return &Answer{Status: status, JSON: map[string]any{"code": code, "message": message}}
}

// Fields returns a successful APIv2 answer: return_code and result_code
// SUCCESS, plus f.
func Fields(f map[string]string) *Answer {
	out := map[string]string{"return_code": "SUCCESS", "return_msg": "OK", "result_code": "SUCCESS"}
	for k, v := range f {
		out[k] = v
	}
	return &Answer{Fields: out}
}

// FailV2 returns an APIv2 communication failure (return_code FAIL), which
// WeChat Pay does not sign.
func FailV2(msg string) *Answer {
	return &Answer{Fields: map[string]string{"return_code": "FAIL", "return_msg": msg}, Unsigned: true}
}
