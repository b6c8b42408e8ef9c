package main

import (
	"fmt"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// notifyPath is where the generated servers take notifications.
const notifyPath = "/wechatpay/notify"

// webhookExample writes the handler of a notification, and the lines that
// serve it: the test starts the server, the sandbox delivers the
// notification, and the acknowledgement must be the documented one.
func webhookExample(e *catalog.Entry, names map[string]bool) (*example, error) {
	fn := handlerName(e, names)
	ex := &example{entry: e, sig: "(nf *wechatpay.Notifier) http.Handler", ret: "return server.Handler"}
	var d strings.Builder
	if e.Protocol == "v2" {
		fmt.Fprintf(&d, "// %s handles %s, its sign checked\n// (and what it carries encrypted, decrypted) by the Notifier.\n", fn, e.Title)
		fmt.Fprintf(&d, "func %s(ctx context.Context, n *wechatpay.V2Notification) error {\n", fn)
		d.WriteString(v2Reads(e))
		d.WriteString("return nil // answered <xml><return_code>SUCCESS</return_code>…; an error answers FAIL, and WeChat Pay sends it again\n}\n")
	} else {
		fmt.Fprintf(&d, "// %s handles %s, verified and decrypted by\n// the Notifier.\n", fn, e.Title)
		fmt.Fprintf(&d, "func %s(ctx context.Context, n *wechatpay.Notification) error {\n", fn)
		d.WriteString(v3Reads(e))
		if r := replyLiteral(e); r != "" {
			d.WriteString("// This notification expects business data back: the handler signs it with\n// the merchant key (Authorization) and answers 200.\n")
			d.WriteString("n.Reply(" + r + ")\n")
			d.WriteString("return nil\n}\n")
		} else {
			d.WriteString("return nil // answered 204 No Content; an error answers 500, and WeChat Pay sends it again\n}\n")
		}
	}
	ex.decls = d.String()
	handler := "Handler"
	if e.Protocol == "v2" {
		handler = "V2Handler"
	}
	ex.blocks = []codeBlock{{
		intro: fmt.Sprintf("Served with `net/http` (`nf` is `client.Notifier()`, or `wechatpay.NewNotifier(cfg)` on a server that makes no calls), then `server.ListenAndServe()`; `FastHTTP%s` serves fasthttp:", handler),
		code: fmt.Sprintf("mux := http.NewServeMux()\nmux.Handle(\"POST %s\", nf.%s(%s))\n", notifyPath, handler, fn) +
			"// Timeouts, so that a slow client cannot hold the server: http.ListenAndServe sets none.\n" +
			"server := &http.Server{Addr: \":8080\", Handler: mux,\n\tReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}\n",
	}}
	return ex, nil
}

// handlerName is the Go name of a webhook's handler: handleRefundSuccess,
// handleV2RefundProcessed.
// A name taken already gets the notification's format: the APIv2
// TRANSACTION.SUCCESS (XML) and transaction-success are two pages.
func handlerName(e *catalog.Entry, names map[string]bool) string {
	name := strings.TrimPrefix(e.Path(), e.Protocol+"/")
	prefix := "handle"
	if e.Protocol == "v2" {
		prefix += "V2"
	}
	if n := funcName(prefix, name, map[string]bool{}); names[n] {
		return funcName(prefix, name+" "+e.NotificationFormat, names)
	}
	return funcName(prefix, name, names)
}

// v3Reads decodes the resource of an APIv3 notification into a struct of
// its documented fields, and prints some.
func v3Reads(e *catalog.Entry) string {
	var fields catalog.Nodes
	if c := e.Request.Find("body.resource.ciphertext"); c != nil {
		fields = c.Children
	}
	if len(fields) == 0 {
		return "fmt.Println(n.EventType, n.Summary, string(n.Plaintext)) // the decrypted resource\n"
	}
	st := answerStruct(fields, 6)
	var args []string
	for i, f := range st.fields {
		if i == 3 {
			break
		}
		args = append(args, "resource."+f.goName)
	}
	return "var resource struct {\n" + st.decl + "}\n" +
		"if err := n.Unmarshal(&resource); err != nil { // the decrypted resource\nreturn err\n}\n" +
		"fmt.Println(n.EventType, " + strings.Join(args, ", ") + ")\n"
}

// v2Reads prints fields of an APIv2 notification, and of what it carries
// encrypted.
func v2Reads(e *catalog.Entry) string {
	body := e.Request.Find("body")
	if body == nil {
		return "fmt.Println(n.Fields)\n"
	}
	var args []string
	var enc *catalog.Node
	for _, name := range printFields(body.Children, 8) {
		n := body.Child(name)
		if n.Encrypted != "" {
			if enc == nil {
				enc = n
			}
			continue
		}
		if len(args) < 3 {
			args = append(args, fmt.Sprintf("n.Field(%q)", name))
		}
	}
	var b strings.Builder
	if len(args) > 0 {
		b.WriteString("fmt.Println(" + strings.Join(args, ", ") + ")\n")
	}
	if enc != nil {
		m := "n.EventData"
		what := "event_ciphertext, decrypted with the APIv3 key"
		if enc.Encrypted == catalog.ByAESECB {
			m, what = "n.ReqInfo", "req_info, decrypted with the MD5 of the APIv2 key"
		}
		var inner []string
		for _, name := range printFields(enc.Children, 3) {
			inner = append(inner, fmt.Sprintf("%s[%q]", m, name))
		}
		if len(inner) == 0 {
			inner = []string{m}
		}
		fmt.Fprintf(&b, "fmt.Println(%s) // %s\n", strings.Join(inner, ", "), what)
	}
	return b.String()
}

// replyLiteral writes the business answer of the notifications that
// expect one (their acknowledgement documents fields beyond code and
// message); "" for the others.
func replyLiteral(e *catalog.Entry) string {
	body := e.Response.Find("body")
	if body == nil {
		return ""
	}
	var parts []string
	for _, n := range body.Children {
		switch n.Name {
		case "code":
			parts = append(parts, `"code": "SUCCESS"`)
		case "message":
		default:
			parts = append(parts, fmt.Sprintf("%q: %s", n.Name, replyValue(&n)))
		}
	}
	if len(parts) <= 1 {
		return ""
	}
	return "wechatpay.M{\n" + strings.Join(parts, ",\n") + ",\n}"
}

func replyValue(n *catalog.Node) string {
	switch {
	case len(n.Enum) > 0:
		return fmt.Sprintf("%q", n.Enum[0])
	case n.Type == "object":
		var parts []string
		for _, c := range n.Children {
			parts = append(parts, fmt.Sprintf("%q: %s", c.Name, replyValue(&c)))
		}
		return "wechatpay.M{" + strings.Join(parts, ", ") + "}"
	case n.Type == "integer" || n.Type == "number":
		return "100"
	case n.Type == "boolean":
		return "true"
	case strings.HasSuffix(n.Name, "_time"):
		return `time.Now().Format(time.RFC3339)`
	case strings.HasSuffix(n.Name, "_timestamp"):
		return "time.Now().Unix()"
	case n.Name == "client_ip":
		return `"203.0.113.7"`
	}
	return fmt.Sprintf("%q", placeholder(n.Name))
}
