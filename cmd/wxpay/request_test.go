package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// cli runs wxpay commands in process against a sandbox, with the config
// `wxpay sandbox` would write for it.
type cli struct {
	t      *testing.T
	srv    *wechatpaytest.Server
	config string
}

// result is what a command printed and its exit code.
type result struct {
	code           int
	stdout, stderr string
}

func newCLI(t *testing.T, opts ...wechatpaytest.Option) *cli {
	t.Helper()
	srv := wechatpaytest.NewServer(append([]wechatpaytest.Option{wechatpaytest.WithMode(wechatpaytest.BothModes)}, opts...)...)
	t.Cleanup(srv.Close)
	return &cli{t: t, srv: srv, config: sandboxConfig(t, srv)}
}

// sandboxConfig writes the config of srv, as `wxpay sandbox` does, in a
// temporary folder and returns its path.
func sandboxConfig(t *testing.T, srv *wechatpaytest.Server) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "wechatpay.json")
	if _, err := writeSandboxConfig(cfg, srv); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// run runs `wxpay -c CONFIG args…` with stdin.
func (c *cli) run(stdin string, args ...string) result {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), append([]string{"-c", c.config}, args...), &env{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr})
	return result{code, stdout.String(), stderr.String()}
}

// ok runs args and fails the test unless they exit 0.
func (c *cli) ok(args ...string) result {
	c.t.Helper()
	r := c.run("", args...)
	if r.code != 0 {
		c.t.Fatalf("%q: exit %d\nstdout %s\nstderr %s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// last is the last request the sandbox received.
func (c *cli) last() wechatpaytest.Received {
	c.t.Helper()
	rs := c.srv.Received()
	if len(rs) == 0 {
		c.t.Fatal("the sandbox received nothing")
	}
	return rs[len(rs)-1]
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%s", err, s)
	}
	return m
}

// The verbs call PATH with its template variables, query, body and
// headers; flags come before or after PATH in either form, and values are
// sent verbatim.
func TestRequestFlags(t *testing.T) {
	c := newCLI(t)
	mchid := c.srv.MchID
	r := c.ok("get", "--var", "transaction_id=4200000001", "v3/pay/transactions/id/{transaction_id}", "-q", "mchid="+mchid)
	if got := c.last().Target; got != "/v3/pay/transactions/id/4200000001?mchid="+mchid {
		t.Fatalf("target %s", got)
	}
	if decodeJSON(t, r.stdout)["transaction_id"] != "4200000001" {
		t.Fatal(r.stdout)
	}

	// Repeated -q in both forms, with commas, "=", spaces and Chinese.
	c.ok("get", "v3/merchant-risk-manage/trade-risk-information", "--query=out_trade_no=T1",
		"-q", "complaints_information=商家说高额返利, 支付=骗子", "--query", "sub_mchid=1900009231", "-q=sub_mchid=1900009232")
	u, _ := url.Parse(c.last().Target)
	q := u.Query()
	if q.Get("out_trade_no") != "T1" || q.Get("complaints_information") != "商家说高额返利, 支付=骗子" ||
		strings.Join(q["sub_mchid"], ",") != "1900009231,1900009232" {
		t.Fatalf("query %q", u.RawQuery)
	}

	// -d and -H before PATH, --header= after it; the body is sent as written.
	enc := c.srv.PublicKeyID
	body := `{"appid":"wxd678efh567hg6787","mchid":"` + mchid + `","description":"Image形象店-深圳腾大-QQ公仔, 1=1","out_trade_no":"T2","notify_url":"https://example.com/n","amount":{"total":1}}`
	r = c.ok("post", "-d", body, "-H", "Wechatpay-Serial: "+enc, "v3/pay/transactions/native", "--header=X-Demo: a, b=c")
	got := c.last()
	if string(got.Body) != body || got.Header.Get("Wechatpay-Serial") != enc || got.Header.Get("X-Demo") != "a, b=c" {
		t.Fatalf("sent %s %v", got.Body, got.Header)
	}
	if decodeJSON(t, r.stdout)["code_url"] == nil {
		t.Fatal(r.stdout)
	}

	// -d @FILE and -d @- (standard input).
	file := filepath.Join(t.TempDir(), "body.json")
	os.WriteFile(file, []byte(`{"notify_url":"https://example.com/违规"}`), 0o600)
	r = c.ok("put", "v3/merchant-risk-manage/violation-notifications", "--data=@"+file)
	if !strings.Contains(r.stdout, `"https://example.com/违规"`) {
		t.Fatal(r.stdout)
	}
	r = c.run(`{"out_request_no":"R1","mchid":"`+mchid+`"}`, "post", "v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify", "-d", "@-")
	if r.code != 0 || string(c.last().Body) != `{"out_request_no":"R1","mchid":"`+mchid+`"}` {
		t.Fatalf("%+v", r)
	}

	// A literal ID in the path is sent as written, capitals included.
	c.ok("get", "v3/pay/transactions/out-trade-no/T2024AbC_1_", "-q", "mchid="+mchid)
	if got := c.last().Target; got != "/v3/pay/transactions/out-trade-no/T2024AbC_1_?mchid="+mchid {
		t.Fatalf("target %s", got)
	}
	// DELETE, and "--" before a PATH.
	r = c.ok("delete", "--", "v3/merchant-risk-manage/violation-notifications")
	if got := c.last(); got.Method != "DELETE" || got.Status != 204 || r.stdout != "" {
		t.Fatalf("%v %q", got, r.stdout)
	}
}

// APIv2 fields are signed and the XML answer is printed as a JSON object.
func TestRequestV2(t *testing.T) {
	c := newCLI(t)
	r := c.ok("post", "v2/mchrisk/setmchriskcallback", "-x", "mch_id="+c.srv.MchID, "--xml", "callback_url=https://example.com/risk?a=1&b=2",
		"--xml=sign_type=HMAC-SHA256")
	sent := string(c.last().Body)
	if !strings.Contains(sent, "<callback_url><![CDATA[https://example.com/risk?a=1&b=2]]></callback_url>") || !strings.Contains(sent, "<sign>") {
		t.Fatalf("sent %s", sent)
	}
	out := decodeJSON(t, r.stdout)
	if out["return_code"] != "SUCCESS" || out["result_code"] != "SUCCESS" || out["mch_id"] != c.srv.MchID || !strings.HasPrefix(r.stdout, "{\n  \"") {
		t.Fatal(r.stdout)
	}
}

// JSON answers are pretty-printed in their own key order, with numbers as
// written and text unescaped.
func TestRequestPrettyJSON(t *testing.T) {
	c := newCLI(t)
	c.srv.HandleFunc("GET", "v3/demo/pretty", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte(`{"z":1,"a":{"名":"\u5fae\u4fe1<&>","n":1.50,"big":12345678901234567890,"e":[],"o":{}},"b":[true,null,"x\"y"]}`)}
	})
	r := c.ok("get", "v3/demo/pretty")
	want := `{
  "z": 1,
  "a": {
    "名": "微信<&>",
    "n": 1.50,
    "big": 12345678901234567890,
    "e": [],
    "o": {}
  },
  "b": [
    true,
    null,
    "x\"y"
  ]
}
`
	if r.stdout != want {
		t.Fatalf("got\n%s", r.stdout)
	}
	// A body that is not JSON is printed as it is.
	c.srv.HandleFunc("GET", "v3/demo/text", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte("a,b\n1,2")}
	})
	if r := c.ok("get", "v3/demo/text"); r.stdout != "a,b\n1,2" {
		t.Fatalf("%q", r.stdout)
	}
}

