package wechatpay

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
)

// NotificationFunc handles a verified, decrypted APIv3 notification. A nil
// error answers WeChat Pay that it was received; an error answers a
// failure, and WeChat Pay sends it again later.
type NotificationFunc func(ctx context.Context, n *Notification) error

// V2NotificationFunc handles a verified APIv2 notification, as
// NotificationFunc does.
type V2NotificationFunc func(ctx context.Context, n *V2Notification) error

// answer is what a handler sends back.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// Handler returns an http.Handler for APIv3 notifications: it reads the
// body once (up to MaxBodySize), verifies and decrypts it
// (ParseNotification), calls fn, and answers as WeChat Pay expects: 204 on
// success; 4xx or 5xx with {"code":"FAIL","message":…} otherwise, so that
// WeChat Pay retries. With ExactlyOnce, fn runs once per notification
// across the receivers sharing its store (see ExactlyOnce); with a
// ReplayGuard, a notification handled before is answered 204 without
// calling fn. For a Notifier of a client in certificate mode it verifies
// as ParseNotificationContext does.
func (nf *Notifier) Handler(fn NotificationFunc) http.Handler {
	return nf.httpHandler(v3Fail, func(ctx context.Context, method string, h http.Header, body []byte, tooBig bool) answer {
		return nf.serveV3(ctx, method, h, body, tooBig, fn)
	})
}

// V2Handler returns an http.Handler for APIv2 notifications, answering
// with V2Answer.
func (nf *Notifier) V2Handler(fn V2NotificationFunc) http.Handler {
	return nf.httpHandler(v2Fail, func(ctx context.Context, method string, h http.Header, body []byte, tooBig bool) answer {
		return nf.serveV2(ctx, method, h, body, tooBig, fn)
	})
}

// httpHandler reads a request's body within MaxBodySize and ReadTimeout
// and answers with what serve makes of it.
func (nf *Notifier) httpHandler(fail func(int, string) answer, serve func(ctx context.Context, method string, h http.Header, body []byte, tooBig bool) answer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, tooBig, err := nf.readBody(w, r)
		var a answer
		switch {
		case err == nil:
			a = serve(r.Context(), r.Method, r.Header, body, tooBig)
		case readTimedOut(err):
			a = fail(http.StatusRequestTimeout, "body not received in time")
		default:
			a = fail(http.StatusBadRequest, "cannot read the body")
		}
		writeAnswer(w, a)
	})
}

// readBody reads the body of r within MaxBodySize and ReadTimeout. The
// time is bounded by a read deadline on the connection, where the server
// lets the handler set one (net/http does, for HTTP/1 and HTTP/2); where
// it does not, by refusing to read on once the time is up, which stops a
// body trickling in but not a client that sends nothing at all: the
// server's own ReadTimeout must bound that.
func (nf *Notifier) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool, error) {
	timeout := nf.readTimeout()
	if timeout <= 0 {
		return readNotificationBody(r.Body, nf.maxBody())
	}
	deadline := time.Now().Add(timeout)
	rc := http.NewResponseController(w)
	armed := rc.SetReadDeadline(deadline) == nil
	body, tooBig, err := readNotificationBody(&deadlineReader{r: r.Body, deadline: deadline}, nf.maxBody())
	if err != nil || tooBig {
		// Left unread, the rest of the body would be read by net/http
		// before it answers, at the client's pace: close the connection
		// after the answer instead. The deadline stays, and bounds what
		// the server still reads.
		w.Header().Set("Connection", "close")
		return nil, tooBig, err
	}
	if armed {
		// Lifted once the body is read, so that it does not cut what the
		// server reads next on the connection.
		rc.SetReadDeadline(time.Time{})
	}
	return body, false, nil
}

// errReadTimeout ends a body still arriving after the read timeout.
var errReadTimeout = fmt.Errorf("wechatpay: notification body not read in time: %w", os.ErrDeadlineExceeded)

// deadlineReader fails the reads that start after deadline.
type deadlineReader struct {
	r        io.Reader
	deadline time.Time
}

func (d *deadlineReader) Read(p []byte) (int, error) {
	if !time.Now().Before(d.deadline) {
		return 0, errReadTimeout
	}
	return d.r.Read(p)
}

