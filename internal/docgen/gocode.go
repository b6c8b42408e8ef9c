package main

import (
	"fmt"
	"go/format"
	"strconv"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/internal/errata"
)

// example is the Go code of one entry: the blocks a page shows, which the
// generated test runs as one function's body, in order.
type example struct {
	entry  *catalog.Entry
	name   string      // the generated test function
	blocks []codeBlock // statements, run in order
	// decls are top-level declarations the blocks use: a webhook's handler
	// function. Pages show them first; the test file declares them.
	decls string
	// sig is the generated function's signature after its name.
	sig string
	// fixes are the sample's values the code corrects (internal/errata).
	fixes []errata.Fix
	// ret is the generated function's last statement.
	ret string
}

// codeBlock is one ```go block of a page and the sentence before it.
type codeBlock struct {
	intro string
	code  string
}

const blockMark = "// docgen:block"

// openapiExample writes the calls of an SDK endpoint: declarative under a
// deadline, then segment by segment and asynchronously, each reading the
// answer as its format asks.
func openapiExample(e *catalog.Entry) (*example, error) {
	smp, err := parseValue(e.Sample)
	if err != nil {
		return nil, fmt.Errorf("%s: sample: %w", e, err)
	}
	ex := &example{entry: e, sig: "(ctx context.Context, client *wechatpay.Client) error", ret: "return nil"}
	for _, fix := range errata.Samples {
		if fix.Method != e.Method || fix.Chain != e.Chain {
			continue
		}
		if !smp.set(fix.Path, &value{kind: 's', str: fix.Value}) {
			return nil, fmt.Errorf("%s: errata: the sample has no %s", e, fix.Path)
		}
		ex.fixes = append(ex.fixes, fix)
	}
	l := &literal{v2: e.Protocol == "v2"}
	var pre strings.Builder // statements before the options
	opts, decls, err := callOptions(e, smp, l, &pre)
	if err != nil {
		return nil, err
	}
	ex.decls = decls
	if l.encrypted {
		var b strings.Builder
		b.WriteString("// Sensitive fields (敏感信息) are encrypted with WeChat Pay's key; enc names\n")
		b.WriteString("// that key in the Wechatpay-Serial header when it is given to the call.\n")
		b.WriteString("enc, err := client.NewSensitiveEncrypter()\nif err != nil {\nreturn err\n}\n")
		b.WriteString("var encErr error\nencrypt := func(plaintext string) string {\n")
		b.WriteString("ciphertext, err := enc.Encrypt(plaintext)\nencErr = errors.Join(encErr, err)\nreturn ciphertext\n}\n")
		pre.WriteString(b.String())
	}
	var b1 strings.Builder
	b1.WriteString("ctx, cancel := context.WithTimeout(ctx, 10*time.Second) // bounds the whole call\ndefer cancel()\n\n")
	b1.WriteString(pre.String())
	var args []string
	if opts != "wechatpay.M{\n}" {
		b1.WriteString("opts := " + opts + "\n")
		args = append(args, "opts")
	}
	if l.encrypted {
		b1.WriteString("if encErr != nil {\nreturn encErr\n}\n")
		args = append(args, "enc")
	}
	argList := strings.Join(args, ", ")
	verb := strings.ToUpper(e.Method[:1]) + strings.ToLower(e.Method[1:])
	fmt.Fprintf(&b1, "res, err := client.Chain(%q).%sContext(%s)\n", declarative(e), verb, strings.Join(append([]string{"ctx"}, args...), ", "))
	b1.WriteString("if err != nil {\n")
	if e.Protocol == "v2" {
		b1.WriteString("return err // a *wechatpay.V2Error when return_code or result_code is FAIL\n}\n")
	} else {
		b1.WriteString("return err // a *wechatpay.APIError when WeChat Pay answers 4xx or 5xx\n}\n")
	}
	b1.WriteString(readAnswer(e))

	var b2 strings.Builder
	if ex.decls != "" {
		b2.WriteString("media.Seek(0, io.SeekStart) // the form was read by the call above\n")
	}
	fmt.Fprintf(&b2, "future := %s.%sAsync(%s)\n", segmentChain(e), verb, argList)
	b2.WriteString(awaitAnswer(e))

	ex.blocks = []codeBlock{
		{intro: "Declarative, under a deadline:", code: b1.String()},
		{intro: fmt.Sprintf("Segment by segment, as wechatpay-php's `%s`, and asynchronously: `%sAsync` returns a `*wechatpay.Future` at once; `Wait` blocks for its result:", phpChain(e), verb), code: b2.String()},
	}
	return ex, nil
}

