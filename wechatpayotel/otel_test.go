package wechatpayotel_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpayotel"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// traced returns a client of srv with retries on, traced into an
// in-memory exporter.
func traced(t *testing.T, srv *wechatpaytest.Server, edit func(*wechatpay.Config)) (*wechatpay.Client, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { tp.Shutdown(context.Background()) })
	cfg := srv.Config()
	cfg.Retry = &wechatpay.RetryPolicy{MaxAttempts: 3, BaseDelay: 5 * time.Millisecond}
	if edit != nil {
		edit(&cfg)
	}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := wechatpayotel.Install(c, wechatpayotel.WithTracerProvider(tp)); err != nil {
		t.Fatal(err)
	}
	return c, exp
}

func attrs(s tracetest.SpanStub) map[attribute.Key]attribute.Value {
	m := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes {
		m[kv.Key] = kv.Value
	}
	return m
}

func onlySpan(t *testing.T, exp *tracetest.InMemoryExporter) tracetest.SpanStub {
	t.Helper()
	spans := exp.GetSpans()
	if len(spans) != 1 {
		t.Fatalf("%d spans, want 1: %v", len(spans), spans)
	}
	exp.Reset()
	return spans[0]
}

func TestSpanPerCall(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c, exp := traced(t, srv, nil)
	host, port, _ := net.SplitHostPort(strings.TrimSuffix(strings.TrimPrefix(srv.URL, "http://"), "/"))

	// A query by ID: the span is named by the template, not the ID.
	const id = "4200000985202406011234567890"
	res, err := c.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": id, "query": wechatpay.M{"mchid": srv.MchID}})
	if err != nil {
		t.Fatal(err)
	}
	s := onlySpan(t, exp)
	if s.Name != "GET v3/pay/transactions/id/{transaction_id}" || s.SpanKind != trace.SpanKindClient {
		t.Fatalf("span %q, kind %v", s.Name, s.SpanKind)
	}
	a := attrs(s)
	for k, want := range map[attribute.Key]any{
		"http.request.method":       "GET",
		"url.template":              "v3/pay/transactions/id/{transaction_id}",
		"server.address":            host,
		"http.response.status_code": int64(200),
		"wechatpay.request_id":      res.RequestID(),
	} {
		if got := a[k].AsInterface(); got != want {
			t.Errorf("%s = %v, want %v", k, got, want)
		}
	}
	if got := fmt.Sprint(a["server.port"].AsInt64()); got != port {
		t.Errorf("server.port = %s, want %s", got, port)
	}
	if _, ok := a["error.type"]; ok || s.Status.Code == codes.Error {
		t.Errorf("a success with an error: %v %v", a["error.type"], s.Status)
	}
	if strings.Contains(fmt.Sprint(s.Name, s.Attributes, s.Events), id) {
		t.Fatalf("the span holds the expanded ID: %v", s.Attributes)
	}

	// APIv2.
	if _, err := c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{
		"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "transaction_id": id,
	}}); err != nil {
		t.Fatal(err)
	}
	if s := onlySpan(t, exp); s.Name != "POST v2/pay/orderquery" || attrs(s)["url.template"].AsString() != "v2/pay/orderquery" {
		t.Fatalf("APIv2 span %q %v", s.Name, s.Attributes)
	}
}

