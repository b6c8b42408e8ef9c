package middleware

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/tidwall/gjson"

	"github.com/wechatpay-go/wechatpay/transformer"
)

// Response is an answer from WeChat Pay.
//
// It holds copies of what was received, never buffers that the transport
// reuses, so it may be kept and shared after the call.
type Response struct {
	// StatusCode is the HTTP status code.
	StatusCode int

	// Header holds the answer's headers.
	Header http.Header

	// Body is the answer's body, decompressed. It is empty when the body went
	// to Request.Sink.
	Body []byte

	// Written is the number of body bytes written to Request.Sink.
	Written int64

	// Request is the request that produced the answer, as it was sent.
	Request *Request

	// An APIv2 answer's fields, set by transform_response or parsed at the
	// first ask; its JSON, made only when asked for.
	parseOnce sync.Once
	fields    map[string]any
	parseErr  error
	jsonOnce  sync.Once
	json      []byte // Body, or the APIv2 fields as JSON
	jsonErr   error
}

// RequestID returns the Request-ID header WeChat Pay puts on every answer;
// quote it when asking WeChat Pay's support about a call.
func (r *Response) RequestID() string { return r.Header.Get("Request-ID") }

// XML returns the fields of an APIv2 XML answer.
func (r *Response) XML() (map[string]any, error) {
	r.parse()
	if r.fields == nil {
		if r.parseErr != nil {
			return nil, r.parseErr
		}
		return nil, fmt.Errorf("wechatpay: the answer is not XML")
	}
	return r.fields, nil
}

// JSON returns the answer as a gjson.Result: the body of an APIv3 answer,
// or the fields of an APIv2 XML answer seen as a JSON object, so that the
// same accessors serve both protocols.
func (r *Response) JSON() gjson.Result {
	r.decode()
	return gjson.ParseBytes(r.json)
}

// Get returns the value at a gjson path, e.g. "payer.openid" or
// "code_url". See JSON.
func (r *Response) Get(path string) gjson.Result {
	r.decode()
	return gjson.GetBytes(r.json, path)
}

// Unmarshal decodes the answer into v with encoding/json: the JSON body of
// an APIv3 answer, or the fields of an APIv2 answer (all values are strings
// there, so use string fields or the ",string" option).
func (r *Response) Unmarshal(v any) error {
	r.decode()
	if r.parseErr != nil {
		return r.parseErr
	}
	if r.jsonErr != nil {
		return r.jsonErr
	}
	if err := json.Unmarshal(r.json, v); err != nil {
		return fmt.Errorf("wechatpay: decoding the answer: %w", err)
	}
	return nil
}

// setFields records the parsed fields of an APIv2 answer.
func (r *Response) setFields(m map[string]any) {
	r.fields = m
}

// parse reads the fields of an XML answer that transform_response did not
// read (one from a custom stack, say).
func (r *Response) parse() {
	r.parseOnce.Do(func() {
		if r.fields == nil && looksLikeXML(r.Body) {
			r.fields, r.parseErr = transformer.ToMap(r.Body[skipXMLSpace(r.Body):])
		}
	})
}

// decode makes the JSON that Get, JSON and Unmarshal read: the body, or
// the fields of an XML answer.
func (r *Response) decode() {
	r.parse()
	r.jsonOnce.Do(func() {
		if r.fields == nil {
			r.json = r.Body
			return
		}
		r.json, r.jsonErr = json.Marshal(r.fields)
	})
}

// looksLikeXML reports whether an answer body is an XML document rather than
// JSON, CSV or a file: its first byte that is not whitespace (or a byte
// order mark) is '<'.
func looksLikeXML(b []byte) bool {
	b = b[skipXMLSpace(b):]
	return len(b) > 0 && b[0] == '<'
}