// readTimedOut reports a read cut by a deadline.
func readTimedOut(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func (nf *Notifier) readTimeout() time.Duration {
	if nf.ReadTimeout != 0 {
		return nf.ReadTimeout
	}
	return DefaultNotificationReadTimeout
}

// FastHTTPHandler is Handler for a fasthttp server.
func (nf *Notifier) FastHTTPHandler(fn NotificationFunc) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		body := ctx.PostBody()
		a := nf.serveV3(ctx, string(ctx.Method()), fastHeader(ctx), body, int64(len(body)) > nf.maxBody(), fn)
		writeFastAnswer(ctx, a)
	}
}

// FastHTTPV2Handler is V2Handler for a fasthttp server.
func (nf *Notifier) FastHTTPV2Handler(fn V2NotificationFunc) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		body := ctx.PostBody()
		a := nf.serveV2(ctx, string(ctx.Method()), fastHeader(ctx), body, int64(len(body)) > nf.maxBody(), fn)
		writeFastAnswer(ctx, a)
	}
}

func (nf *Notifier) serveV3(ctx context.Context, method string, h http.Header, body []byte, tooBig bool, fn NotificationFunc) answer {
	switch {
	case method != http.MethodPost:
		return v3Fail(http.StatusMethodNotAllowed, "notifications are POSTed")
	case tooBig:
		return v3Fail(http.StatusRequestEntityTooLarge, "body too large")
	}
	n, err := nf.ParseNotificationContext(ctx, h, body)
	if err != nil {
		return v3Fail(statusFor(err), failMessage(err))
	}
	id := ""
	if n.ID != "" {
		id = replayID("v3:id:", []byte(n.ID))
	}
	ok := func() answer {
		if n.reply == nil {
			return answer{status: http.StatusNoContent}
		}
		return nf.signedReply(n.reply)
	}
	if nf.ExactlyOnce != nil {
		return nf.ExactlyOnce.serve(ctx, id, v3Fail, answer{status: http.StatusNoContent}, func() (answer, bool, error) {
			if err := fn(ctx, n); err != nil {
				return answer{}, false, err
			}
			return ok(), n.reply != nil, nil
		})
	}
	if done, a := nf.replayed(ctx, id, answer{status: http.StatusNoContent}); done {
		return a
	}
	if err := fn(ctx, n); err != nil {
		return v3Fail(http.StatusInternalServerError, "processing failed")
	}
	nf.markHandled(ctx, id)
	return ok()
}

func (nf *Notifier) serveV2(ctx context.Context, method string, h http.Header, body []byte, tooBig bool, fn V2NotificationFunc) answer {
	switch {
	case method != http.MethodPost:
		return v2Fail(http.StatusMethodNotAllowed, "notifications are POSTed")
	case tooBig:
		return v2Fail(http.StatusRequestEntityTooLarge, "body too large")
	}
	n, err := nf.ParseV2Notification(h, body)
	if err != nil {
		return v2Fail(statusFor(err), failMessage(err))
	}
	ok := answer{status: http.StatusOK, header: http.Header{"Content-Type": {"text/xml; charset=utf-8"}}, body: V2Answer(true, "")}
	id := v2NotificationID(n)
	if nf.ExactlyOnce != nil {
		return nf.ExactlyOnce.serve(ctx, id, v2Fail, ok, func() (answer, bool, error) {
			if err := fn(ctx, n); err != nil {
				return answer{}, false, err
			}
			return ok, false, nil
		})
	}
	if done, a := nf.replayed(ctx, id, ok); done {
		return a
	}
	if err := fn(ctx, n); err != nil {
		return v2Fail(http.StatusInternalServerError, "processing failed")
	}
	nf.markHandled(ctx, id)
	return ok
}

// v2NotificationID identifies an APIv2 notification for the ReplayGuard by
// what authenticates it, never by what anyone could write: the decrypted
// req_info of a refund notification, else the signed event_id of an event
// notification, else the signed fields (the non-empty ones but the sign).
func v2NotificationID(n *V2Notification) string {
	if n.ReqInfo != nil {
		b, err := json.Marshal(n.ReqInfo) // map keys sorted: one form for one content
		if err != nil || len(n.ReqInfo) == 0 {
			return ""
		}
		return replayID("v2:req_info:", b)
	}
	if id := n.Field("event_id"); id != "" {
		return replayID("v2:event_id:", []byte(id))
	}
	if len(n.Fields) == 0 {
		return ""
	}
	// Exactly what the sign covers: empty fields are not signed, so one
	// added to a captured notification must not make it a new one.
	signed := make(map[string]string, len(n.Fields))
	for k, v := range n.Fields {
		if s, _ := v.(string); s != "" && k != "sign" {
			signed[k] = s
		}
	}
	b, err := json.Marshal(signed) // unambiguous, where k=v&… is not
	if err != nil {
		return ""
	}
	return replayID("v2:signed:", b)
}

