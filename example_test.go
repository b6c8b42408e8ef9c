package wechatpay_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// sandbox starts a loopback WeChat Pay answering a few calls, for the
// examples.
func sandbox() *wechatpaytest.Server {
	srv := wechatpaytest.NewServer()
	srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		if r.Vars["transaction_id"] == "4200000000000000000000000000" {
			return wechatpaytest.ErrorJSON(404, "ORDER_NOT_EXIST", "订单不存在")
		}
		return wechatpaytest.JSON(200, map[string]any{
			"transaction_id": r.Vars["transaction_id"], "trade_state": "SUCCESS",
			"amount": map[string]any{"total": 100, "currency": "CNY"},
		})
	})
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
	})
	srv.HandleFunc("POST", "v2/pay/orderquery", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.Fields(map[string]string{"out_trade_no": r.Fields["out_trade_no"], "trade_state": "SUCCESS"})
	})
	return srv
}

func ExampleNew() {
	srv := sandbox()
	defer srv.Close()
	// In production: MchID, Serial, PrivateKey ("file:///path/to/apiclient_key.pem"),
	// Certs ({"PUB_KEY_ID_…": "file:///path/to/pub_key.pem"}) and Secret
	// come from your merchant platform (商户平台).
	client, err := wechatpay.New(srv.Config())
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	fmt.Println(client.MchID())
	// Output: 1900000109
}

func ExampleClient_Chain() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	// Declarative, with the ID in a template variable.
	res, err := client.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{
		"transaction_id": "1217752501201407033233368018",
		"query":          wechatpay.M{"mchid": "1900000109"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Get("trade_state"), res.Get("amount.total"))

	// The same path segment by segment, as PHP's $instance->v3->pay->… .
	path := client.Chain("v3").Chain("pay").Chain("transactions").Chain("id").Chain("_transaction_id_")
	fmt.Println(path)
	// Output:
	// SUCCESS 100
	// v3/pay/transactions/id/{transaction_id}
}

func ExampleChain_Post() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	res, err := client.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{
		"mchid":        "1900000109",
		"out_trade_no": "native12177525012014070332333",
		"appid":        "wxdace645e0bc2cXXX",
		"description":  "Image形象店-深圳腾大-QQ公仔",
		"notify_url":   "https://weixin.qq.com/",
		"amount":       wechatpay.M{"total": 1, "currency": "CNY"},
	}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Get("code_url"))
	// Output: weixin://wxpay/bizpayurl?pr=p4lpSuKzz
}

// APIv2 paths start with "v2/"; fields go in "xml" and are signed.
func ExampleChain_Post_apiv2() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	res, err := client.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{
		"appid":        "wxd678efh567hg6787",
		"mch_id":       "1900000109",
		"out_trade_no": "1217752501201407033233368018",
	}})
	if err != nil {
		log.Fatal(err)
	}
	fields, _ := res.XML()
	fmt.Println(fields["trade_state"], res.Get("out_trade_no"))
	// Output: SUCCESS 1217752501201407033233368018
}

func ExampleChain_GetAsync() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	state, err := wechatpay.Then(
		client.Chain("v3/pay/transactions/id/{transaction_id}").GetAsync(wechatpay.M{"transaction_id": "1217752501201407033233368018"}),
		func(res *wechatpay.Response) (string, error) { return res.Get("trade_state").String(), nil },
	).Wait()
	fmt.Println(state, err)
	// Output: SUCCESS <nil>
}

func ExampleChain_GetContext() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	res, err := client.Chain("v3/pay/transactions/id/{transaction_id}").GetContext(ctx, wechatpay.Options{
		Vars:  map[string]any{"transaction_id": "1217752501201407033233368018"},
		Query: map[string]string{"mchid": "1900000109"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.StatusCode, res.Get("trade_state"))
	// Output: 200 SUCCESS
}

func ExampleAPIError() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	_, err := client.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": "4200000000000000000000000000"})
	var apiErr *wechatpay.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	// Output: 404 ORDER_NOT_EXIST 订单不存在
}

// A step inserted before "signer" sees every APIv3 request before it is
// signed; one after "verifier"… is inside it, and so on.
func ExampleClient_Stack() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	logger := func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			res, err := next.Handle(ctx, req)
			if err == nil {
				fmt.Println(req.Method, req.Pathname, res.StatusCode)
			}
			return res, err
		})
	}
	client.Stack(wechatpay.APIv3).Before("signer", "logger", logger)
	fmt.Println(client.Stack(wechatpay.APIv3).Names())
	client.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": "1217752501201407033233368018"})
	// Output:
	// [verifier http_errors wechatpay_serial logger signer]
	// GET /v3/pay/transactions/id/1217752501201407033233368018 200
}