// -i prints the status line and headers first; -o writes the body to a
// file only when the call succeeded.
func TestRequestIncludeAndOutput(t *testing.T) {
	c := newCLI(t)
	r := c.ok("get", "-i", "v3/pay/transactions/id/{transaction_id}", "--var=transaction_id=1", "-q", "mchid="+c.srv.MchID)
	head, body, ok := strings.Cut(r.stdout, "\n\n")
	if !ok || !strings.HasPrefix(head, "HTTP/1.1 200 OK\n") || !strings.Contains(head, "\nWechatpay-Serial: "+c.srv.PublicKeyID) ||
		!strings.Contains(head, "\nRequest-Id: ") || decodeJSON(t, body)["transaction_id"] != "1" {
		t.Fatalf("%s", r.stdout)
	}

	// A bill: apply, then download its download_url (an absolute URL).
	bill := decodeJSON(t, c.ok("get", "v3/bill/tradebill", "-q", "bill_date=2024-06-01", "-q", "tar_type=GZIP").stdout)
	dir := t.TempDir()
	out := filepath.Join(dir, "bill.csv.gz")
	r = c.ok("get", bill["download_url"].(string), "-o", out)
	data, err := os.ReadFile(out)
	if err != nil || len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b || r.stdout != "" || !strings.Contains(r.stderr, "saved") {
		t.Fatalf("%v %d %+v", err, len(data), r)
	}
	// -o - writes the body unformatted to standard output.
	if r := c.ok("get", bill["download_url"].(string), "--output", "-"); r.stdout != string(data) {
		t.Fatal("-o - differs from the file")
	}
	if r := c.ok("get", bill["download_url"].(string), "-o", "-", "-i"); !strings.HasPrefix(r.stdout, "HTTP/1.1 200 OK\n") || !strings.HasSuffix(r.stdout, "\n\n"+string(data)) {
		t.Fatal("-o - -i: not the head, then the body")
	}
	// -o with a signed JSON answer and with an APIv2 answer.
	tx := filepath.Join(dir, "tx.json")
	c.ok("get", "v3/pay/transactions/id/{transaction_id}", "--var", "transaction_id=2", "-q", "mchid="+c.srv.MchID, "-o", tx)
	if b, _ := os.ReadFile(tx); !json.Valid(b) || !bytes.Contains(b, []byte(`"transaction_id":"2"`)) {
		t.Fatalf("%s", b)
	}
	v2 := filepath.Join(dir, "v2.xml")
	c.ok("post", "v2/mchrisk/setmchriskcallback", "-x", "mch_id="+c.srv.MchID, "-x", "callback_url=https://e.com/", "-x", "sign_type=HMAC-SHA256", "-o", v2)
	if b, _ := os.ReadFile(v2); !bytes.HasPrefix(b, []byte("<xml>")) {
		t.Fatalf("%s", b)
	}

	// A forged answer leaves no file, partial or not.
	c.srv.Fault("GET v3/pay/transactions/id/{transaction_id}", wechatpaytest.BadSignature().Once())
	forged := filepath.Join(dir, "forged.json")
	r = c.run("", "get", "v3/pay/transactions/id/{transaction_id}", "--var", "transaction_id=3", "-q", "mchid="+c.srv.MchID, "-o", forged)
	if r.code != 1 || !strings.Contains(r.stderr, "signature does not match") {
		t.Fatalf("%+v", r)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "bill.csv.gz" && e.Name() != "tx.json" && e.Name() != "v2.xml" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// Failures exit 1 with the reason on standard error and nothing on
// standard output; bad flags exit 2 before anything is sent.
func TestRequestFailures(t *testing.T) {
	c := newCLI(t)
	c.srv.HandleFunc("POST", "v2/pay/orderquery", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(map[string]string{"result_code": "FAIL", "err_code": "ORDERNOTEXIST", "err_code_des": "此交易订单号不存在"})
	})
	c.srv.Fault("POST v3/refund/domestic/refunds", wechatpaytest.ResetBeforeHeaders())
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"404", []string{"get", "v3/no/such/endpoint"}, 1, []string{"404 Not Found", "RESOURCE_NOT_EXISTS", "Request-ID "}},
		{"400", []string{"get", "v3/pay/transactions/id/{transaction_id}", "--var", "transaction_id=1", "--no-validate"}, 1, []string{"400 Bad Request: PARAM_ERROR", "field mchid in query"}},
		{"APIv2 FAIL", []string{"post", "v2/pay/orderquery", "-x", "appid=wx1", "-x", "mch_id=" + c.srv.MchID, "-x", "transaction_id=1", "-x", "out_trade_no=1"}, 1,
			[]string{"result_code FAIL: ORDERNOTEXIST: 此交易订单号不存在"}},
		{"connection cut", []string{"post", "v3/refund/domestic/refunds", "-d", `{"out_refund_no":"R1","amount":{"refund":1,"total":1,"currency":"CNY"}}`}, 1,
			[]string{"may have been sent", "query the order before retrying"}},
		{"nothing listening", []string{"get", "v3/certificates", "--base-url", "http://127.0.0.1:1/"}, 1, []string{"dial", "not sent", "safe to retry"}},
		{"-x on APIv3", []string{"post", "v3/pay/transactions/native", "-x", "a=1"}, 2, []string{"xml: is for APIv2"}},
		{"-d on APIv2", []string{"post", "v2/pay/orderquery", "-d", "{}"}, 2, []string{"json: is for APIv3"}},
		{"missing var", []string{"get", "v3/pay/transactions/id/{transaction_id}"}, 2, []string{"transaction_id: is missing", "--var transaction_id=VALUE"}},
		{"unknown var", []string{"get", "v3/certificates", "--var", "serial=1"}, 2, []string{"serial: is neither"}},
		{"no PATH", []string{"get"}, 2, []string{"want 1 PATH, got 0"}},
		{"two PATHs", []string{"get", "v3/a", "v3/b"}, 2, []string{"want 1 PATH, got 2"}},
		{"unknown flag", []string{"get", "v3/certificates", "--json"}, 2, []string{"unknown flag: --json"}},
		{"--security over HTTP", []string{"post", "v2/mchrisk/querymchrisk", "--security", "-x", "mch_id=" + c.srv.MchID}, 2,
			[]string{"--security presents the merchant certificate over TLS", "plain HTTP: nothing was sent", "wxpay sandbox --tls"}},
		{"bad JSON", []string{"post", "v3/x", "-d", "{"}, 2, []string{"-d is not valid JSON"}},
		{"missing @FILE", []string{"post", "v3/x", "-d", "@/no/such/file.json"}, 2, []string{"no such file"}},
		{"bad -q", []string{"get", "v3/x", "-q", "novalue"}, 2, []string{`-q "novalue": want NAME=VALUE`}},
		{"-x twice", []string{"post", "v2/x", "-x", "a=1", "-x", "a=2"}, 2, []string{"-x a is given twice"}},
		{"-H twice", []string{"get", "v3/x", "-H", "x-a: 1", "-H", "X-A: 2"}, 2, []string{"-H X-A is given twice"}},
		{"-o twice", []string{"get", "v3/x", "-o", "a", "-o", "b"}, 2, []string{"given once"}},
		{"query twice", []string{"get", "v3/x?a=1", "-q", "b=2"}, 2, []string{"PATH has a query"}},
		{"bad URL", []string{"get", "https://", "-q", "b=2"}, 2, []string{"not a valid URL"}},
		{"URL and --base-url", []string{"get", "https://api.mch.weixin.qq.com/v3/x", "--base-url", "https://x/"}, 2, []string{"not both"}},
	} {
		r := c.run("", tc.args...)
		if r.code != tc.code || r.stdout != "" {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", tc.name, r.code, r.stdout, r.stderr)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("%s: stderr %q lacks %q", tc.name, r.stderr, w)
			}
		}
	}

	// With -i, a failed call's answer goes to standard error.
	r := c.run("", "get", "v3/no/such/endpoint", "-i")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "HTTP/1.1 404 Not Found\n") || !strings.Contains(r.stderr, `"code": "RESOURCE_NOT_EXISTS"`) {
		t.Fatalf("%+v", r)
	}
	// No failure says "safe to retry" of a call that cannot be made.
	if r := c.run("", "post", "v2/mchrisk/querymchrisk", "--security", "-x", "mch_id="+c.srv.MchID); strings.Contains(r.stderr, "safe to retry") || c.srv.Count("v2/mchrisk/querymchrisk") != 0 {
		t.Fatalf("%+v", r)
	}
	// -h prints the flags on standard output and exits 0.
	r = c.run("", "post", "-h")
	if r.code != 0 || !strings.Contains(r.stdout, "-q, --query K=V") || !strings.Contains(r.stdout, "--security") {
		t.Fatalf("%+v", r)
	}
}

