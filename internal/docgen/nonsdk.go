package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// urlExample writes the Go form of a page that is not an SDK call: a link
// for the user's browser (signed with the APIv2 key when the page signs
// it), or a plain download.
func urlExample(e *catalog.Entry) (*example, error) {
	smp, err := parseValue(e.Sample)
	if err != nil {
		return nil, err
	}
	ex := &example{entry: e, sig: "(ctx context.Context, client *wechatpay.Client) error", ret: "return nil"}
	var b strings.Builder
	if e.ResponseFormat == "binary" {
		// A file WeChat Pay serves without a signature: a plain GET.
		b.WriteString("req, err := http.NewRequestWithContext(ctx, http.MethodGet, " + goString(e.URL) + ", nil) // the URL the fapiao answer gave\n")
		b.WriteString("if err != nil {\nreturn err\n}\nres, err := http.DefaultClient.Do(req)\nif err != nil {\nreturn err\n}\ndefer res.Body.Close()\n")
		b.WriteString("if res.StatusCode != http.StatusOK {\nreturn fmt.Errorf(\"download: %s\", res.Status)\n}\n")
		fmt.Fprintf(&b, "file, err := os.Create(%q)\nif err != nil {\nreturn err\n}\n", sinkFile(e, smp.get("sink").str))
		b.WriteString("n, err := io.Copy(file, res.Body)\nif cerr := file.Close(); err == nil {\nerr = cerr\n}\nif err != nil {\nreturn err\n}\nfmt.Println(n, \"bytes\")\n")
		ex.blocks = []codeBlock{{intro: "The file is served without a signature, to a plain GET:", code: b.String()}}
		return ex, nil
	}
	q := smp.get("query")
	signed := q.get("sign") != nil
	var lines []string
	for i, k := range q.keys {
		v := q.items[i]
		if k == "sign" {
			continue
		}
		expr := goString(v.str)
		switch {
		case k == "mch_id":
			expr = goString(merchantID)
		case strings.Contains(v.php(), "nonce"):
			expr = "formatter.Nonce()"
		case strings.Contains(v.php(), "timestamp"):
			expr = "strconv.FormatInt(time.Now().Unix(), 10)"
		}
		lines = append(lines, fmt.Sprintf("%q: %s", k, expr))
	}
	fmt.Fprintf(&b, "fields := map[string]string{\n%s,\n}\n", strings.Join(lines, ",\n"))
	if signed {
		signType := "crypto.SignTypeMD5"
		if strings.Contains(q.get("sign").php(), "HMAC") {
			signType = "crypto.SignTypeHMACSHA256"
		}
		b.WriteString("// Signed as APIv2 signs: the sorted k=v& string of the fields, with the APIv2 key (APIv2密钥).\n")
		fmt.Fprintf(&b, "sign, err := crypto.HashSign(%s, []byte(formatter.QueryStringLike(formatter.Ksort(fields))), []byte(os.Getenv(\"WECHATPAY_APIV2_KEY\")))\nif err != nil {\nreturn err\n}\nfields[\"sign\"] = sign\n", signType)
	}
	b.WriteString("query := url.Values{}\nfor k, v := range fields {\nquery.Set(k, v)\n}\n")
	link := goString(e.URL + "?")
	if e.Request.Find("fragment") != nil {
		fmt.Fprintf(&b, "link := %s + query.Encode() + \"#wechat_redirect\"\n", link)
	} else {
		fmt.Fprintf(&b, "link := %s + query.Encode()\n", link)
	}
	b.WriteString("fmt.Println(link) // opened in the user's WeChat: WeChat Pay answers with a redirect (30x)\n")
	ex.blocks = []codeBlock{{intro: "A link the user's WeChat opens, not an API call:", code: b.String()}}
	return ex, nil
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
