package wechatpay

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/wechatpay-go/wechatpay/middleware"
)

// This file writes the record of each call to Config.Logger: one record
// per call, after it ends, with what an operator needs to find it again
// (the path template, the status, WeChat Pay's Request-ID) and, at the
// debug level only, its bodies with their sensitive values redacted
// (logredact.go). Headers are never logged: they carry the Authorization
// header and WeChat Pay's signature.

// ErrorClass names the kind of a call's error in a few words, for logs,
// metrics and traces (the error.type of OpenTelemetry): "" for nil;
// "canceled" and "timeout" when the context ended; the status code ("400",
// "429", "500"…) of an *APIError; "connect" for a *TransportError whose
// request was not sent, "transport" for one that may have been;
// "merchant_cert" for ErrMerchantCertRejected; "verify" (*VerifyError),
// "v2_fail" (*V2Error), "sign" (*SignError), "option" (*OptionError),
// "config" (*ConfigError), "not_configured" (ErrAPIv3NotConfigured,
// ErrAPIv2NotConfigured), "media" (*MediaError), "digest" (*DigestError);
// "_OTHER" for anything else. A *RetryError is named by its last
// attempt's error.
func ErrorClass(err error) string {
	if err == nil {
		return ""
	}
	if re, ok := errors.AsType[*RetryError](err); ok && re.Interrupted == nil && len(re.Errs) > 0 {
		err = re.Errs[len(re.Errs)-1]
	}
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, ErrMerchantCertRejected):
		return "merchant_cert"
	case errors.Is(err, ErrAPIv3NotConfigured), errors.Is(err, ErrAPIv2NotConfigured):
		return "not_configured"
	}
	if e, ok := errors.AsType[*APIError](err); ok {
		return strconv.Itoa(e.StatusCode)
	}
	if e, ok := errors.AsType[*TransportError](err); ok {
		if !e.Sent {
			return "connect"
		}
		return "transport"
	}
	for _, c := range []struct {
		class string
		is    func(error) bool
	}{
		{"verify", is[*VerifyError]}, {"v2_fail", is[*V2Error]}, {"sign", is[*SignError]},
		{"option", is[*OptionError]}, {"config", is[*ConfigError]}, {"media", is[*MediaError]},
		{"digest", is[*DigestError]},
	} {
		if c.is(err) {
			return c.class
		}
	}
	return "_OTHER"
}

func is[T error](err error) bool {
	_, ok := errors.AsType[T](err)
	return ok
}

// callRecord is what the record of one call says.
type callRecord struct {
	method, template string
	req              *middleware.Request // nil when the request could not be built
	resp             *Response
	err              error
	start            time.Time
	attempts         int
	sensitive        []string // values the call's SensitiveEncrypter made
}

// logCall writes the record of a call to the client's Logger.
func (c *Client) logCall(ctx context.Context, r callRecord) {
	level := slog.LevelInfo
	if r.err != nil {
		level = slog.LevelError
		if is[*V2Error](r.err) {
			level = slog.LevelWarn
		} else if e, ok := errors.AsType[*APIError](r.err); ok && e.StatusCode < 500 && e.StatusCode != 429 {
			level = slog.LevelWarn
		}
	}
	debug := c.logger.Enabled(ctx, slog.LevelDebug)
	if !debug && !c.logger.Enabled(ctx, level) {
		return
	}
	answer := r.resp
	if answer == nil {
		answer = answerOf(r.err)
	}
	attrs := make([]slog.Attr, 0, 10)
	attrs = append(attrs,
		slog.String("method", r.method),
		slog.String("path", r.template),
	)
	if answer != nil {
		attrs = append(attrs, slog.Int("status", answer.StatusCode), slog.String("request_id", answer.RequestID()))
	}
	attrs = append(attrs,
		slog.Duration("duration", time.Since(r.start)),
		slog.Int("attempts", r.attempts),
	)
	if r.err != nil {
		attrs = append(attrs, slog.String("error", ErrorClass(r.err)), slog.String("error_message", newRedactor(r.sensitive).text(r.err.Error())))
	}
	if debug {
		red := newRedactor(r.sensitive)
		if r.req != nil {
			attrs = append(attrs, slog.String("request_body", red.request(r.req)))
		}
		if answer != nil {
			attrs = append(attrs, slog.String("response_body", red.response(answer)))
		}
	}
	c.logger.LogAttrs(ctx, level, "wechatpay call", attrs...)
}

// answerOf returns the answer an error holds, if any.
func answerOf(err error) *Response {
	if e, ok := errors.AsType[*APIError](err); ok {
		return e.Response
	}
	if e, ok := errors.AsType[*V2Error](err); ok {
		return e.Response
	}
	if e, ok := errors.AsType[*VerifyError](err); ok {
		return e.Response
	}
	return nil
}