// opt is one key of an M literal, with a comment for the reader.
type opt struct{ code, comment string }

// callOptions writes the M literal of a call from its sample, and the
// statements it needs first (an upload's Media), and returns the top-level
// declarations they use.
func callOptions(e *catalog.Entry, smp *value, l *literal, pre *strings.Builder) (string, string, error) {
	isVar := map[string]bool{}
	for _, v := range e.URIVars {
		isVar[v] = true
	}
	var parts []opt
	var decls string
	var headers *value
	headersAt := -1
	hasVar := map[string]bool{}
	for i, k := range smp.keys {
		v := smp.items[i]
		switch k {
		case "json":
			parts = append(parts, opt{code: `"json": ` + l.expr(v, e.Request.Find("json"), k)})
		case "xml", "query":
			if l.v2 && (k == "xml" || e.Method == "GET") {
				parts = append(parts, opt{code: fmt.Sprintf("%q: %s", k, v2Fields(l, v, e.Request.Find(k)))})
			} else {
				parts = append(parts, opt{code: fmt.Sprintf("%q: %s", k, l.expr(v, e.Request.Find(k), k))})
			}
		case "headers":
			headers, headersAt = v, len(parts) // written once encryption is known
		case "body":
			d, err := upload(e, pre)
			if err != nil {
				return "", "", err
			}
			decls = d
			parts = append(parts, opt{code: `"body": media`})
		case "base_uri":
			parts = append(parts, opt{code: fmt.Sprintf("%q: %q", k, v.str), comment: "this endpoint's host"})
		case "security":
			parts = append(parts, opt{code: fmt.Sprintf("%q: %s", k, l.expr(v, nil, k)), comment: "mutual TLS with the merchant API certificate (商户API证书)"})
		case "nonceless":
			parts = append(parts, opt{code: fmt.Sprintf("%q: %s", k, l.expr(v, nil, k)), comment: "this endpoint takes no nonce_str"})
		case "timeout":
			parts = append(parts, opt{code: fmt.Sprintf("%q: %s", k, l.expr(v, nil, k)), comment: "seconds, as in PHP; a time.Duration works too"})
		case "sink":
			parts = append(parts, opt{code: fmt.Sprintf("%q: %q", k, sinkFile(e, v.str)), comment: "written under a temporary name, renamed once complete"})
		case "handler", "fragment":
			// PHP's handler stack: the client's own does that work.
		default:
			if !isVar[k] {
				// A name the path does not have, a typo of the
				// documentation's: the client would refuse it.
				continue
			}
			hasVar[k] = true
			if v.kind == 's' && v.str == "" {
				v = &value{kind: 's', str: placeholder(k)}
			}
			parts = append(parts, opt{code: fmt.Sprintf("%q: %s", k, l.expr(v, nil, k))})
		}
	}
	for _, k := range e.URIVars {
		if !hasVar[k] && k != "empty" {
			parts = append(parts, opt{code: fmt.Sprintf("%q: %q", k, placeholder(k))})
		}
	}
	if l.v2 && smp.get("xml") == nil && smp.get("query") == nil && smp.get("body") == nil {
		parts = append(parts, opt{code: fmt.Sprintf(`"xml": wechatpay.M{"mch_id": %q}`, merchantID), comment: "the client adds nonce_str and sign"})
	}
	if h, ok := headerOption(headers, l); ok {
		if headersAt < 0 {
			headersAt = len(parts)
		}
		parts = append(parts[:headersAt], append([]opt{h}, parts[headersAt:]...)...)
	}
	var b strings.Builder
	b.WriteString("wechatpay.M{\n")
	for _, p := range parts {
		b.WriteString(p.code + ",")
		if p.comment != "" {
			b.WriteString(" // " + p.comment)
		}
		b.WriteString("\n")
	}
	b.WriteString("}")
	return b.String(), decls, nil
}

