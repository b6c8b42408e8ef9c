package validate_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/internal/errata"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/validate"
)

// Every sample of the catalog (the wechatpay-php call of each endpoint's
// page) passes validation in strict mode: the documentation agrees with
// itself. The samples' PHP expressions stand for values of the field's
// documented type, sensitive fields for ciphertext. Uploads are left to
// the endpoint pages' test (docs/endpoints), which sends real forms.
func TestCatalogSamplesPass(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	v, err := validate.New(validate.Options{Strict: true, OnWarning: func(context.Context, validate.Warning) {}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range cat.Entries() {
		e := &cat.Entries()[i]
		if !e.SDKCall || e.Chain == "" {
			continue
		}
		req, ok := sampleRequest(t, e)
		if !ok {
			continue
		}
		n++
		if err := v.Check(context.Background(), req); err != nil {
			t.Errorf("%s (catalog/%s): %v", e, e.Page, err)
		}
	}
	if n < 1100 {
		t.Fatalf("only %d samples checked", n)
	}
	t.Logf("%d catalog samples pass strict validation", n)
}

// sampleRequest builds the request the sample makes, as the client would
// hand it to the validate step; false for an upload.
func sampleRequest(t *testing.T, e *catalog.Entry) (*middleware.Request, bool) {
	var smp map[string]any
	if err := json.Unmarshal(e.Sample, &smp); err != nil {
		t.Fatalf("%s: sample: %v", e, err)
	}
	if _, ok := smp["body"]; ok {
		return nil, false
	}
	for _, fix := range errata.Samples {
		if fix.Method != e.Method || fix.Chain != e.Chain {
			continue
		}
		keys := strings.Split(fix.Path, ".")
		m := smp
		for _, k := range keys[:len(keys)-1] {
			m, _ = m[k].(map[string]any)
		}
		if _, ok := m[keys[len(keys)-1]]; !ok {
			t.Errorf("%s: errata: the sample has no %s", e, fix.Path)
		}
		m[keys[len(keys)-1]] = fix.Value
	}
	v2 := e.Protocol == "v2"
	chain := e.Chain
	for _, name := range e.URIVars {
		n := e.Request.Find(name)
		val := ""
		if s, ok := smp[name]; ok {
			val = plain(s, n)
		}
		if val == "" {
			val = plain(placeholder(n), n)
		}
		if name == "empty" {
			val = ""
		}
		chain = strings.ReplaceAll(chain, "{"+name+"}", url.PathEscape(val))
	}
	path := chain
	if v2 {
		path = chain[3:]
	}
	req := &middleware.Request{Method: e.Method, Template: e.Chain, Pathname: "/" + path, Header: http.Header{}, StreamSize: -1}
	req.URL = &url.URL{Scheme: "https", Host: "api.mch.weixin.qq.com", Path: req.Pathname}
	if sec, ok := smp["security"].(bool); ok {
		req.Security = sec
	}
	if h, ok := smp["headers"].(map[string]any); ok {
		for k, val := range h {
			req.Header.Set(k, plain(val, nil))
		}
	}
	node := func(name string) *catalog.Node { return e.Request.Find(name) }
	if q, ok := smp["query"].(map[string]any); ok {
		pairs := pairsOf(q, node("query"))
		if v2 && e.Method == http.MethodGet {
			req.Fields = pairs
		} else {
			req.URL.RawQuery = middleware.EncodeQuery(pairs)
		}
	}
	if x, ok := smp["xml"]; ok {
		m, _ := x.(map[string]any) // PHP's [] is a list
		req.Fields = pairsOf(m, node("xml"))
	}
	if j, ok := smp["json"]; ok {
		body, err := json.Marshal(convert(j, node("json")))
		if err != nil {
			t.Fatal(err)
		}
		req.Body = body
	}
	return req, true
}

func pairsOf(m map[string]any, n *catalog.Node) []formatter.Pair {
	out := []formatter.Pair{}
	for k, val := range m {
		out = append(out, formatter.Pair{Key: k, Value: plain(val, child(n, k))})
	}
	return out
}

func child(n *catalog.Node, name string) *catalog.Node {
	if n == nil {
		return nil
	}
	return n.Child(name)
}

// plain writes a sample value as the text an APIv2 field, a query
// parameter or a path segment carries.
func plain(v any, n *catalog.Node) string {
	switch x := convert(v, n).(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// ciphertext stands for a sensitive field encrypted with RSA-2048.
var ciphertext = base64.StdEncoding.EncodeToString(make([]byte, 256))

// convert turns a sample value into what a Go caller sends: a PHP
// json_encode call into its JSON text, another PHP expression into a
// value of the field's type, a sensitive field into ciphertext.
func convert(v any, n *catalog.Node) any {
	if n != nil && n.Encrypted == catalog.ByRSAPublicKey {
		return ciphertext
	}
	switch x := v.(type) {
	case string:
		if x == "" { // a value to fill in, as the pages fill it
			return placeholder(n)
		}
	case float64:
		if x == 0 && n != nil && len(n.Enum) > 0 && !slices.Contains(n.Enum, "0") {
			return placeholder(n) // 0 for a value to fill in
		}
	case map[string]any:
		if x["$call"] == "json_encode" {
			args, _ := x["args"].([]any)
			var inner *catalog.Node
			if n != nil {
				inner = &catalog.Node{Type: "object", Children: n.Children}
			}
			b, _ := json.Marshal(convert(args[0], inner))
			return string(b)
		}
		if _, ok := x["$php"]; ok {
			return placeholder(n)
		}
		out := map[string]any{}
		for k, val := range x {
			out[k] = convert(val, child(n, k))
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, val := range x {
			out[i] = convert(val, n)
		}
		return out
	}
	return v
}

// placeholder is a value of the node's type for a PHP expression.
func placeholder(n *catalog.Node) any {
	if n == nil {
		return "x"
	}
	if len(n.Enum) > 0 {
		if f, err := strconv.ParseFloat(n.Enum[0], 64); err == nil && (n.Type == "integer" || n.Type == "number") {
			return f
		}
		return n.Enum[0]
	}
	switch n.Type {
	case "integer", "number":
		return 1
	case "boolean":
		return true
	case "object":
		return map[string]any{}
	case "object[]", "string[]", "integer[]", "number[]":
		return []any{}
	}
	return "x"
}