// Retries are events of the call's one span; failures set error.type.
func TestSpanRetriesAndErrors(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{})
	})
	c, exp := traced(t, srv, nil)

	srv.Fault("GET v3/x", wechatpaytest.ServerError(503).Times(2))
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	s := onlySpan(t, exp)
	if len(s.Events) != 2 || s.Events[0].Name != "retry" {
		t.Fatalf("events: %+v", s.Events)
	}
	ev := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Events[0].Attributes {
		ev[kv.Key] = kv.Value
	}
	if ev["wechatpay.attempt"].AsInt64() != 1 || ev["error.type"].AsString() != "503" || ev["http.response.status_code"].AsInt64() != 503 {
		t.Fatalf("first retry event: %v", s.Events[0].Attributes)
	}
	if a := attrs(s); a["http.request.resend_count"].AsInt64() != 2 || a["http.response.status_code"].AsInt64() != 200 {
		t.Fatalf("attributes: %v", s.Attributes)
	}

	// A 4xx: not retried, error.type is the status.
	srv.HandleFunc("GET", "v3/y", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.ErrorJSON(404, "ORDER_NOT_EXIST", "订单不存在")
	})
	if _, err := c.Chain("v3/y").Get(); err == nil {
		t.Fatal("no error")
	}
	s = onlySpan(t, exp)
	if a := attrs(s); a["error.type"].AsString() != "404" || a["http.response.status_code"].AsInt64() != 404 || s.Status.Code != codes.Error || len(s.Events) != 0 {
		t.Fatalf("404: %v %v %v", s.Attributes, s.Status, s.Events)
	}
	if strings.Contains(s.Status.Description, "订单") {
		t.Fatalf("the status quotes the answer: %q", s.Status.Description)
	}

	// Nothing listening: connect errors, retried, then given up.
	srv2 := wechatpaytest.NewServer()
	cfg := srv2.Config()
	srv2.Close()
	c2, exp2 := traced(t, srv2, func(c *wechatpay.Config) { c.BaseURL = cfg.BaseURL })
	_, err := c2.Chain("v3/x").Get()
	var re *wechatpay.RetryError
	if !errors.As(err, &re) {
		t.Fatal(err)
	}
	s = onlySpan(t, exp2)
	if a := attrs(s); a["error.type"].AsString() != "connect" || len(s.Events) != 2 || a["http.request.resend_count"].AsInt64() != 2 {
		t.Fatalf("connect: %v %v", s.Attributes, s.Events)
	}
}

// Nothing secret or personal reaches a span: not the Authorization header,
// not WeChat Pay's signature, not an encrypted field, not the body.
func TestSpanHoldsNoSecret(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c, exp := traced(t, srv, nil)
	enc, err := c.NewSensitiveEncrypter()
	if err != nil {
		t.Fatal(err)
	}
	name, _ := enc.Encrypt("张三")
	var sig string
	check := middleware.Middleware(func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			res, err := next.Handle(ctx, req)
			if res != nil {
				sig = res.Header.Get("Wechatpay-Signature")
			}
			return res, err
		})
	})
	if err := c.Stack(wechatpay.APIv3).After("verifier", "catch", check); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v3/profitsharing/receivers/add").Post(wechatpay.M{"json": wechatpay.M{
		"appid": "wx8888888888888888", "type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"name": name, "relation_type": "STORE",
	}}, enc); err != nil {
		t.Fatal(err)
	}
	auth := srv.Received()[0].Header.Get("Authorization")
	s := onlySpan(t, exp)
	dump := fmt.Sprintf("%s %v %v %v %v", s.Name, s.Attributes, s.Events, s.Status, s.Resource)
	for what, secret := range map[string]string{
		"the Authorization header": auth, "the signature": sig, "the encrypted name": name,
		"the openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "the name": "张三",
	} {
		if secret == "" || strings.Contains(dump, secret) || len(secret) > 40 && strings.Contains(dump, secret[:40]) {
			t.Errorf("%s (%q) is in the span: %s", what, secret, dump)
		}
	}
}

// Install refuses a second step of the same name.
func TestInstallTwice(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c, _ := traced(t, srv, nil)
	if err := wechatpayotel.Install(c); !errors.Is(err, middleware.ErrStepExists) {
		t.Fatal(err)
	}
	names := c.Stack(wechatpay.APIv3).Names()
	if names[0] != wechatpayotel.StepName || names[1] != "retry" {
		t.Fatalf("stack %v", names)
	}
}