// headerOption writes the headers option: the sample's, less what the
// client sets itself: Content-Type (an upload's, set by the Media) and
// Wechatpay-Serial (the key the client encrypts with, or the one a
// SensitiveEncrypter names).
func headerOption(headers *value, l *literal) (opt, bool) {
	var parts []string
	if headers != nil {
		for i, k := range headers.keys {
			v := headers.items[i]
			switch {
			case strings.EqualFold(k, "Content-Type") && v.php() != "":
			case strings.EqualFold(k, "Wechatpay-Serial"):
			default:
				parts = append(parts, fmt.Sprintf("%q: %s", k, l.expr(v, nil, k)))
			}
		}
	}
	if len(parts) == 0 {
		return opt{}, false
	}
	return opt{code: `"headers": wechatpay.M{` + strings.Join(parts, ", ") + "}"}, true
}

// v2Fields writes APIv2 fields: the merchant ID is the configured one
// (the client refuses another), and nonce_str and sign are left to the
// client.
func v2Fields(l *literal, v *value, node *catalog.Node) string {
	if v.kind != 'o' {
		v = &value{kind: 'o'} // PHP's empty array
	}
	out := &value{kind: 'o'}
	hasMch := false
	for i, k := range v.keys {
		item := v.items[i]
		switch k {
		case "sign", "nonce_str":
			continue
		case "mch_id", "mchid", "combine_mch_id":
			if !hasMch {
				item = &value{kind: 's', str: merchantID}
				hasMch = true
			}
		}
		out.keys = append(out.keys, k)
		out.items = append(out.items, item)
	}
	if !hasMch {
		out.keys = append([]string{"mch_id"}, out.keys...)
		out.items = append([]*value{{kind: 's', str: merchantID}}, out.items...)
	}
	lit := l.object(out, childrenOf(node))
	if strings.HasPrefix(lit, "wechatpay.M{\n") {
		return "wechatpay.M{ // the client adds nonce_str and sign\n" + strings.TrimPrefix(lit, "wechatpay.M{\n")
	}
	return lit
}

// sinkFile names the file a download goes to: the sample's, in the
// working directory.
func sinkFile(e *catalog.Entry, sample string) string {
	name := sample[strings.LastIndex(sample, "/")+1:]
	if strings.HasPrefix(name, "somehowfile") {
		name = "bill" + strings.TrimPrefix(name, "somehowfile")
	}
	switch name {
	case "":
		name = "download.bin"
	case "image.jpg":
		name = "downloaded.jpg" // not the image the upload pages send
	}
	return name
}

