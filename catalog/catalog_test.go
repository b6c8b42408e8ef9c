package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func mustLoad(t testing.TB) *Catalog {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The embedded data is endpoints.json, compressed: the JSON beside it is
// the source, and go generate must have run after it changed.
func TestEmbeddedIsEndpointsJSON(t *testing.T) {
	raw, err := os.ReadFile("endpoints.json")
	if err != nil {
		t.Fatal(err)
	}
	d, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	got, err := d.DecodeAll(packed, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, raw) {
		t.Fatal("endpoints.json.zst does not decode to endpoints.json: run go generate ./internal/docgen")
	}
}

// The counts README.md gives.
func TestCounts(t *testing.T) {
	c := mustLoad(t)
	counts := map[string]int{}
	for _, e := range c.Entries() {
		counts[e.Kind+"/"+e.Protocol]++
		if e.Title == "" {
			t.Errorf("%s: no title", e.String())
		}
	}
	want := map[string]int{"openapi/v2": 129, "openapi/v3": 1018, "webhook/v2": 10, "webhook/v3": 102}
	for k, n := range want {
		if counts[k] != n {
			t.Errorf("%s: %d entries, README.md says %d", k, counts[k], n)
		}
	}
	if n := len(c.Pages()); n != 1176 {
		t.Errorf("%d pages, want 1176", n)
	}
	if n := len(c.Webhooks("")); n != 112 {
		t.Errorf("%d webhooks, want 112", n)
	}
}

func TestLookupForms(t *testing.T) {
	c := mustLoad(t)
	cases := []struct{ method, path, want string }{
		{"GET", "v3/pay/transactions/id/{transaction_id}", "v3/pay/transactions/id/{transaction_id}"},
		{"get", "v3/pay/transactions/id/4200000001", "v3/pay/transactions/id/{transaction_id}"},
		{"GET", "v3/pay/transactions/id/_transaction_id_", "v3/pay/transactions/id/{transaction_id}"},
		{"GET", "/v3/pay/transactions/id/4200000001?mchid=1900000109", "v3/pay/transactions/id/{transaction_id}"},
		{"GET", "https://api.mch.weixin.qq.com/v3/pay/transactions/id/4200000001?mchid=1900000109", "v3/pay/transactions/id/{transaction_id}"},
		// A literal segment wins over a variable: out-trade-no is not an {transaction_id}.
		{"GET", "v3/pay/transactions/out-trade-no/1217752501201407033233368018", "v3/pay/transactions/out-trade-no/{out_trade_no}"},
		{"GET", "v3/merchantRiskManage/tradeRiskInformation", "v3/merchant-risk-manage/trade-risk-information"},
		{"DELETE", "v3/merchant-risk-manage/violation-notifications", "v3/merchant-risk-manage/violation-notifications"},
		// An OpenID keeps its capitals in a variable.
		{"POST", "v3/marketing/favor/users/oUpF8uMuAJO_M2pxb1Q9zNjWeS6o/coupons", "v3/marketing/favor/users/{openid}/coupons"},
		// APIv2 by path, and by its URL on the wire.
		{"POST", "v2/pay/micropay", "v2/pay/micropay"},
		{"POST", "https://api.mch.weixin.qq.com/pay/micropay", "v2/pay/micropay"},
		// An empty trailing segment.
		{"POST", "v3/applyment4sub/applyment/", "v3/applyment4sub/applyment/{empty}"},
		// Notifications by name, page and event type.
		{"POST", "v3/REFUND.SUCCESS", "v3/REFUND.SUCCESS"},
		{"POST", "webhook/v3/REFUND.SUCCESS.md", "v3/REFUND.SUCCESS"},
		{"POST", "refund.success", "v3/REFUND.SUCCESS"},
		// A page that is a plain URL.
		{"GET", "v2/appauth/authindex", "v2/appauth/authindex"},
	}
	for _, tc := range cases {
		e, err := c.Lookup(tc.method, tc.path)
		if err != nil {
			t.Errorf("Lookup(%q, %q): %v", tc.method, tc.path, err)
			continue
		}
		if e.Path() != tc.want || e.Method != strings.ToUpper(tc.method) {
			t.Errorf("Lookup(%q, %q) = %s, want %s %s", tc.method, tc.path, e, strings.ToUpper(tc.method), tc.want)
		}
	}
}

// Every SDK entry is found by its chain, its PHP segments and its path
// expanded with its sample's variables; every webhook by its name.
func TestLookupEveryEntry(t *testing.T) {
	c := mustLoad(t)
	for i := range c.Entries() {
		e := &c.Entries()[i]
		forms := []string{e.Path()}
		if e.Chain != "" {
			forms = append(forms, strings.Join(e.Segments, "/"), expandSample(t, e))
		}
		for _, p := range forms {
			got, err := c.Lookup(e.Method, p)
			if err == nil && got != e && sameWire(got.Chain, e.Chain) {
				// Two chains differing only in a variable's name are one
				// path on the wire: an expanded path is either.
				continue
			}
			if err != nil || got != e {
				t.Errorf("Lookup(%s, %q) = %v, %v; want %s", e.Method, p, got, err, e)
			}
		}
	}
}

// sameWire tells whether two chains differ only in their variables' names.
func sameWire(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !(isVar(as[i]) && isVar(bs[i])) {
			return false
		}
	}
	return true
}

