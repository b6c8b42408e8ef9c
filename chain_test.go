package wechatpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func newClient(t testing.TB, srv *wechatpaytest.Server) *wechatpay.Client {
	t.Helper()
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// echo answers an APIv3 request with what it received.
func echo(r *wechatpaytest.Request) *wechatpaytest.Answer {
	var body any
	json.Unmarshal(r.Body, &body)
	return wechatpaytest.JSON(200, map[string]any{
		"method": r.Method, "target": r.RequestURI, "vars": r.Vars, "body": body,
		"content_type": r.Header.Get("Content-Type"), "accept": r.Header.Get("Accept"),
	})
}

func lastReceived(t *testing.T, srv *wechatpaytest.Server) wechatpaytest.Received {
	t.Helper()
	rs := srv.Received()
	if len(rs) == 0 {
		t.Fatal("the server received nothing")
	}
	return rs[len(rs)-1]
}

// The seed pages, through the whole client and a loopback WeChat Pay.
func TestSeedEndpoints(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)

	t.Run("v3 GET trade-risk-information with query", func(t *testing.T) {
		srv.HandleFunc("GET", "v3/merchant-risk-manage/trade-risk-information", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			q := r.URL.Query()
			if q.Get("out_trade_no") == "" {
				return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", "out_trade_no is required")
			}
			return wechatpaytest.JSON(200, map[string]any{"risk_score": 87.5, "risk_type": "FRAUD", "complaints": q.Get("complaints_information")})
		})
		res, err := c.Chain("v3/merchant-risk-manage/trade-risk-information").Get(wechatpay.M{"query": wechatpay.M{
			"sp_mchid": "1900000109", "acquiring_bank_id": "1356485", "channel_id": "1900000108", "sub_mchid": "1900009231",
			"out_trade_no":           "1217752501201407033233368018",
			"complaints_information": "商家说高额返利，支付很大金额之后发现并没有返利，是骗子",
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Get("risk_score").Float() != 87.5 || res.Get("risk_type").String() != "FRAUD" ||
			res.Get("complaints").String() != "商家说高额返利，支付很大金额之后发现并没有返利，是骗子" {
			t.Fatalf("answer %s", res.Body)
		}
		got := lastReceived(t, srv)
		want := "/v3/merchant-risk-manage/trade-risk-information?acquiring_bank_id=1356485&channel_id=1900000108&complaints_information=%E5%95%86%E5%AE%B6%E8%AF%B4%E9%AB%98%E9%A2%9D%E8%BF%94%E5%88%A9%EF%BC%8C%E6%94%AF%E4%BB%98%E5%BE%88%E5%A4%A7%E9%87%91%E9%A2%9D%E4%B9%8B%E5%90%8E%E5%8F%91%E7%8E%B0%E5%B9%B6%E6%B2%A1%E6%9C%89%E8%BF%94%E5%88%A9%EF%BC%8C%E6%98%AF%E9%AA%97%E5%AD%90&out_trade_no=1217752501201407033233368018&sp_mchid=1900000109&sub_mchid=1900009231"
		if got.Target != want || len(got.Body) != 0 {
			t.Fatalf("target %s body %q", got.Target, got.Body)
		}
	})

	t.Run("v3 PUT violation-notifications", func(t *testing.T) {
		srv.HandleFunc("PUT", "v3/merchant-risk-manage/violation-notifications", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			var in map[string]string
			if err := json.Unmarshal(r.Body, &in); err != nil {
				return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", err.Error())
			}
			return wechatpaytest.JSON(200, in)
		})
		res, err := c.Chain("v3").Chain("merchantRiskManage").Chain("violationNotifications").Put(wechatpay.M{
			"json": wechatpay.M{"notify_url": "https://www.weixin.qq.com/wxpay/pay.php?a=1&b=<2>"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if res.Get("notify_url").String() != "https://www.weixin.qq.com/wxpay/pay.php?a=1&b=<2>" {
			t.Fatalf("answer %s", res.Body)
		}
		// encoding/json would write \u0026 and \u003c: the body is written as the Node SDK writes it.
		if got := string(lastReceived(t, srv).Body); got != `{"notify_url":"https://www.weixin.qq.com/wxpay/pay.php?a=1&b=<2>"}` {
			t.Fatalf("body %s", got)
		}
	})

	t.Run("v3 POST deep chain", func(t *testing.T) {
		srv.HandleFunc("POST", "v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			return wechatpaytest.JSON(200, map[string]string{"ret_msg": "ok"})
		})
		res, err := c.Chain("v3/aggracct-bc/wb-channel/control-orders/info/update/result/notify").Post(wechatpay.Options{
			JSON: map[string]string{"out_request_no": "htozr8denqegbt6tk6u10iymo7yww5pn", "mchid": "1900016681", "audit_result": "PASS"},
		})
		if err != nil || res.Get("ret_msg").String() != "ok" {
			t.Fatal(res, err)
		}
	})

	t.Run("v2 POST setmchriskcallback HMAC-SHA256", func(t *testing.T) {
		srv.HandleFunc("POST", "v2/mchrisk/setmchriskcallback", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			return &wechatpaytest.Answer{Fields: map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "mch_id": r.Fields["mch_id"]}, Unsigned: true}
		})
		res, err := c.Chain("v2/mchrisk/setmchriskcallback").Post(wechatpay.M{"xml": wechatpay.M{
			"mch_id": srv.MchID, "callback_url": "https://pay.weixin.qq.com/wxpay/risk.action", "sign_type": "HMAC-SHA256",
		}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Get("mch_id").String() != srv.MchID || res.Get("return_code").String() != "SUCCESS" {
			t.Fatalf("answer %s", res.Body)
		}
		got := lastReceived(t, srv)
		if !strings.Contains(string(got.Body), "<sign_type>HMAC-SHA256</sign_type>") || !strings.Contains(string(got.Body), "<nonce_str>") {
			t.Fatalf("body %s", got.Body)
		}
	})
}

// Every verb, sync and async, with both option styles.
func TestVerbs(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		srv.HandleFunc(m, "v3/things/{id}", echo)
	}
	ch := c.Chain("v3/things/{id}")
	type call func(opts ...wechatpay.Opts) (*wechatpay.Response, error)
	async := func(f func(...wechatpay.Opts) *wechatpay.Future[*wechatpay.Response]) call {
		return func(opts ...wechatpay.Opts) (*wechatpay.Response, error) { return f(opts...).Wait() }
	}
	ctxCall := func(f func(context.Context, ...wechatpay.Opts) (*wechatpay.Response, error)) call {
		return func(opts ...wechatpay.Opts) (*wechatpay.Response, error) { return f(context.Background(), opts...) }
	}
	verbs := []struct {
		method string
		sync   call
		ctx    call
		async  call
	}{
		{"GET", ch.Get, ctxCall(ch.GetContext), async(ch.GetAsync)},
		{"POST", ch.Post, ctxCall(ch.PostContext), async(ch.PostAsync)},
		{"PUT", ch.Put, ctxCall(ch.PutContext), async(ch.PutAsync)},
		{"PATCH", ch.Patch, ctxCall(ch.PatchContext), async(ch.PatchAsync)},
		{"DELETE", ch.Delete, ctxCall(ch.DeleteContext), async(ch.DeleteAsync)},
	}
	for _, v := range verbs {
		for style, f := range map[string]call{"sync": v.sync, "context": v.ctx, "async": v.async} {
			for _, optStyle := range []string{"M", "Options"} {
				var opts wechatpay.Opts = wechatpay.M{"id": "A b/C", "query": wechatpay.M{"x": "1"}, "json": wechatpay.M{"k": "v"}}
				if optStyle == "Options" {
					opts = wechatpay.Options{Vars: map[string]any{"id": "A b/C"}, Query: map[string]string{"x": "1"}, JSON: map[string]string{"k": "v"}}
				}
				res, err := f(opts)
				if err != nil {
					t.Fatalf("%s %s %s: %v", v.method, style, optStyle, err)
				}
				if res.Get("method").String() != v.method || res.Get("target").String() != "/v3/things/A%20b%2FC?x=1" ||
					res.Get("vars.id").String() != "A b/C" || res.Get("body.k").String() != "v" {
					t.Fatalf("%s %s %s: %s", v.method, style, optStyle, res.Body)
				}
			}
		}
	}
}

func TestDefaultHeaders(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("POST", "v3/x", echo)
	srv.HandleFunc("GET", "v3/x", echo)
	if _, err := c.Chain("v3/x").Post(wechatpay.M{"json": wechatpay.M{}}); err != nil {
		t.Fatal(err)
	}
	h := lastReceived(t, srv).Header
	if h.Get("Accept") != "application/json, text/plain, application/x-gzip, application/pdf, image/png, image/*;q=0.5" || h.Get("Content-Type") != "application/json" ||
		!strings.HasPrefix(h.Get("User-Agent"), "wechatpay-go/"+wechatpay.Version+" ") || !strings.Contains(h.Get("User-Agent"), "Go/go1.") {
		t.Fatalf("headers %v", h)
	}
	if _, err := c.Chain("v3/x").Get(wechatpay.M{"headers": wechatpay.M{"Accept": "text/plain", "Wechatpay-Serial": "PUB_KEY_ID_1"}}); err != nil {
		t.Fatal(err)
	}
	h = lastReceived(t, srv).Header
	if h.Get("Content-Type") != "application/json; charset=utf-8" || h.Get("Accept") != "text/plain" || h.Get("Wechatpay-Serial") != "PUB_KEY_ID_1" {
		t.Fatalf("headers %v", h)
	}
}

func TestRoutingAndBaseURL(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("GET", "hk/v3/statements", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"path": r.URL.Path})
	})
	srv.HandleFunc("POST", "v2/pay/orderquery", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(map[string]string{"trade_state": "SUCCESS"})
	})
	srv.HandleFunc("GET", "v3/pay/transactions/native", echo)

	// A per-call base_uri with a path, as the overseas statement sample has.
	res, err := c.Chain("v3/statements").Get(wechatpay.M{"base_uri": srv.URL + "hk/", "query": wechatpay.M{"date": "20180130"}})
	if err != nil || res.Get("path").String() != "/hk/v3/statements" {
		t.Fatal(res, err)
	}
	// "V2/" in any case routes to APIv2, whose prefix is not sent.
	res, err = c.Chain("V2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"mch_id": srv.MchID, "out_trade_no": "1"}})
	if err != nil || res.Get("trade_state").String() != "SUCCESS" {
		t.Fatal(res, err)
	}
	if got := lastReceived(t, srv).Target; got != "/pay/orderquery" {
		t.Fatal(got)
	}
	// {+path}: reserved expansion routes after expansion.
	res, err = c.Chain("{+path}").Get(wechatpay.M{"path": "v3/pay/transactions/native"})
	if err != nil || res.Get("target").String() != "/v3/pay/transactions/native" {
		t.Fatal(res, err)
	}
	res, err = c.Chain("{+path}").Post(wechatpay.M{"path": "v2/pay/orderquery", "xml": wechatpay.M{"mch_id": srv.MchID}})
	if err != nil || res.Get("trade_state").String() != "SUCCESS" {
		t.Fatal(res, err)
	}
	// A literal query in the path.
	res, err = c.Chain("v3/pay/transactions/native?mchid=1900000109&x=Y").Get()
	if err != nil || res.Get("target").String() != "/v3/pay/transactions/native?mchid=1900000109&x=Y" {
		t.Fatal(res, err)
	}
}

