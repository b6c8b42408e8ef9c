package main

import (
	"fmt"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// phpCall reconstructs wechatpay-php's call from the catalog sample, in
// its declarative form, with the line that reads the answer.
func phpCall(e *catalog.Entry) (string, error) {
	smp, err := parseValue(e.Sample)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if src := smp.get("body").php(); strings.Contains(src, "$media") {
		fmt.Fprintf(&b, "$media = new \\WeChatPay\\Util\\MediaUtil('/path/to/%s');\n", uploadFile(e))
	}
	fmt.Fprintf(&b, "$response = $instance->chain('%s')->%s(%s);\n", phpEscape(declarative(e)), strings.ToLower(e.Method), phpValue(smp, 0))
	switch e.ResponseFormat {
	case "json":
		b.WriteString("print_r(json_decode((string) $response->getBody(), true));\n")
	case "xml":
		b.WriteString("print_r(\\WeChatPay\\Transformer::toArray((string) $response->getBody()));\n")
	case "none":
		b.WriteString("echo $response->getStatusCode();\n")
	case "binary":
		b.WriteString("echo $response->getStatusCode(); // the file went to the sink\n")
	}
	return b.String(), nil
}

// phpValue writes a sample value as a PHP expression, indented by level.
func phpValue(v *value, level int) string {
	if arg := v.jsonEncodeArg(); arg != nil {
		return "\\json_encode(" + phpValue(arg, level) + ")"
	}
	if src := v.php(); src != "" {
		return src
	}
	ind := strings.Repeat("    ", level+1)
	switch v.kind {
	case 'o':
		if len(v.keys) == 0 {
			return "[]"
		}
		var b strings.Builder
		b.WriteString("[\n")
		for i, k := range v.keys {
			fmt.Fprintf(&b, "%s'%s' => %s,\n", ind, phpEscape(k), phpValue(v.items[i], level+1))
		}
		return b.String() + strings.Repeat("    ", level) + "]"
	case 'a':
		scalar := true
		for _, it := range v.items {
			scalar = scalar && it.kind != 'o' && it.kind != 'a' && it.php() == ""
		}
		if scalar {
			parts := make([]string, len(v.items))
			for i, it := range v.items {
				parts[i] = phpValue(it, level)
			}
			return "[" + strings.Join(parts, ", ") + "]"
		}
		var b strings.Builder
		b.WriteString("[\n")
		for _, it := range v.items {
			b.WriteString(ind + phpValue(it, level+1) + ",\n")
		}
		return b.String() + strings.Repeat("    ", level) + "]"
	case 's':
		return "'" + phpEscape(v.str) + "'"
	case 'n':
		return v.str
	case 'b':
		if v.b {
			return "true"
		}
		return "false"
	}
	return "null"
}

func phpEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s)
}