// A full URL on another host than the config's is refused before anything
// is signed or sent: the merchant's Authorization could be replayed to
// WeChat Pay from there. The config's host, under another path, is fine,
// and --base-url still chooses another host on purpose.
func TestRequestAbsoluteURL(t *testing.T) {
	c := newCLI(t)
	other := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.BothModes))
	defer other.Close()
	base, _ := url.Parse(c.srv.URL)
	for _, target := range []string{
		other.URL + "v3/pay/transactions/id/9?mchid=" + c.srv.MchID,
		strings.Replace(other.URL, "127.0.0.1", "localhost", 1) + "v3/certificates",
		"https://" + base.Host + "/v3/certificates", // the config's host, another scheme
		"http://" + base.Hostname() + ".evil.example/v3/certificates",
	} {
		r := c.run("", "get", target)
		if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "is not WeChat Pay's host of the config") || !strings.Contains(r.stderr, "--base-url") {
			t.Errorf("%s: %+v", target, r)
		}
	}
	if n := len(other.Received()); n != 0 {
		t.Fatalf("the other host received %d requests", n)
	}
	if n := len(c.srv.Received()); n != 0 {
		t.Fatalf("the configured host received %d requests", n)
	}
	// The configured host under a path of its own goes out.
	c.ok("get", "http://"+base.Host+"/v3/certificates")
	// --base-url is the deliberate way to another host: other signs with
	// its own keys, so the client refuses its answer.
	r := c.run("", "get", "v3/pay/transactions/id/9", "-q", "mchid="+c.srv.MchID, "--base-url", other.URL)
	if r.code != 1 || other.Count("GET v3/pay/transactions/id/{transaction_id}") != 1 {
		t.Fatalf("%+v", r)
	}
}