// upload writes the Media of an upload: a file of the kind the endpoint
// takes, with the meta fields it names. It returns the declarations the
// code needs.
func upload(e *catalog.Entry, pre *strings.Builder) (string, error) {
	file := uploadFile(e)
	if e.Protocol == "v2" {
		fmt.Fprintf(pre, "// The client builds the APIv2 form (media, mch_id, media_hash, sign_type, sign).\nmedia, err := wechatpay.OpenMedia(%q)\nif err != nil {\nreturn err\n}\n", file)
		return "", nil
	}
	body := e.Request.Find("body")
	var meta *catalog.Node
	part := "file"
	if body != nil {
		meta = body.Child("meta")
		for _, c := range body.Children {
			if c.Name != "meta" {
				part = c.Name
				break
			}
		}
	}
	if part != "file" {
		return customForm(meta, part, file, pre), nil
	}
	var extra []string
	renamed := false
	if meta != nil {
		for _, m := range meta.Children {
			switch m.Name {
			case "filename", "sha256":
			case "file_name":
				renamed = true
				extra = append(extra, fmt.Sprintf("{%q, %q}", m.Name, file))
			case "file_digest", "digest":
				renamed = true
				extra = append(extra, fmt.Sprintf("{%q, probe.SHA256()}", m.Name))
			default:
				if !m.Required {
					continue
				}
				extra = append(extra, fmt.Sprintf("{%q, %s}", m.Name, metaValue(&m)))
			}
		}
	}
	// The meta fields go in an Ordered, in the documentation's order, as a
	// PHP caller's setMeta(json_encode([...])) would send them. A Media's
	// meta holds filename and sha256: not where the endpoint does not take
	// them.
	if meta != nil {
		if meta.Child("filename") == nil {
			extra = append([]string{`{"filename", nil}`}, extra...)
		}
		if meta.Child("sha256") == nil {
			extra = append([]string{`{"sha256", nil}`}, extra...)
		}
	}
	if renamed {
		fmt.Fprintf(pre, "// This endpoint names the file's digest in its own meta field: read it first.\nprobe, err := wechatpay.OpenMedia(%q)\nif err != nil {\nreturn err\n}\n", file)
		fmt.Fprintf(pre, "media, err := wechatpay.OpenMedia(%q, wechatpay.MediaSHA256(probe.SHA256()), wechatpay.MediaMeta(wechatpay.Ordered{\n%s,\n}))\nif err != nil {\nreturn err\n}\n", file, strings.Join(extra, ",\n"))
		return "", nil
	}
	if len(extra) > 0 {
		fmt.Fprintf(pre, "// filename and sha256 are in the meta part already; this endpoint wants more, after them.\nmedia, err := wechatpay.OpenMedia(%q, wechatpay.MediaMeta(wechatpay.Ordered{\n%s,\n}))\nif err != nil {\nreturn err\n}\n", file, strings.Join(extra, ",\n"))
		return "", nil
	}
	fmt.Fprintf(pre, "media, err := wechatpay.OpenMedia(%q) // the meta part's filename and sha256 are computed\nif err != nil {\nreturn err\n}\n", file)
	return "", nil
}

// customForm writes the upload of an endpoint whose file part is not named
// "file", which a wechatpay.Media cannot write: the form is built with
// mime/multipart, in a type that gives the client the meta part to sign.
func customForm(meta *catalog.Node, part, file string, pre *strings.Builder) string {
	typ := funcName("", part, map[string]bool{})
	typ = strings.ToLower(typ[:1]) + typ[1:] + "Form"
	var fields []string
	if meta != nil {
		for _, m := range meta.Children {
			switch m.Name {
			case "file_name", "filename":
				fields = append(fields, fmt.Sprintf("%q: %q", m.Name, file))
			case "file_digest", "digest", "sha256":
				fields = append(fields, fmt.Sprintf("%q: hex.EncodeToString(digest[:])", m.Name))
			default:
				if m.Required {
					fields = append(fields, fmt.Sprintf("%q: %s", m.Name, metaValue(&m)))
				}
			}
		}
	}
	fmt.Fprintf(pre, "// The file part is named %s, where a wechatpay.Media writes \"file\": the\n// form is built here, and the request signed over its meta part.\n", part)
	fmt.Fprintf(pre, "data, err := os.ReadFile(%q)\nif err != nil {\nreturn err\n}\ndigest := sha256.Sum256(data)\n", file)
	fmt.Fprintf(pre, "meta, err := json.Marshal(wechatpay.M{%s})\nif err != nil {\nreturn err\n}\n", strings.Join(fields, ", "))
	pre.WriteString("var form bytes.Buffer\nmw := multipart.NewWriter(&form)\n")
	pre.WriteString("metaPart, err := mw.CreatePart(textproto.MIMEHeader{\n\"Content-Disposition\": {`form-data; name=\"meta\"`},\n\"Content-Type\": {\"application/json\"},\n})\nif err != nil {\nreturn err\n}\nmetaPart.Write(meta)\n")
	fmt.Fprintf(pre, "filePart, err := mw.CreateFormFile(%q, %q)\nif err != nil {\nreturn err\n}\nfilePart.Write(data)\nif err := mw.Close(); err != nil {\nreturn err\n}\n", part, file)
	fmt.Fprintf(pre, "media := &%s{Reader: bytes.NewReader(form.Bytes()), meta: meta, contentType: mw.FormDataContentType()}\n", typ)
	return fmt.Sprintf(`// %[1]s is the upload form of an endpoint whose file part is named
// %[2]s. The client streams it (a *bytes.Reader has Size, for
// Content-Length) and signs what SignedBody returns, the meta part, as
// WeChat Pay requires.
type %[1]s struct {
	*bytes.Reader
	meta        []byte
	contentType string
}

func (f *%[1]s) SignedBody() []byte  { return f.meta }
func (f *%[1]s) ContentType() string { return f.contentType }
`, typ, part)
}