// replayID names authenticated data for the ReplayGuard: kind, then the
// hex SHA-256 of data, so that the ID is short whatever data is.
func replayID(kind string, data []byte) string {
	sum := sha256.Sum256(data)
	return kind + hex.EncodeToString(sum[:])
}

func (nf *Notifier) replayed(ctx context.Context, id string, ok answer) (bool, answer) {
	if nf.ReplayGuard == nil || id == "" {
		return false, answer{}
	}
	done, err := nf.ReplayGuard.Handled(ctx, id)
	if err != nil {
		// Without the guard's answer, handle it: the action is idempotent.
		return false, answer{}
	}
	return done, ok
}

func (nf *Notifier) markHandled(ctx context.Context, id string) {
	if nf.ReplayGuard != nil && id != "" {
		nf.ReplayGuard.MarkHandled(ctx, id)
	}
}

// signedReply answers with v as JSON, signed with the merchant key over
// TIMESTAMP\nNONCE\nBODY\n in an Authorization header.
func (nf *Notifier) signedReply(v any) answer {
	body, err := json.Marshal(v)
	if err != nil {
		return v3Fail(http.StatusInternalServerError, "the reply is not JSON")
	}
	if nf.signer == nil || nf.mchid == "" || nf.serial == "" {
		return v3Fail(http.StatusInternalServerError, "no merchant key to sign the reply")
	}
	nonce, ts := formatter.Nonce(), strconv.FormatInt(formatter.Timestamp(), 10)
	sig, err := crypto.Sign(nf.signer, formatter.AppendResponse(nil, ts, nonce, body))
	if err != nil {
		return v3Fail(http.StatusInternalServerError, "cannot sign the reply")
	}
	return answer{status: http.StatusOK, body: body, header: http.Header{
		"Content-Type":  {"application/json"},
		"Authorization": {formatter.Authorization(nf.mchid, nonce, sig, ts, nf.serial)},
	}}
}

func statusFor(err error) int {
	var ve *VerifyError
	switch {
	case errors.As(err, &ve):
		return http.StatusUnauthorized
	case errors.Is(err, ErrNotifierKey), errors.Is(err, ErrNoCertificates):
		return http.StatusInternalServerError
	}
	return http.StatusBadRequest
}

// failMessage says why a notification was refused, without details an
// attacker could use.
func failMessage(err error) string {
	var ve *VerifyError
	switch {
	case errors.As(err, &ve):
		return "signature verification failed"
	case errors.Is(err, ErrNotificationDecrypt):
		return "decryption failed"
	case errors.Is(err, ErrNotifierKey):
		return "receiver not configured"
	case errors.Is(err, ErrNoCertificates):
		return "platform certificates unavailable; retry later"
	}
	return "malformed notification"
}

func v3Fail(status int, msg string) answer {
	body, _ := json.Marshal(map[string]string{"code": "FAIL", "message": msg})
	return answer{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: body}
}

func v2Fail(status int, msg string) answer {
	return answer{status: status, header: http.Header{"Content-Type": {"text/xml; charset=utf-8"}}, body: V2Answer(false, msg)}
}

func (nf *Notifier) maxBody() int64 {
	if nf.MaxBodySize > 0 {
		return nf.MaxBodySize
	}
	return DefaultMaxNotificationSize
}

// readNotificationBody reads up to max bytes and tells whether there was more.
func readNotificationBody(r io.Reader, max int64) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, false, err
	}
	if int64(len(b)) > max {
		return nil, true, nil
	}
	return b, false, nil
}

func writeAnswer(w http.ResponseWriter, a answer) {
	for k, v := range a.header {
		w.Header()[k] = v
	}
	w.WriteHeader(a.status)
	w.Write(a.body)
}

func fastHeader(ctx *fasthttp.RequestCtx) http.Header {
	h := http.Header{}
	for k, v := range ctx.Request.Header.All() {
		h.Add(string(k), string(v))
	}
	return h
}

func writeFastAnswer(ctx *fasthttp.RequestCtx, a answer) {
	for k, vs := range a.header {
		for _, v := range vs {
			ctx.Response.Header.Add(k, v)
		}
	}
	ctx.SetStatusCode(a.status)
	ctx.SetBody(a.body)
}
