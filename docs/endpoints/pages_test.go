// Package endpoints holds no code: its directory holds the endpoint pages,
// and its tests run the Go code of every page. internal/docgen writes each
// page and, in examples_*_test.go, the same code as the body of a
// function; the tests below call those functions against wechatpaytest, as
// a program would call WeChat Pay. This is the catalog-wide test: every
// endpoint of the catalog is called, and every notification delivered, by
// the code its page shows.
package endpoints

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/validate"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// callExample is the code of an endpoint's page.
type callExample struct {
	page, method, chain string
	run                 func(ctx context.Context, client *wechatpay.Client) error
}

// webhookExample is the code of a notification's page: the server that
// takes it.
type webhookExample struct {
	page, name string
	serve      func(nf *wechatpay.Notifier) http.Handler
}

var (
	calls []callExample
	hooks []webhookExample
)

// registerCall and registerWebhook are called by the generated files.
func registerCall(page, method, chain string, run func(context.Context, *wechatpay.Client) error) {
	calls = append(calls, callExample{page, method, chain, run})
}

func registerWebhook(page, name string, serve func(*wechatpay.Notifier) http.Handler) {
	hooks = append(hooks, webhookExample{page, name, serve})
}

// The files the pages' uploads open, in the directory the tests run in.
var uploadFiles = map[string][]byte{
	"image.jpg":   []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00wechatpaytest image"),
	"video.mp4":   []byte("\x00\x00\x00\x18ftypmp42wechatpaytest video"),
	"fapiao.pdf":  []byte("%PDF-1.4\nwechatpaytest fapiao\n%%EOF\n"),
	"openids.csv": []byte("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o\n"),
}

// TestMain runs the tests in a temporary directory holding the files the
// pages upload, where their downloads land.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "endpoint-pages")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	for name, data := range uploadFiles {
		if err := os.WriteFile(dir+"/"+name, data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	wd, _ := os.Getwd()
	os.Chdir(dir)
	code := m.Run()
	os.Chdir(wd)
	os.RemoveAll(dir)
	os.Exit(code)
}

// sandboxClient is a client whose every connection, whatever the host
// (api.mch.weixin.qq.com, apihk.mch.weixin.qq.com, fraud.mch.weixin.qq.com,
// …), reaches srv, over TLS checked against srv's certificate: so the pages
// keep their real URLs and hosts, and run unchanged. It validates every
// request in strict mode (package validate) before signing it: each page's
// call matches its endpoint's documentation, and the strict sandbox agrees.
func sandboxClient(t *testing.T, srv *wechatpaytest.Server) *wechatpay.Client {
	t.Helper()
	cfg := srv.Config()
	cfg.BaseURL = "" // WeChat Pay's own, as the pages assume
	cfg.NoBackup = true
	cfg.TLSConfig = &tls.Config{RootCAs: srv.CertPool(), ServerName: "localhost"}
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.URL, "https://"), "/")
	cfg.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	client, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	err = validate.Install(client, validate.Options{Strict: true, OnWarning: func(_ context.Context, w validate.Warning) {
		if w.Kind != validate.Deprecated {
			t.Errorf("validation warning: %s", w)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// quiet sends what the examples print to /dev/null for the test's
// duration: they print what they read, for the reader of the page.
func quiet(t *testing.T) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	orig := os.Stdout
	os.Stdout = null
	t.Cleanup(func() { os.Stdout = orig; null.Close() })
}

// TestCatalogCompleteness runs the Go of every endpoint page against the
// sandbox: each must succeed, call its own endpoint and no other, and get
// verified 2xx answers. Every catalog entry that is a call has its
// example. The examples run on as many sandboxes as there are CPUs, each
// sandbox serving one example at a time, so that what it received is that
// example's. What each call sent must match testdata/wire.golden.
func TestCatalogCompleteness(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]callExample{}
	for _, c := range calls {
		byKey[c.page+" "+c.method] = c
	}
	for _, e := range cat.Entries() {
		if _, ok := byKey[e.Page+" "+e.Method]; !ok && !e.IsWebhook() {
			t.Errorf("%s: no example on %s", e.String(), e.Page)
		}
	}

	files := fileHost(t)
	quiet(t)
	work := make(chan callExample)
	var passed atomic.Int64
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		// Stateless: the pages' samples share out_trade_no values across
		// endpoints, which the stateful sandbox rightly refuses.
		srv := wechatpaytest.NewTLSServer(wechatpaytest.WithoutState())
		defer srv.Close()
		client := sandboxClient(t, srv)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := range work {
				if runExample(t, srv, client, c) {
					passed.Add(1)
				}
			}
		}()
	}
	// The signed links of the pages that are not SDK calls use the
	// sandbox's APIv2 key, as a merchant's would.
	t.Setenv("WECHATPAY_APIV2_KEY", "wechatpaytest-apiv2-key-32-bytes")
	for _, c := range calls {
		work <- c
	}
	close(work)
	wg.Wait()
	if files.hits.Load() == 0 {
		t.Error("no page downloaded a plain file")
	}
	t.Logf("%d of %d endpoint examples ran and passed", passed.Load(), len(calls))
	if !t.Failed() {
		checkWire(t) // wire_test.go
	}
}