// The backup domain of api.mch.weixin.qq.com, or the configured one, is
// WeChat Pay's too.
func TestCheckOrigin(t *testing.T) {
	for _, tc := range []struct {
		target string
		cfg    wechatpay.Config
		ok     bool
	}{
		{"https://api.mch.weixin.qq.com/v3/certificates", wechatpay.Config{}, true},
		{"https://api2.mch.weixin.qq.com/v3/billdownload/file?token=x", wechatpay.Config{}, true},
		{"https://API.mch.weixin.qq.com:443/v3/certificates", wechatpay.Config{}, true},
		{"http://api.mch.weixin.qq.com/v3/certificates", wechatpay.Config{}, false},
		{"https://api2.mch.weixin.qq.com/v3/certificates", wechatpay.Config{NoBackup: true}, false},
		{"https://apihk.mch.weixin.qq.com/v3/certificates", wechatpay.Config{}, false},
		{"https://apihk.mch.weixin.qq.com/v3/certificates", wechatpay.Config{BaseURL: "https://apihk.mch.weixin.qq.com/"}, true},
		{"https://api2.mch.weixin.qq.com/v3/certificates", wechatpay.Config{BaseURL: "https://apihk.mch.weixin.qq.com/"}, false},
		{"https://backup.example/v3/x", wechatpay.Config{BaseURL: "https://primary.example/", BackupBaseURL: "https://backup.example/"}, true},
		{"https://api.mch.weixin.qq.com.evil.example/v3/certificates", wechatpay.Config{}, false},
		{"https://evil.example/v3/certificates", wechatpay.Config{}, false},
	} {
		u, _ := url.Parse(tc.target)
		base := tc.cfg.BaseURL
		if base == "" {
			base = wechatpay.DefaultBaseURL
		}
		if err := checkOrigin(u, base, tc.cfg); (err == nil) != tc.ok {
			t.Errorf("%s with %v: %v", tc.target, tc.cfg, err)
		}
	}
}

// A refused merchant certificate is not "safe to retry" as it is.
func TestExplainMerchantCertRejected(t *testing.T) {
	err := &wechatpay.TransportError{Op: "dial", Addr: "https://api.mch.weixin.qq.com", Err: fmt.Errorf("%w: remote error: tls: expired certificate", wechatpay.ErrMerchantCertRejected)}
	if msg := explain(err); !strings.Contains(msg, "replace the merchant certificate") || strings.Contains(msg, "safe to retry") {
		t.Fatal(msg)
	}
}