func TestOptionErrors(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	cases := []struct {
		chain string
		opts  wechatpay.Opts
		opt   string
	}{
		{"v3/pay/transactions/id/{transaction_id}", wechatpay.M{}, "transaction_id"},
		{"v3/pay/transactions/native", wechatpay.M{"jsno": wechatpay.M{}}, "jsno"},
		{"v3/pay/transactions/native", wechatpay.M{"xml": wechatpay.M{}}, "xml"},
		{"v2/pay/micropay", wechatpay.M{"json": wechatpay.M{}}, "json"},
		{"v3/pay/transactions/native", wechatpay.M{"json": []byte("{not json")}, "json"},
		{"v3/pay/transactions/native", wechatpay.M{"json": wechatpay.M{"f": func() {}}}, "json"},
		{"v3/pay/transactions/native", wechatpay.M{"security": "yes"}, "security"},
		{"v3/pay/transactions/native", wechatpay.M{"timeout": "1s"}, "timeout"},
		{"v3/pay/transactions/native", wechatpay.M{"headers": 42}, "headers"},
		{"v3/pay/transactions/native", wechatpay.M{"base_uri": "ftp://x/"}, "base_uri"},
		{"v3/pay/transactions/native", wechatpay.M{"query": wechatpay.M{"a": wechatpay.M{"f": func() {}}}}, "query"},
		{"v3/pay/transactions/native", wechatpay.M{"query": 42}, "query"},
		{"v3/pay/transactions/native", wechatpay.M{"json": wechatpay.Ordered{{1, "x"}}}, "json"},
		{"v3/pay/transactions/native", wechatpay.M{"query": wechatpay.Ordered{{"a", 1}, {"a", 2}}}, "query"},
		{"v2/pay/micropay", wechatpay.M{"xml": wechatpay.M{"detail": []string{"x"}}}, "xml"},
		{"v3/pay/transactions/native", wechatpay.M{"body": 42}, "body"},
		{"v3/pay/transactions/native", wechatpay.M{"body": "x", "json": wechatpay.M{}}, "body"},
		{"v3/pay/transactions/native", wechatpay.M{"sink": 42}, "sink"},
	}
	for _, tc := range cases {
		_, err := c.Chain(tc.chain).Post(tc.opts)
		var oe *wechatpay.OptionError
		if !errors.As(err, &oe) || oe.Option != tc.opt {
			t.Errorf("%s %v: got %v, want an *OptionError for %q", tc.chain, tc.opts, err, tc.opt)
		}
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d requests were sent", n)
	}
}

