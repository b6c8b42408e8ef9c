package main

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// merchantID is the merchant ID of every generated call: the documentation's
// own (1900000109), which the sandbox's Config carries too. APIv2 calls must
// name the configured one.
const merchantID = "1900000109"

// literal writes sample values as Go expressions, for an M literal.
type literal struct {
	v2        bool
	encrypted bool // some value went through encrypt()
}

// expr returns the Go expression of v, a value of the field described by
// nodes' node name (nil when undocumented).
func (l *literal) expr(v *value, node *catalog.Node, name string) string {
	if v.jsonEncodeArg() != nil {
		// A nested value the field carries JSON-encoded, as PHP's
		// json_encode writes it.
		return goString(resolve(v, node).str)
	}
	if src := v.php(); src != "" {
		return phpExpr(src, name)
	}
	switch v.kind {
	case 'o':
		return l.object(v, childrenOf(node))
	case 'a':
		return l.array(v, node, name)
	case 's':
		s := v.str
		if s == "" {
			// An empty string in a sample is a value to fill in.
			s = placeholder(name)
			if node != nil && len(node.Enum) > 0 && node.Encrypted == "" {
				s = node.Enum[0]
			}
		}
		if node != nil && node.Encrypted == catalog.ByRSAPublicKey {
			l.encrypted = true
			return "encrypt(" + goString(plaintextFor(name, s)) + ")"
		}
		return goString(s)
	case 'n':
		if v.str == "0" && node != nil && len(node.Enum) > 0 && !slices.Contains(node.Enum, "0") {
			// 0 where the field lists its values is a value to fill in.
			return node.Enum[0]
		}
		return v.str
	case 'b':
		return strconv.FormatBool(v.b)
	}
	return "nil"
}

// object writes an M literal, one key a line unless it is short.
func (l *literal) object(v *value, nodes catalog.Nodes) string {
	if len(v.keys) == 0 {
		return "wechatpay.M{}"
	}
	parts := make([]string, len(v.keys))
	short := len(v.keys) <= 3
	for i, k := range v.keys {
		parts[i] = goString(k) + ": " + l.expr(v.items[i], findNode(nodes, k), k)
		short = short && v.items[i].kind != 'o' && v.items[i].kind != 'a' && !strings.Contains(parts[i], "\n")
	}
	if inline := "wechatpay.M{" + strings.Join(parts, ", ") + "}"; short && len(inline) <= 72 {
		return inline
	}
	return "wechatpay.M{\n" + strings.Join(parts, ",\n") + ",\n}"
}

func (l *literal) array(v *value, node *catalog.Node, name string) string {
	if len(v.items) == 0 {
		return "[]any{}"
	}
	kind := v.items[0].kind
	for _, it := range v.items {
		if it.kind != kind || it.php() != "" || it.jsonEncodeArg() != nil {
			kind = 0
		}
	}
	parts := make([]string, len(v.items))
	for i, it := range v.items {
		parts[i] = l.expr(it, node, name)
	}
	switch kind {
	case 'o':
		// []wechatpay.M{{…}, {…}}: the elements' type is implied.
		for i := range parts {
			parts[i] = strings.TrimPrefix(parts[i], "wechatpay.M")
		}
		return "[]wechatpay.M{\n" + strings.Join(parts, ",\n") + ",\n}"
	case 's':
		return "[]string{" + strings.Join(parts, ", ") + "}"
	case 'n':
		typ := "int"
		for _, it := range v.items {
			if strings.ContainsAny(it.str, ".eE") {
				typ = "float64"
			}
		}
		return "[]" + typ + "{" + strings.Join(parts, ", ") + "}"
	case 'b':
		return "[]bool{" + strings.Join(parts, ", ") + "}"
	}
	return "[]any{" + strings.Join(parts, ", ") + "}"
}

// childrenOf returns a node's children, for the fields of an object.
func childrenOf(n *catalog.Node) catalog.Nodes {
	if n == nil {
		return nil
	}
	return n.Children
}

// findNode returns the node named name among nodes, preferring an
// encrypted one among alternatives.
func findNode(nodes catalog.Nodes, name string) *catalog.Node {
	var first *catalog.Node
	for i := range nodes {
		if nodes[i].Name != name {
			continue
		}
		if nodes[i].Encrypted != "" {
			return &nodes[i]
		}
		if first == nil {
			first = &nodes[i]
		}
	}
	return first
}

