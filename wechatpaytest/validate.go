package wechatpaytest

import (
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// paramError is WeChat Pay's 400 answer naming the offending parameter:
// {"code":"PARAM_ERROR","message":…,"detail":{"field":…,"location":…}}.
func paramError(field, location, message string) *Answer {
	return &Answer{Status: http.StatusBadRequest, JSON: map[string]any{
		"code":    "PARAM_ERROR",
		"message": message,
		"detail":  map[string]any{"field": field, "location": location},
	}}
}

// paramErrorV2 is the APIv2 business failure naming a missing field.
func paramErrorV2(field string) *Answer {
	return Fields(map[string]string{
		"result_code": "FAIL", "err_code": "PARAM_ERROR",
		"err_code_des": fmt.Sprintf("缺少参数 %s (missing field %s)", field, field),
	})
}

// checkRequired answers PARAM_ERROR when a parameter the catalog marks
// required is missing from r; nil when all are there.
func checkRequired(r *Request, e *catalog.Entry) *Answer {
	for i := range e.Request {
		n := &e.Request[i]
		switch {
		case r.Protocol == "v2" && n.Name == "query" && r.Method != http.MethodGet:
			q := r.URL.Query()
			for _, c := range requiredNames(n.Children) {
				if q.Get(c) == "" {
					return paramErrorV2(c)
				}
			}
		case r.Protocol == "v2" && (n.Name == "xml" || n.Name == "query" || n.Name == "body"):
			for _, c := range requiredNames(n.Children) {
				if r.Fields[c] == "" && (n.Name != "body" || r.Part(c) == nil) {
					return paramErrorV2(c)
				}
			}
		case n.Name == "query":
			q := r.URL.Query()
			for _, c := range requiredNames(n.Children) {
				if q.Get(c) == "" {
					return paramError(c, "query", fmt.Sprintf("缺少查询参数 %s (query parameter %s is required)", c, c))
				}
			}
		case n.Name == "headers":
			for _, c := range requiredNames(n.Children) {
				if r.Header.Get(c) == "" {
					return paramError(c, "header", fmt.Sprintf("缺少请求头 %s (header %s is required)", c, c))
				}
			}
		case n.Name == "json":
			var body any
			if err := r.DecodeJSON(&body); err != nil {
				if !n.Required && len(r.Body) == 0 {
					continue
				}
				return paramError("/", "body", "请求体不是合法的JSON (the body is not JSON): "+err.Error())
			}
			if field := missingIn(body, n.Children, ""); field != "" {
				return paramError(field, "body", fmt.Sprintf("缺少必填参数 %s (%s is required)", field, field))
			}
		case n.Name == "body" && r.Protocol != "v2":
			if field := missingPart(r, n.Children); field != "" {
				return paramError(field, "body", fmt.Sprintf("缺少必填参数 %s (%s is required)", field, field))
			}
		}
	}
	return checkDigest(r)
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
				return paramErrorV2("media_hash")
			}
		}
		return nil
	}
	var meta map[string]any
	if p := r.Part("meta"); p != nil && json.Unmarshal(p.Data, &meta) == nil {
		want, _ := meta["sha256"].(string)
		if sum := sha256.Sum256(file.Data); want != "" && !strings.EqualFold(hex.EncodeToString(sum[:]), want) {
			return paramError("/meta/sha256", "body", "文件摘要与 meta.sha256 不符 (the file does not match meta.sha256)")
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

// missingIn returns the JSON pointer of the first required field of nodes
// missing from v, or "". Alternatives (nodes sharing a name) pass when any
// of them does.
func missingIn(v any, nodes []catalog.Node, at string) string {
	obj, _ := v.(map[string]any)
	for _, name := range namesOf(nodes) {
		alts := alternatives(nodes, name)
		val, present := obj[name]
		if !present || val == nil {
			if anyRequired(alts) {
				return at + "/" + name
			}
			continue
		}
		first := ""
		for _, n := range alts {
			miss := missingValue(val, n, at+"/"+name)
			if miss == "" {
				first = ""
				break
			}
			if first == "" {
				first = miss
			}
		}
		if first != "" {
			return first
		}
	}
	return ""
}

// missingValue checks the required fields inside one present value.
func missingValue(val any, n catalog.Node, at string) string {
	if len(n.Children) == 0 {
		return ""
	}
	switch n.Type {
	case "object":
		if s, ok := val.(string); ok && n.Encoded != "" {
			// A JSON-encoded string: its children describe the decoded value.
			var inner any
			if json.Unmarshal([]byte(s), &inner) != nil {
				return at
			}
			val = inner
		}
		if _, ok := val.(map[string]any); !ok {
			return ""
		}
		return missingIn(val, n.Children, at)
	case "object[]":
		list, _ := val.([]any)
		for i, item := range list {
			if miss := missingIn(item, n.Children, at+"/"+strconv.Itoa(i)); miss != "" {
				return miss
			}
		}
	}
	return ""
}

// missingPart checks an APIv3 upload: its required parts, and the required
// fields of its meta JSON.
func missingPart(r *Request, nodes []catalog.Node) string {
	for _, name := range namesOf(nodes) {
		alts := alternatives(nodes, name)
		p := r.Part(name)
		if p == nil {
			if anyRequired(alts) {
				return "/" + name
			}
			continue
		}
		for _, n := range alts {
			if len(n.Children) == 0 {
				continue
			}
			var meta any
			if json.Unmarshal(p.Data, &meta) != nil {
				return "/" + name
			}
			if miss := missingIn(meta, n.Children, "/"+name); miss != "" {
				return miss
			}
		}
	}
	return ""
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