// metaValue is a plausible value of a required meta field.
func metaValue(n *catalog.Node) string {
	if len(n.Enum) > 0 {
		return fmt.Sprintf("%q", n.Enum[0])
	}
	switch n.Type {
	case "integer", "number":
		return "1"
	case "boolean":
		return "true"
	}
	return fmt.Sprintf("%q", placeholder(n.Name))
}

// uploadFile is the file an upload sends: an image unless the endpoint
// takes a video, a PDF or a list.
func uploadFile(e *catalog.Entry) string {
	switch {
	case strings.Contains(e.Chain, "video"):
		return "video.mp4"
	case strings.Contains(e.Chain, "fapiao") || strings.Contains(e.Chain, "invoice"):
		return "fapiao.pdf"
	case strings.Contains(e.Chain, "packages"):
		return "openids.csv"
	}
	return "image.jpg"
}

// declarative is the path as a Go program writes it: the chain, with an
// empty trailing segment written as a trailing slash.
func declarative(e *catalog.Entry) string {
	return strings.ReplaceAll(e.Chain, "{empty}", "")
}

// segmentChain writes the chain one segment a call, as wechatpay-php's pure
// chain reads.
func segmentChain(e *catalog.Entry) string {
	var b strings.Builder
	b.WriteString("client.")
	for i, s := range e.Segments {
		if i > 0 {
			// Long chains break after a dot, five segments a line.
			if i%5 == 0 {
				b.WriteString(".\n")
			} else {
				b.WriteString(".")
			}
		}
		fmt.Fprintf(&b, "Chain(%q)", s)
	}
	return b.String()
}