// runExample runs one example on srv, and checks what srv received.
func runExample(t *testing.T, srv *wechatpaytest.Server, client *wechatpay.Client, c callExample) bool {
	srv.Reset()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.run(ctx, client); err != nil {
		t.Errorf("%s %s (docs/endpoints/%s): %v", c.method, c.chain, c.page, err)
		return false
	}
	if c.chain == "" {
		return true // a link or a plain download, not an SDK call
	}
	got := srv.Received()
	if len(got) < 2 {
		t.Errorf("%s %s: %d requests reached the sandbox, want the declarative and the asynchronous call", c.method, c.chain, len(got))
		return false
	}
	for _, r := range got {
		if r.Method != c.method || !sameWire(r.Route, c.chain) || r.Status < 200 || r.Status > 299 {
			t.Errorf("%s %s: the sandbox got %s %s (route %q), answered %d", c.method, c.chain, r.Method, r.Target, r.Route, r.Status)
			return false
		}
	}
	recordWire(srv, c, got)
	return true
}

// sameWire tells whether two chains are one path on the wire: equal, or
// differing only in their variables' names
// (v3/apply4subject/applyment/{business_code}/cancel and …/{applyment_id}/cancel),
// which the sandbox cannot tell apart.
func sameWire(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		if as[i] != bs[i] && !(strings.HasPrefix(as[i], "{") && strings.HasPrefix(bs[i], "{")) {
			return false
		}
	}
	return true
}

// TestEveryWebhookPage serves the handler of every notification page; the
// sandbox delivers that notification, signed and encrypted as WeChat Pay
// sends it, and must get the acknowledgement the page documents.
func TestEveryWebhookPage(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	if want := len(cat.Webhooks("")); len(hooks) != want {
		t.Errorf("%d webhook examples, %d notifications in the catalog", len(hooks), want)
	}
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	nf := client.Notifier()
	quiet(t)
	passed := 0
	for _, h := range hooks {
		e, err := cat.Lookup("POST", h.name)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(h.serve(nf))
		d, err := srv.Notify(context.Background(), ts.URL+"/wechatpay/notify", wechatpaytest.Notification{Webhook: h.name}, wechatpaytest.WithSchedule())
		ts.Close()
		// Handler and V2Handler acknowledge only once the page's function
		// returned nil.
		if err != nil || !d.Delivered {
			t.Errorf("%s: %v %+v", h.name, err, d)
			continue
		}
		if problem := checkAck(e, d.Attempts[len(d.Attempts)-1]); problem != "" {
			t.Errorf("%s (docs/endpoints/%s): %s", h.name, h.page, problem)
			continue
		}
		passed++
	}
	t.Logf("%d of %d notification examples delivered and acknowledged", passed, len(hooks))
}

// checkAck compares an acknowledgement with the one the catalog documents.
func checkAck(e *catalog.Entry, a wechatpaytest.Attempt) string {
	body := e.Response.Find("body")
	if e.Protocol == "v2" {
		if a.Status != http.StatusOK || !bytes.Contains(a.Body, []byte("<return_code><![CDATA[SUCCESS]]></return_code>")) && !bytes.Contains(a.Body, []byte("<return_code>SUCCESS</return_code>")) {
			return fmt.Sprintf("answered %d %s, want 200 and return_code SUCCESS", a.Status, a.Body)
		}
		return ""
	}
	var extra []string
	if body != nil {
		for _, n := range body.Children {
			if n.Required && n.Name != "code" && n.Name != "message" {
				extra = append(extra, n.Name)
			}
		}
	}
	if len(extra) == 0 {
		if a.Status/100 != 2 {
			return fmt.Sprintf("answered %d, want 2XX", a.Status)
		}
		return ""
	}
	// A business answer: 200, JSON with the documented fields.
	var got map[string]any
	if a.Status != http.StatusOK || json.Unmarshal(a.Body, &got) != nil {
		return fmt.Sprintf("answered %d %s, want 200 and a JSON body", a.Status, a.Body)
	}
	for _, name := range extra {
		if _, ok := got[name]; !ok {
			return fmt.Sprintf("the answer %s lacks %s", a.Body, name)
		}
	}
	return ""
}

// fileServer stands for the hosts that serve plain files (the fapiao
// download of pay.wechatpay.cn): http.DefaultClient reaches it whatever the
// host.
type fileServer struct {
	hits atomic.Int64
}

func fileHost(t *testing.T) *fileServer {
	fs := &fileServer{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fs.hits.Add(1)
		w.Header().Set("Content-Type", "application/pdf")
		w.Write(uploadFiles["fapiao.pdf"])
	}))
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	tr.TLSClientConfig.ServerName = "example.com" // httptest's certificate names it
	orig := http.DefaultTransport
	http.DefaultTransport = tr
	t.Cleanup(func() { http.DefaultTransport = orig })
	return fs
}