// A receiver for APIv3 notifications (回调通知) on a net/http server with
// timeouts; here the sandbox plays WeChat Pay and delivers one.
func ExampleNotifier_Handler() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	nf := client.Notifier()
	nf.ReplayGuard = wechatpay.NewMemoryReplayGuard(0)
	mux := http.NewServeMux()
	mux.Handle("/wechatpay/notify", nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		fmt.Println(n.EventType, n.Get("out_trade_no"), n.Get("trade_state"))
		return nil // answered 204; an error makes WeChat Pay send it again
	}))
	// Never http.ListenAndServe: it sets no timeout at all.
	server := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	l, err := net.Listen("tcp", "127.0.0.1:0") // in production: server.Addr = ":8080"; server.ListenAndServe()
	if err != nil {
		log.Fatal(err)
	}
	go server.Serve(l)
	defer server.Close()

	d, err := srv.Notify(context.Background(), "http://"+l.Addr().String()+"/wechatpay/notify", wechatpaytest.Notification{
		Webhook:  "v3/TRANSACTION.SUCCESS",
		Resource: map[string]any{"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS"},
	}, wechatpaytest.WithSchedule())
	fmt.Println(d.Delivered, err)
	// Output:
	// TRANSACTION.SUCCESS 1217752501201407033233368018 SUCCESS
	// true <nil>
}

// The APIv2 handler: a refund notification (退款结果通知) is authenticated by
// its encrypted req_info alone, so its content is in ReqInfo; the unsigned
// fields around it are apart, in Unverified.
func ExampleNotifier_V2Handler() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	mux := http.NewServeMux()
	mux.Handle("/wechatpay/v2/notify", client.Notifier().V2Handler(func(ctx context.Context, n *wechatpay.V2Notification) error {
		if n.ReqInfo != nil {
			fmt.Println("refund", n.ReqInfo["out_refund_no"], n.ReqInfo["refund_status"], n.Fields == nil)
			return nil
		}
		fmt.Println("paid", n.Field("out_trade_no"))
		return nil
	}))
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second,
		WriteTimeout: 30 * time.Second, IdleTimeout: 60 * time.Second}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go server.Serve(l)
	defer server.Close()

	_, err = srv.Notify(context.Background(), "http://"+l.Addr().String()+"/wechatpay/v2/notify", wechatpaytest.Notification{
		Webhook: "v2/refund-processed",
		ReqInfo: map[string]string{"out_refund_no": "1217752501201407033233368019", "refund_status": "SUCCESS"},
	}, wechatpaytest.WithSchedule())
	fmt.Println(err)
	// Output:
	// refund 1217752501201407033233368019 SUCCESS true
	// <nil>
}

// A Go service reads the configuration file the wxpay command uses (-c
// FILE, $WECHATPAY_CONFIG), so that both share one file.
func ExampleLoadConfig() {
	srv := wechatpaytest.NewServer() // WeChat Pay, for the example
	defer srv.Close()
	dir, err := os.MkdirTemp("", "wechatpay")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	// The file and the keys beside it, as `wxpay sandbox --config-out` writes them.
	os.WriteFile(filepath.Join(dir, "apiclient_key.pem"), srv.Merchant.KeyPEM(), 0o600)
	os.WriteFile(filepath.Join(dir, "wechatpay_platform.pem"), srv.Platform.CertPEM(), 0o600)
	os.WriteFile(filepath.Join(dir, "wechatpay.json"), fmt.Appendf(nil, `{
  "mchid": %q,
  "serial": %q,
  "private_key": "apiclient_key.pem",
  "certs": {%q: "wechatpay_platform.pem"},
  "apiv3_key": %q,
  "base_url": %q
}`, srv.MchID, srv.Merchant.Serial, srv.Platform.Serial, srv.APIv3Key, srv.URL), 0o600)

	cfg, err := wechatpay.LoadConfig(filepath.Join(dir, "wechatpay.json"))
	if err != nil {
		log.Fatal(err) // a *ConfigFileError naming the file and the key
	}
	cfg.Timeout = 10 * time.Second // what the file has no key for
	client, err := wechatpay.New(cfg)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	res, err := client.Chain("v3/certificates").Get()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.StatusCode, len(res.Get("data").Array()))
	// Output: 200 1
}

func ExampleOrdered() {
	srv := sandbox()
	defer srv.Close()
	client, _ := wechatpay.New(srv.Config())
	defer client.Close()

	// PHP's insertion order, for a port that must send PHP's very bytes; an
	// M would be sent in key order (amount, appid, …).
	body := wechatpay.Ordered{
		{"appid", "wxd678efh567hg6787"},
		{"mchid", "1230000109"},
		{"description", "Image形象店-深圳腾大-QQ公仔"},
		{"out_trade_no", "1217752501201407033233368018"},
		{"notify_url", "https://www.weixin.qq.com/wxpay/pay.php"},
		{"amount", wechatpay.Ordered{{"total", 1}, {"currency", "CNY"}}},
	}
	res, err := client.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": body})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Get("code_url"))
	sent := srv.Received()[0].Body
	fmt.Println(string(sent[:60]))
	// Output:
	// weixin://wxpay/bizpayurl?pr=p4lpSuKzz
	// {"appid":"wxd678efh567hg6787","mchid":"1230000109","descript
}