// phpChain is wechatpay-php's pure chain of the entry.
func phpChain(e *catalog.Entry) string {
	var b strings.Builder
	b.WriteString("$instance")
	for _, s := range e.Segments {
		if isIdent(s) {
			b.WriteString("->" + s)
		} else {
			b.WriteString("->{'" + s + "'}")
		}
	}
	return b.String()
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// readAnswer reads the answer of the declarative call.
func readAnswer(e *catalog.Entry) string {
	switch {
	case e.ResponseFormat == "binary":
		return "fmt.Println(res.StatusCode, res.Header.Get(\"Content-Type\")) // the file is in the sink\n"
	case e.ResponseFormat == "none":
		status := "204 No Content"
		if e.ResponseStatus == 202 {
			status = "202 Accepted"
		}
		return "fmt.Println(res.StatusCode) // " + status + ": no body\n"
	case e.ResponseFormat == "xml":
		return "fmt.Println(" + printArgs("res.Get(%q)", xmlPrintFields(e)) + ") // the answer's fields, checked by the client\n"
	}
	names := printFields(e.Response, 3)
	if len(names) == 0 {
		return "fmt.Println(res.StatusCode, string(res.Body))\n"
	}
	return "fmt.Println(" + printArgs("res.Get(%q)", names) + ") // gjson paths into the verified answer\n"
}

// xmlPrintFields names the APIv2 answer fields an example prints: a few
// documented ones, or the two every answer has.
func xmlPrintFields(e *catalog.Entry) []string {
	if names := printFields(e.Response, 3); len(names) > 0 {
		return names
	}
	return []string{"return_code", "result_code"}
}

// printArgs formats each name with format (one %q) and joins them as
// arguments of a call.
func printArgs(format string, names []string) string {
	args := make([]string, len(names))
	for i, n := range names {
		args[i] = fmt.Sprintf(format, n)
	}
	return strings.Join(args, ", ")
}

// awaitAnswer waits for the asynchronous call and reads its answer: into a
// struct for JSON, a map for APIv2 XML.
func awaitAnswer(e *catalog.Entry) string {
	switch {
	case e.ResponseFormat == "xml":
		return "fields, err := wechatpay.Then(future, func(res *wechatpay.Response) (map[string]any, error) {\nreturn res.XML()\n}).Wait()\nif err != nil {\nreturn err\n}\nfmt.Println(" + printArgs("fields[%q]", xmlPrintFields(e)) + ")\n"
	case e.ResponseFormat == "json" && len(e.Response) > 0:
		st := answerStruct(e.Response, 6)
		var args []string
		for i, f := range st.fields {
			if i == 3 {
				break
			}
			args = append(args, "answer."+f.goName)
		}
		return "// … other work, while the call runs …\nres, err = future.Wait()\nif err != nil {\nreturn err\n}\n" +
			"var answer struct {\n" + st.decl + "}\n" +
			"if err := res.Unmarshal(&answer); err != nil {\nreturn err\n}\nfmt.Println(" + strings.Join(args, ", ") + ")\n"
	}
	return "res, err = future.Wait()\nif err != nil {\nreturn err\n}\nfmt.Println(res.StatusCode)\n"
}

// envelope are the APIv2 fields every answer or notification carries: the
// pages show the others, the business ones.
var envelope = map[string]bool{
	"return_code": true, "return_msg": true, "result_code": true, "err_code": true, "err_code_des": true,
	"appid": true, "mch_id": true, "nonce_str": true, "sign": true, "sign_type": true,
	"algorithm": true, "event_algorithm": true, "event_nonce": true, "event_associated_data": true,
}

// printFields picks up to n top-level fields to show: the key fields of
// WeChat Pay's answers (out_trade_no, trade_state, …), then the required
// ones, in document order; APIv2's envelope fields when there is nothing
// else.
func printFields(nodes catalog.Nodes, n int) []string {
	if f := pickFields(nodes, n, envelope); len(f) > 0 {
		return f
	}
	return pickFields(nodes, n, nil)
}

// keyFields are the fields a reader of an answer or notification looks for
// first.
var keyFields = []string{
	"out_trade_no", "transaction_id", "trade_state", "out_refund_no", "refund_id", "refund_status", "status",
	"state", "amount", "success_time", "out_bill_no", "transfer_bill_no", "out_batch_no", "batch_id",
	"out_order_no", "order_id", "out_request_no", "applyment_id", "sub_mchid", "complaint_id", "stock_id",
	"coupon_id", "contract_id", "media_id", "code_url", "prepay_id", "h5_url",
}

func pickFields(nodes catalog.Nodes, n int, skip map[string]bool) []string {
	var req, key, opt []string
	seen := map[string]bool{}
	present := map[string]bool{}
	for _, nd := range nodes {
		present[nd.Name] = true
	}
	for _, k := range keyFields {
		if present[k] && !skip[k] {
			key = append(key, k)
			seen[k] = true
		}
	}
	for _, nd := range nodes {
		if seen[nd.Name] || !isFieldName(nd.Name) || skip[nd.Name] {
			continue
		}
		seen[nd.Name] = true
		if nd.Required {
			req = append(req, nd.Name)
		} else {
			opt = append(opt, nd.Name)
		}
	}
	all := append(append(key, req...), opt...)
	if len(all) > n {
		all = all[:n]
	}
	return all
}

func isFieldName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

type structField struct {
	name, goName, typ string
}

type structDecl struct {
	fields []structField
	decl   string
}

// answerStruct declares a struct of up to n top-level fields of a tree,
// the required ones first, in document order.
func answerStruct(nodes catalog.Nodes, n int) structDecl {
	var st structDecl
	seen := map[string]bool{}
	usedGo := map[string]bool{}
	types := map[string]string{}
	for _, nd := range nodes {
		t := goType(nd.Type)
		if (t == "int64" || t == "float64") && !numericEnum(nd.Enum) {
			t = "string" // the documentation types it a number, and lists names
		}
		if old, ok := types[nd.Name]; ok && old != t {
			t = "any" // alternatives of different shapes
		}
		types[nd.Name] = t
	}
	// Required fields first, as printFields orders them.
	for _, name := range printFields(nodes, n) {
		if seen[name] {
			continue
		}
		seen[name] = true
		g := goName(name)
		for usedGo[g] {
			g += "_"
		}
		usedGo[g] = true
		st.fields = append(st.fields, structField{name: name, goName: g, typ: types[name]})
		st.decl += fmt.Sprintf("%s %s `json:%q`\n", g, types[name], name)
	}
	return st
}

// numericEnum tells whether every enum value is a number.
func numericEnum(enum []string) bool {
	for _, v := range enum {
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return false
		}
	}
	return true
}

