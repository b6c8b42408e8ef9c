package middleware

import "testing"

// An APIv2 answer's JSON is made when Get, JSON or Unmarshal asks for it,
// once, and never for XML.
func TestResponseJSONOnDemand(t *testing.T) {
	r := &Response{StatusCode: 200, Body: []byte("<xml><return_code><![CDATA[SUCCESS]]></return_code><total_fee>1</total_fee></xml>")}
	r.setFields(map[string]any{"return_code": "SUCCESS", "total_fee": "1"})
	fields, err := r.XML()
	if err != nil || fields["total_fee"] != "1" {
		t.Fatalf("XML() = %v, %v", fields, err)
	}
	if r.json != nil {
		t.Fatalf("XML() made the JSON %s", r.json)
	}
	if got := r.Get("total_fee").String(); got != "1" {
		t.Fatalf(`Get("total_fee") = %q`, got)
	}
	made := r.json
	var v struct {
		ReturnCode string `json:"return_code"`
	}
	if err := r.Unmarshal(&v); err != nil || v.ReturnCode != "SUCCESS" {
		t.Fatalf("Unmarshal: %+v, %v", v, err)
	}
	if &r.json[0] != &made[0] {
		t.Fatal("the JSON was made twice")
	}

	// An answer no step parsed is parsed at the first ask, once.
	r = &Response{StatusCode: 200, Body: []byte(" <xml><a>1</a></xml>")}
	if got := r.JSON().Get("a").String(); got != "1" {
		t.Fatalf(`JSON().Get("a") = %q`, got)
	}
	if fields, err := r.XML(); err != nil || fields["a"] != "1" {
		t.Fatalf("XML() = %v, %v", fields, err)
	}
	r = &Response{StatusCode: 200, Body: []byte("<xml><a>1</b></xml>")}
	if _, err := r.XML(); err == nil {
		t.Fatal("XML() of malformed XML: no error")
	}
	if err := r.Unmarshal(&v); err == nil {
		t.Fatal("Unmarshal of malformed XML: no error")
	}
}