// expandSample fills the chain's variables with the sample's values, or
// with a stand-in ID.
func expandSample(t *testing.T, e *Entry) string {
	var smp map[string]any
	if len(e.Sample) > 0 {
		if err := json.Unmarshal(e.Sample, &smp); err != nil {
			t.Fatal(e.Page, err)
		}
	}
	p := e.Chain
	for _, v := range e.URIVars {
		val, _ := smp[v].(string)
		switch {
		case v == "empty":
			val = ""
		case val == "":
			val = "4200000985202406011234567890"
		}
		p = strings.ReplaceAll(p, "{"+v+"}", val)
	}
	return p
}

func TestLookupNotFound(t *testing.T) {
	c := mustLoad(t)
	_, err := c.Lookup("POST", "v3/pay/transactoins/native")
	var nf *NotFoundError
	if !errors.Is(err, ErrNotFound) || !errors.As(err, &nf) {
		t.Fatalf("err = %v, want a *NotFoundError", err)
	}
	if len(nf.Nearest) == 0 || nf.Nearest[0].Path() != "v3/pay/transactions/native" {
		t.Errorf("nearest = %v, want v3/pay/transactions/native first", nf.Nearest)
	}
	if !strings.Contains(err.Error(), "v3/pay/transactions/native") {
		t.Errorf("the message does not suggest the path: %v", err)
	}

	// The path exists but not the method: the methods it has are named.
	_, err = c.Lookup("PATCH", "v3/merchant-risk-manage/violation-notifications")
	if !errors.As(err, &nf) || len(nf.Nearest) != 4 {
		t.Fatalf("err = %v, want the 4 methods of the path", err)
	}
	if _, err := c.Match("no/such/path"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Match of an unknown path: %v", err)
	}
	if _, err := c.Lookup("GET", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("Lookup of an empty path: %v", err)
	}
}

func TestMatchMethods(t *testing.T) {
	c := mustLoad(t)
	es, err := c.Match("v3/merchant-risk-manage/violation-notifications")
	if err != nil {
		t.Fatal(err)
	}
	var methods []string
	for _, e := range es {
		methods = append(methods, e.Method)
	}
	if strings.Join(methods, ",") != "POST,GET,PUT,DELETE" {
		t.Errorf("methods %v", methods)
	}
}

func TestList(t *testing.T) {
	c := mustLoad(t)
	es := c.List("v3/merchantRiskManage")
	if len(es) != 9 {
		t.Errorf("List(v3/merchantRiskManage): %d entries, want 9", len(es))
	}
	for _, e := range es {
		if !strings.HasPrefix(e.Path(), "v3/merchant-risk-manage") {
			t.Errorf("List(v3/merchantRiskManage) has %s", e)
		}
	}
	if n := len(c.List("")); n != len(c.Entries()) {
		t.Errorf("List(\"\"): %d of %d", n, len(c.Entries()))
	}
	if es := c.List("v3/REFUND."); len(es) != 3 {
		t.Errorf("List(v3/REFUND.): %v", es)
	}
}

func TestWebhooksByEventType(t *testing.T) {
	c := mustLoad(t)
	es := c.Webhooks("transaction.success")
	names := map[string]bool{}
	for _, e := range es {
		names[e.Path()] = true
		if !e.IsWebhook() || e.Method != "POST" || e.Chain != "" {
			t.Errorf("%s: %+v", e, e)
		}
	}
	// The profit-sharing notifications list it among their event types too.
	if !names["v2/TRANSACTION.SUCCESS"] || !names["v3/TRANSACTION.SUCCESS"] || !names["v3/PROFITSHARING.SUCCESS"] {
		t.Fatalf("TRANSACTION.SUCCESS: %v", es)
	}
}