func goType(t string) string {
	switch t {
	case "string":
		return "string"
	case "integer":
		return "int64"
	case "number", "float":
		return "float64"
	case "boolean":
		return "bool"
	case "object":
		return "map[string]any"
	case "object[]":
		return "[]map[string]any"
	case "string[]":
		return "[]string"
	case "integer[]":
		return "[]int64"
	case "number[]":
		return "[]float64"
	}
	return "any"
}

var initialisms = map[string]string{"id": "ID", "url": "URL", "ip": "IP", "api": "API", "json": "JSON", "xml": "XML", "uri": "URI", "sn": "SN", "qr": "QR", "pdf": "PDF", "sha256": "SHA256", "md5": "MD5", "html": "HTML", "http": "HTTP", "https": "HTTPS", "appid": "AppID", "mchid": "MchID", "openid": "OpenID", "unionid": "UnionID"}

// goName is the exported Go name of a field: out_trade_no → OutTradeNo.
func goName(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if v, ok := initialisms[strings.ToLower(w)]; ok {
			b.WriteString(v)
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	g := b.String()
	if g == "" || g[0] >= '0' && g[0] <= '9' {
		g = "F" + g
	}
	return g
}

// formatBlocks formats the blocks with gofmt, as the body of the generated
// function, and returns them, each without the function's indentation.
func formatBlocks(ex *example) error {
	var body strings.Builder
	for i, b := range ex.blocks {
		if i > 0 {
			body.WriteString("\n" + blockMark + "\n")
		}
		body.WriteString(b.code)
	}
	src := "package p\n\nfunc f" + ex.sig + " {\n" + body.String() + "\n" + ex.ret + "\n}\n"
	if ex.decls != "" {
		d, err := format.Source([]byte("package p\n\n" + ex.decls))
		if err != nil {
			return fmt.Errorf("%s: %v\n%s", ex.entry, err, ex.decls)
		}
		ex.decls = strings.TrimPrefix(string(d), "package p\n\n")
	}
	out, err := format.Source([]byte(src))
	if err != nil {
		return fmt.Errorf("%s: %v\n%s", ex.entry, err, numbered(src))
	}
	s := string(out)
	start := strings.Index(s, "{\n") + 2
	end := strings.LastIndex(s, "\t"+ex.ret+"\n}")
	lines := strings.Split(strings.TrimRight(s[start:end], "\n"), "\n")
	var blocks []string
	var cur []string
	for _, ln := range lines {
		if strings.TrimSpace(ln) == blockMark {
			blocks = append(blocks, strings.Join(cur, "\n"))
			cur = nil
			continue
		}
		cur = append(cur, strings.TrimPrefix(ln, "\t"))
	}
	blocks = append(blocks, strings.Join(cur, "\n"))
	for i := range ex.blocks {
		ex.blocks[i].code = strings.Trim(blocks[i], "\n") + "\n"
	}
	return nil
}

func numbered(src string) string {
	var b strings.Builder
	for i, ln := range strings.Split(src, "\n") {
		fmt.Fprintf(&b, "%4d %s\n", i+1, ln)
	}
	return b.String()
}