// phpExpr is the Go form of a PHP expression of the samples.
func phpExpr(src, name string) string {
	switch {
	case strings.Contains(src, "queryStringLike(['posttime'"):
		return `url.QueryEscape("posttime=1717171199&mobile=122344545&deviceid=IOS&clientversion=234134")`
	case strings.Contains(src, "timestamp"):
		return "time.Now().Unix()"
	case src == "$workwxSign":
		return `"C380BEC2BFD727A4B6845133519F3AD6" /* 企业微信签名: see WeChat Work's documentation */`
	case src == "$certSerialNo":
		return `"7E2A8FCF3B5B1F0C5A9B1E3C1A2D4F6E8A0B2C4D" /* the merchant API certificate's serial (商户API证书序列号) */`
	case strings.Contains(src, "rawurldecode($segment)"):
		// a media_id as the complaint's answer gives it
		return `"ChsyMDI0MDYwMTEyMzQ1Njc4OTAxMjM0NTY3ODkwEgVpbWFnZQ=="`
	case strings.Contains(src, "Formatter::nonce()"):
		return "formatter.Nonce()"
	}
	return fmt.Sprintf("%q /* PHP: %s */", name, src)
}

// placeholder is a plausible value for a parameter a sample leaves empty
// or out.
func placeholder(name string) string {
	switch name {
	case "openid":
		return "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	case "service_id":
		return "500001"
	case "sub_mchid":
		return "1900000110"
	case "bill_type":
		return "NO_SUCC"
	}
	switch {
	case strings.HasSuffix(name, "appid"):
		return "wxd678efh567hg6787"
	case strings.HasSuffix(name, "openid"):
		return "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	case strings.HasSuffix(name, "mchid") || strings.HasSuffix(name, "mch_id"):
		return merchantID
	case strings.HasSuffix(name, "url"):
		return "https://www.example.com/notify"
	case strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_no") || strings.HasSuffix(name, "_code"):
		return "4200000985202406011234567890"
	}
	return "wechatpaytest"
}

// plaintextFor is the plaintext a page encrypts for a sensitive field: the
// samples hold made-up ciphertext there.
func plaintextFor(name, sample string) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "mobile") || strings.Contains(n, "phone"):
		return "13800138000"
	case strings.Contains(n, "email"):
		return "zhangsan@example.com"
	case n == "number" || strings.Contains(n, "id_card_number") || strings.Contains(n, "id_number") || strings.Contains(n, "id_doc_number") || strings.Contains(n, "identification_number"):
		return "110101199003071234"
	case strings.Contains(n, "account_number") || strings.Contains(n, "bank_account") || strings.Contains(n, "card_no") || strings.Contains(n, "card_number"):
		return "6214830000000000"
	case strings.Contains(n, "address"):
		return "广东省深圳市南山区科技中一道10000号"
	case strings.Contains(n, "name"):
		return "张三"
	}
	return sample
}

// goString quotes s for Go, in backquotes when that reads better (JSON).
func goString(s string) string {
	if strings.Contains(s, `"`) && !strings.ContainsAny(s, "`\r\n") && strconv.CanBackquote(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// resolve returns a sample value as it is sent inside JSON text: a
// json_encode call as the string it makes, and the values to fill in
// filled (a 0 where the field lists its values), following node, the
// field's documentation (nil when undocumented).
func resolve(v *value, node *catalog.Node) *value {
	if arg := v.jsonEncodeArg(); arg != nil {
		// The children of a JSON-encoded string describe its content: an
		// object's fields, or the one array it is.
		var content *catalog.Node
		if node != nil {
			content = &catalog.Node{Type: "object", Children: node.Children}
			if arg.kind == 'a' && len(node.Children) == 1 && strings.HasSuffix(node.Children[0].Type, "[]") {
				content = &node.Children[0]
			}
		}
		var b bytes.Buffer
		resolve(arg, content).plainJSON(&b)
		return &value{kind: 's', str: b.String()}
	}
	switch v.kind {
	case 'o':
		out := &value{kind: 'o', keys: v.keys}
		for i, k := range v.keys {
			out.items = append(out.items, resolve(v.items[i], findNode(childrenOf(node), k)))
		}
		return out
	case 'a':
		out := &value{kind: 'a'}
		for _, it := range v.items {
			out.items = append(out.items, resolve(it, node))
		}
		return out
	case 'n':
		if v.str == "0" && node != nil && len(node.Enum) > 0 && !slices.Contains(node.Enum, "0") {
			return &value{kind: 'n', str: node.Enum[0]}
		}
	}
	return v
}