func TestEntryFacts(t *testing.T) {
	c := mustLoad(t)
	e, err := c.Lookup("POST", "v3/pay/transactions/native")
	if err != nil {
		t.Fatal(err)
	}
	if e.Title != "Native下单" || e.FullURL() != "https://api.mch.weixin.qq.com/v3/pay/transactions/native" || e.Host() != "api.mch.weixin.qq.com" {
		t.Errorf("%q %q %q", e.Title, e.FullURL(), e.Host())
	}
	if n := e.Request.Find("json.amount.total"); n == nil || n.Type != "integer" || !n.Required {
		t.Errorf("json.amount.total: %+v", n)
	}
	if n := e.Request.Find("headers.Wechatpay-Serial"); n == nil || !n.Required {
		t.Errorf("headers.Wechatpay-Serial: %+v", n)
	}
	if e.Request.Find("json.amount.nope") != nil || e.Request.Find("") != nil {
		t.Error("Find of a missing path")
	}

	hk, _ := c.Lookup("GET", "v3/customs/orders")
	if hk == nil || hk.Host() != "apihk.mch.weixin.qq.com" {
		t.Errorf("APIv3 Hong Kong host: %v", hk)
	}
	v2, _ := c.Lookup("POST", "v2/pay/micropay")
	if v2 == nil || v2.FullURL() != "https://api.mch.weixin.qq.com/pay/micropay" {
		t.Errorf("APIv2 URL: %v", v2)
	}
	empty, _ := c.Lookup("POST", "v3/applyment4sub/applyment/")
	if empty == nil || empty.FullURL() != "https://api.mch.weixin.qq.com/v3/applyment4sub/applyment/" {
		t.Errorf("{empty}: %v", empty)
	}

	// Editions of the official documentation.
	editions := map[string]int{}
	for _, d := range e.Docs() {
		editions[d.Edition]++
	}
	if editions["merchant"] == 0 || editions["partner"] != 0 && editions["merchant"] == 0 {
		t.Errorf("Native下单 docs: %v", e.Docs())
	}

	// Sensitive fields.
	add, _ := c.Lookup("POST", "v3/profitsharing/receivers/add")
	if got := add.EncryptedFields(); len(got) != 1 || got[0] != "json.name" {
		t.Errorf("EncryptedFields = %v", got)
	}
}

func TestFlags(t *testing.T) {
	c := mustLoad(t)
	n := 0
	for i := range c.Entries() {
		e := &c.Entries()[i]
		if e.HasFlag(FlagDeprecated) != e.Deprecated() && !e.HasFlag(FlagDiscarded) {
			t.Errorf("%s: Deprecated disagrees with its flags %v", e, e.Flags)
		}
		if e.Deprecated() {
			n++
		}
	}
	if n == 0 {
		t.Error("no deprecated entry")
	}
}

func TestWalk(t *testing.T) {
	c := mustLoad(t)
	e, _ := c.Lookup("POST", "v3/pay/transactions/native")
	var paths []string
	err := e.Request.Walk(func(path string, depth int, n *Node) error {
		if strings.Count(path, ".") != depth {
			t.Errorf("%s at depth %d", path, depth)
		}
		if n.Name == "detail" {
			return SkipChildren
		}
		paths = append(paths, path)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	joined := strings.Join(paths, " ")
	if !strings.Contains(joined, "json.amount.total") || strings.Contains(joined, "json.detail.") {
		t.Errorf("walk: %s", joined)
	}
	stop := errors.New("stop")
	calls := 0
	if err := e.Request.Walk(func(string, int, *Node) error { calls++; return stop }); err != stop || calls != 1 {
		t.Errorf("Walk did not stop: %v after %d calls", err, calls)
	}
}

// A corrupt embedding is an error, not a panic.
func TestDecodeErrors(t *testing.T) {
	if _, err := decode([]byte("not zstd")); err == nil {
		t.Error("decode of garbage succeeded")
	}
	if _, err := parse([]byte(`[{"page":1}]`)); err == nil {
		t.Error("parse of a bad entry succeeded")
	}
	if _, err := parse([]byte(`[{"new_key":1}]`)); err == nil {
		t.Error("a key Entry does not have was accepted")
	}
}

func BenchmarkLoad(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decode(packed); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecompress(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
		if _, err := d.DecodeAll(packed, nil); err != nil {
			b.Fatal(err)
		}
		d.Close()
	}
}

func BenchmarkLookupExpanded(b *testing.B) {
	c := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Lookup("GET", "v3/pay/transactions/id/4200000001"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNearest(b *testing.B) {
	c := mustLoad(b)
	b.ReportAllocs()
	for b.Loop() {
		c.Nearest("v3/pay/transactoins/native", 5)
	}
}

// The client package, and what it imports, never import the catalog: a
// program that only calls WeChat Pay carries none of its data.
func TestClientDoesNotImportCatalog(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "list", "-deps", "github.com/wechatpay-go/wechatpay").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep == "github.com/wechatpay-go/wechatpay/catalog" {
			t.Fatal("package wechatpay imports the catalog")
		}
	}
	if !strings.Contains(string(out), "github.com/wechatpay-go/wechatpay/middleware") {
		t.Fatalf("go list printed no dependencies:\n%s", out)
	}
}
