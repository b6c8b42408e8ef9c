// Package wechatpayotel traces the calls of a wechatpay.Client with
// OpenTelemetry, so that the core SDK does not depend on it.
//
// Each call makes one client span, named by its method and the endpoint's
// path template as the chain wrote it ("POST v3/pay/transactions/native",
// "GET v3/pay/transactions/id/{transaction_id}"), never by the expanded
// path, whose IDs would make a span name per order. The span carries the
// HTTP semantic conventions' attributes (http.request.method,
// url.template, server.address, server.port, http.response.status_code,
// error.type, http.request.resend_count) and WeChat Pay's Request-ID
// (wechatpay.request_id); each retry of the "retry" step (Config.Retry) is
// an event on it. Nothing of the bodies, headers or query is recorded:
// they hold personal data, signatures and ciphertext.
//
//	if err := wechatpayotel.Install(client); err != nil { … }
//
// The span is the parent of whatever the steps inside it start. No trace
// header is sent to WeChat Pay, which does not read one.
package wechatpayotel

import (
	"context"
	"errors"
	"net"
	"strconv"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// ScopeName is the instrumentation scope of the spans.
const ScopeName = "github.com/wechatpay-go/wechatpay/wechatpayotel"

// StepName is the name Install gives the step in the client's stacks.
const StepName = "otel"

// The attributes this package adds to the semantic conventions'.
const (
	// RequestIDKey is WeChat Pay's Request-ID of the answer, to quote to
	// WeChat Pay's support.
	RequestIDKey = attribute.Key("wechatpay.request_id")
	// AttemptKey, on a "retry" event, is the number of the attempt that
	// failed, from 1.
	AttemptKey = attribute.Key("wechatpay.attempt")
	// RetryWaitKey, on a "retry" event, is the wait before the next
	// attempt, in seconds.
	RetryWaitKey = attribute.Key("wechatpay.retry.wait")
)

// Option configures the step.
type Option func(*config)

type config struct {
	provider trace.TracerProvider
}

// WithTracerProvider makes the spans with tp rather than the global
// provider (otel.GetTracerProvider at each call).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.provider = tp }
}

// Install puts the tracing step outermost in both of the client's stacks
// (APIv3 and APIv2), outside the "retry" step, so that a call is one span
// whatever its attempts. It fails with middleware.ErrStepExists when a
// step named StepName is there already.
func Install(c *wechatpay.Client, opts ...Option) error {
	m := Middleware(opts...)
	var errs []error
	for _, p := range []wechatpay.Protocol{wechatpay.APIv3, wechatpay.APIv2} {
		errs = append(errs, c.Stack(p).Unshift(StepName, m))
	}
	return errors.Join(errs...)
}

// Middleware returns the tracing step, for a stack of one's own: put it
// outside "retry" (Unshift) to have one span per call.
func Middleware(opts ...Option) middleware.Middleware {
	cfg := &config{}
	for _, o := range opts {
		o(cfg)
	}
	newTracer := func(tp trace.TracerProvider) trace.Tracer {
		return tp.Tracer(ScopeName, trace.WithInstrumentationVersion(wechatpay.Version), trace.WithSchemaURL(semconv.SchemaURL))
	}
	var fixed trace.Tracer
	if cfg.provider != nil {
		fixed = newTracer(cfg.provider)
	}
	return func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			tracer := fixed
			if tracer == nil {
				tracer = newTracer(otel.GetTracerProvider()) // it may be set after Install
			}
			ctx, span := tracer.Start(ctx, req.Method+" "+req.Template, trace.WithSpanKind(trace.SpanKindClient),
				trace.WithAttributes(append(target(req), method(req.Method), semconv.URLTemplate(req.Template))...))
			defer span.End()

			retries := 0
			ctx = middleware.OnRetry(ctx, func(ev middleware.RetryEvent) {
				retries++
				attrs := []attribute.KeyValue{AttemptKey.Int(ev.Attempt), semconv.ErrorTypeKey.String(wechatpay.ErrorClass(ev.Err)),
					RetryWaitKey.Float64(ev.Wait.Seconds())}
				if ae, ok := errors.AsType[*wechatpay.APIError](ev.Err); ok {
					attrs = append(attrs, semconv.HTTPResponseStatusCode(ae.StatusCode))
				}
				span.AddEvent("retry", trace.WithAttributes(attrs...))
			})

			resp, err := next.Handle(ctx, req)

			answer := resp
			if answer == nil {
				answer = answerOf(err)
			}
			if answer != nil {
				span.SetAttributes(semconv.HTTPResponseStatusCode(answer.StatusCode))
				if id := answer.RequestID(); id != "" {
					span.SetAttributes(RequestIDKey.String(id))
				}
				if answer.Request != nil {
					span.SetAttributes(target(answer.Request)...) // the backup domain, when the call moved there
				}
			}
			if retries > 0 {
				span.SetAttributes(semconv.HTTPRequestResendCount(retries))
			}
			if err != nil {
				class := wechatpay.ErrorClass(err)
				span.SetAttributes(semconv.ErrorTypeKey.String(class))
				// The class, not the message: an answer's message may
				// quote what the request held.
				span.SetStatus(codes.Error, class)
			}
			return resp, err
		})
	}
}

// target returns server.address and server.port of a request's URL.
func target(req *middleware.Request) []attribute.KeyValue {
	if req.URL == nil {
		return nil
	}
	port, _ := strconv.Atoi(req.URL.Port())
	if port == 0 {
		port = 443
		if req.URL.Scheme == "http" {
			port = 80
		}
	}
	host := req.URL.Hostname()
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
	}
	return []attribute.KeyValue{semconv.ServerAddress(host), semconv.ServerPort(port)}
}

// method returns http.request.method: the method, or _OTHER for one the
// conventions do not know.
func method(m string) attribute.KeyValue {
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		return semconv.HTTPRequestMethodKey.String(m)
	}
	return semconv.HTTPRequestMethodOther
}

// answerOf returns the answer an error holds, if any.
func answerOf(err error) *middleware.Response {
	if e, ok := errors.AsType[*wechatpay.APIError](err); ok {
		return e.Response
	}
	if e, ok := errors.AsType[*wechatpay.V2Error](err); ok {
		return e.Response
	}
	if e, ok := errors.AsType[*wechatpay.VerifyError](err); ok {
		return e.Response
	}
	return nil
}
