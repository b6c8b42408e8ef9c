package node_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// seen is what a capturing server noted of one request.
type seen struct {
	accept, contentType, contentLength string
}

// The default headers where wechatpay-php and the Node SDK agree, and so the
// Go client matches them (docs/porting-from-php.md, "The wire"): each call
// is sent by the Node SDK and by the Go client to a capturing server, and
// Accept, Content-Type and Content-Length must be the same. (A json body's
// Content-Type and the APIv2 Accept, where the two references differ, are
// left out.)
func TestDefaultHeadersAsNode(t *testing.T) {
	bin := node(t)
	var mu sync.Mutex
	got := map[string]map[string]seen{} // by client, then by case
	client := "node"
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		if got[client] == nil {
			got[client] = map[string]seen{}
		}
		got[client][r.Header.Get("X-Case")] = seen{r.Header.Get("Accept"), r.Header.Get("Content-Type"), r.Header.Get("Content-Length")}
		mu.Unlock()
		http.Error(w, `{"code":"SYSTEM_ERROR","message":"captured"}`, http.StatusInternalServerError)
	}))
	defer capture.Close()

	keys := wechatpaytest.NewServer() // only for its identities and keys
	keys.Close()
	cfg := writeJSON(t, map[string]any{
		"mchid": keys.MchID, "serial": keys.Merchant.Serial, "privateKey": string(keys.Merchant.KeyPEM()),
		"certs": map[string]string{keys.Platform.Serial: string(keys.Platform.CertPEM())}, "secret": keys.Secret,
		"baseURL": capture.URL + "/",
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bin, "headers.js", cfg).CombinedOutput(); err != nil {
		t.Fatalf("node headers.js: %v\n%s", err, out)
	}

	mu.Lock()
	client = "go"
	mu.Unlock()
	c, err := wechatpay.New(wechatpay.Config{
		MchID: keys.MchID, Serial: keys.Merchant.Serial, PrivateKey: keys.Merchant.Key,
		Certs: map[string]any{keys.Platform.Serial: keys.Platform.Cert}, Secret: crypto.NewSecret(keys.Secret),
		BaseURL: capture.URL + "/",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tag := func(name string) wechatpay.M { return wechatpay.M{"headers": wechatpay.M{"X-Case": name}} }
	for _, call := range []struct {
		name, method, path string
		opts               wechatpay.M
	}{
		{"v3 GET", "GET", "v3/wire", wechatpay.M{"query": wechatpay.M{"x": 1}}},
		{"v3 DELETE", "DELETE", "v3/wire", nil},
		{"v3 POST raw", "POST", "v3/wire", wechatpay.M{"body": `{"a":1}`}},
		{"v3 POST bodiless", "POST", "v3/wire", nil},
		{"v2 GET", "GET", "v2/wire", wechatpay.M{"query": wechatpay.M{"mch_id": keys.MchID}}},
		{"v2 POST", "POST", "v2/wire", wechatpay.M{"xml": wechatpay.M{"mch_id": keys.MchID}}},
	} {
		c.Chain(call.path).Do(ctx, call.method, call.opts, tag(call.name)) // answered 500: the headers are what counts
	}

	mu.Lock()
	defer mu.Unlock()
	for name, n := range got["node"] {
		g, ok := got["go"][name]
		if name[:2] == "v2" {
			n.accept, g.accept = "", "" // PHP's list here; Node adds application/json
		}
		if !ok || g != n {
			t.Errorf("%s: Node sent %+v, Go %+v", name, n, g)
		}
	}
	if len(got["node"]) != 6 || len(got["go"]) != 6 {
		t.Errorf("captured %d Node and %d Go calls, want 6 each", len(got["node"]), len(got["go"]))
	}
}