// Options later in the list override earlier ones; the caller's values are
// not modified.
func TestOptionsMerge(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("POST", "v3/things/{id}", echo)
	base := wechatpay.Options{Vars: map[string]any{"id": "1"}, Headers: map[string]string{"X-A": "a"}, JSON: map[string]int{"n": 1}}
	res, err := c.Chain("v3/things/{id}").Post(base, wechatpay.M{"id": "2", "headers": wechatpay.M{"X-B": "b"}}, wechatpay.Options{JSON: map[string]int{"n": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Get("vars.id").String() != "2" || res.Get("body.n").Int() != 2 {
		t.Fatal(string(res.Body))
	}
	h := lastReceived(t, srv).Header
	if h.Get("X-A") != "a" || h.Get("X-B") != "b" {
		t.Fatal(h)
	}
	if base.Vars["id"] != "1" || len(base.Headers) != 1 {
		t.Fatal("the caller's Options were modified")
	}
}

// Ordered APIv2 fields are written in the given order, as PHP writes its
// arrays; maps are written in key order.
func TestV2FieldOrder(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("POST", "v2/pay/orderquery", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(nil)
	})
	_, err := c.Chain("v2/pay/orderquery").Post(wechatpay.Options{XML: []formatter.Pair{
		{Key: "mch_id", Value: srv.MchID}, {Key: "appid", Value: "wxd678efh567hg6787"}, {Key: "out_trade_no", Value: "O1"}, {Key: "nonce_str", Value: "N1"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	body := string(lastReceived(t, srv).Body)
	if !strings.HasPrefix(body, "<xml><mch_id>"+srv.MchID+"</mch_id><appid>wxd678efh567hg6787</appid><out_trade_no>O1</out_trade_no><nonce_str>N1</nonce_str><sign>") {
		t.Fatal(body)
	}
	_, err = c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"out_trade_no": "O1", "mch_id": srv.MchID, "appid": "wx1", "nonce_str": "N1"}})
	if err != nil {
		t.Fatal(err)
	}
	body = string(lastReceived(t, srv).Body)
	if !strings.HasPrefix(body, "<xml><appid>wx1</appid><mch_id>"+srv.MchID+"</mch_id><nonce_str>N1</nonce_str><out_trade_no>O1</out_trade_no><sign>") {
		t.Fatal(body)
	}
}

func TestNotConfigured(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	v2only := wechatpay.Config{MchID: cfg.MchID, Secret: cfg.Secret, BaseURL: cfg.BaseURL}
	c, err := wechatpay.New(v2only)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v3/certificates").Get(); !errors.Is(err, wechatpay.ErrAPIv3NotConfigured) {
		t.Fatal(err)
	}
	cfg.Secret = wechatpay.Config{}.Secret
	c, err = wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v2/pay/micropay").Post(wechatpay.M{"xml": wechatpay.M{}}); !errors.Is(err, wechatpay.ErrAPIv2NotConfigured) {
		t.Fatal(err)
	}
	if len(srv.Received()) != 0 {
		t.Fatal("something was sent")
	}
}

func TestZeroChain(t *testing.T) {
	var ch wechatpay.Chain
	if _, err := ch.Get(); err == nil {
		t.Fatal("a Chain without a client called")
	}
	_ = http.MethodGet
}

// A path variable cannot climb to another endpoint or merge two segments,
// however its value is typed: the call is refused before anything is sent.
func TestPathVariableStaysInSegment(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	for _, v := range []any{"..", []byte(".."), []string{".."}, json.Number("."), "", []string{""}, nil} {
		_, err := c.Chain("v3/refund/domestic/refunds/{out_refund_no}").Get(wechatpay.M{"out_refund_no": v})
		var oe *wechatpay.OptionError
		if !errors.As(err, &oe) {
			t.Fatalf("%#v: %v", v, err)
		}
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
	res, err := c.Chain("v3/refund/domestic/refunds/{out_refund_no}").Get(wechatpay.M{"out_refund_no": "R/1"})
	if err != nil || lastReceived(t, srv).Target != "/v3/refund/domestic/refunds/R%2F1" {
		t.Fatal(res, err)
	}
}
