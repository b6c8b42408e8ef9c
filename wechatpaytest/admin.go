package wechatpaytest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// The sandbox's own routes, under /_sandbox/, drive a running server from
// another process (the wxpay command line): pay an order, complete a
// refund, rotate the platform certificate, send a notification. No WeChat
// Pay path starts with an underscore, and like WeChat Pay's they need the
// merchant's APIv3 signature (the client of the server's Config makes it)
// and are answered signed, so a client calls them as it calls WeChat Pay:
//
//	client.Chain("_sandbox/orders/{out_trade_no}/pay").Post(wechatpay.M{"out_trade_no": no})
//
// See AdminRoutes for the list.

// AdminRoutes lists the sandbox's own routes, as "METHOD template" for
// the client's Chain.
var AdminRoutes = []string{
	"GET _sandbox/orders",
	"GET _sandbox/orders/{out_trade_no}",
	"POST _sandbox/orders/{out_trade_no}/pay",
	"GET _sandbox/refunds/{out_refund_no}",
	"POST _sandbox/refunds/{out_refund_no}/complete",
	"POST _sandbox/certificates/rotate",
	"POST _sandbox/notify",
}

func (s *Server) adminRoutes() []*route {
	handlers := map[string]HandlerFunc{
		"GET _sandbox/orders":                            s.adminOrders,
		"GET _sandbox/orders/{out_trade_no}":             s.adminOrder,
		"POST _sandbox/orders/{out_trade_no}/pay":        s.adminPay,
		"GET _sandbox/refunds/{out_refund_no}":           s.adminRefund,
		"POST _sandbox/refunds/{out_refund_no}/complete": s.adminCompleteRefund,
		"POST _sandbox/certificates/rotate":              s.adminRotate,
		"POST _sandbox/notify":                           s.adminNotify,
	}
	var out []*route
	for _, name := range AdminRoutes {
		method, template := splitRoute(name)
		rt := &route{method: method, template: template, handler: handlers[name]}
		rt.protocol, rt.segments = wireSegments(template, "")
		out = append(out, rt)
	}
	return out
}

// sendingJSON is a Sending as the admin routes answer it.
type sendingJSON struct {
	URL       string        `json:"url"`
	Webhook   string        `json:"webhook"`
	Attempts  []attemptJSON `json:"attempts"`
	Done      bool          `json:"done"`
	Delivered bool          `json:"delivered"`
	Error     string        `json:"error,omitempty"`
	Sent      *sentJSON     `json:"sent,omitempty"`
}

type attemptJSON struct {
	N      int       `json:"n"`
	At     time.Time `json:"at"`
	Status int       `json:"status"`
	Body   string    `json:"body,omitempty"`
	Error  string    `json:"error,omitempty"`
}

// sentJSON is the notification as it was sent.
type sentJSON struct {
	Header    http.Header `json:"header"`
	Body      string      `json:"body"`
	Plaintext string      `json:"plaintext,omitempty"`
}

func attemptsJSON(as []Attempt) []attemptJSON {
	out := []attemptJSON{}
	for _, a := range as {
		j := attemptJSON{N: a.N, At: a.At, Status: a.Status, Body: string(a.Body)}
		if a.Err != nil {
			j.Error = a.Err.Error()
		}
		out = append(out, j)
	}
	return out
}

// describe reports a Sending after its first attempt, or its end.
func describe(ctx context.Context, p *Sending) sendingJSON {
	p.firstAttempt(ctx)
	j := sendingJSON{URL: p.URL, Webhook: p.Webhook, Attempts: attemptsJSON(p.Attempts())}
	select {
	case <-p.Done():
		j.Done = true
		d, err := p.Wait(ctx)
		j.Delivered = d != nil && d.Delivered
		if err != nil {
			j.Error = err.Error()
		}
	default:
	}
	return j
}

func (s *Server) adminOrders(r *Request) *Answer {
	return JSON(http.StatusOK, map[string]any{"data": s.Orders()})
}

func (s *Server) adminOrder(r *Request) *Answer {
	o, ok := s.Order(r.Vars["out_trade_no"])
	if !ok {
		return ErrorJSON(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	}
	return JSON(http.StatusOK, map[string]any{"order": o, "refunds": s.Refunds(o.OutTradeNo)})
}

// adminPay pays an order (Pay) and answers once its notification was sent
// once: {"order": …, "notification": …}; the retries go on.
func (s *Server) adminPay(r *Request) *Answer {
	p, err := s.Pay(r.Vars["out_trade_no"])
	switch {
	case errors.Is(err, ErrOrderNotFound):
		return ErrorJSON(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
	case errors.Is(err, ErrOrderClosed):
		return ErrorJSON(http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
	case errors.Is(err, ErrOrderPaid):
		return ErrorJSON(http.StatusBadRequest, "ORDERPAID", "该订单已支付")
	case err != nil:
		return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
	}
	o, _ := s.Order(r.Vars["out_trade_no"])
	return JSON(http.StatusOK, map[string]any{"order": o, "notification": describe(r.Context(), p)})
}

func (s *Server) adminRefund(r *Request) *Answer {
	rf, ok := s.Refund(r.Vars["out_refund_no"])
	if !ok {
		return ErrorJSON(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
	}
	return JSON(http.StatusOK, map[string]any{"refund": rf})
}

// adminCompleteRefund completes a refund (CompleteRefund) and answers as
// adminPay does: {"refund": …, "notification": …}.
func (s *Server) adminCompleteRefund(r *Request) *Answer {
	p, err := s.CompleteRefund(r.Vars["out_refund_no"])
	switch {
	case errors.Is(err, ErrRefundNotFound):
		return ErrorJSON(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
	case errors.Is(err, ErrRefundDone):
		return ErrorJSON(http.StatusBadRequest, "INVALID_REQUEST", "退款已成功 (the refund has succeeded already)")
	case err != nil:
		return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
	}
	rf, _ := s.Refund(r.Vars["out_refund_no"])
	return JSON(http.StatusOK, map[string]any{"refund": rf, "notification": describe(r.Context(), p)})
}

// adminRotate rotates the platform certificate and answers the valid
// ones, the new last, with their PEM: {"serial_no": new, "certificates":
// […]}.
func (s *Server) adminRotate(r *Request) *Answer {
	old := s.platform()
	id, err := s.RotatePlatformCertificate()
	if err != nil {
		return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", err.Error())
	}
	var certs []map[string]any
	for _, p := range s.Platforms() {
		certs = append(certs, map[string]any{
			"serial_no": p.Serial, "effective_time": p.Cert.NotBefore.In(chinaTime).Format(time.RFC3339),
			"expire_time": p.Cert.NotAfter.In(chinaTime).Format(time.RFC3339), "certificate": string(p.CertPEM()),
		})
	}
	// Signed with the certificate the caller trusts, not yet the new one
	// the answer brings.
	a := JSON(http.StatusOK, map[string]any{"serial_no": id.Serial, "certificates": certs})
	a.signer = old
	return a
}

// adminNotify sends a notification of the catalog (Notify):
//
//	{"webhook": "TRANSACTION.SUCCESS" or "v2/refund-processed", "url": "…",
//	 "event_type": …, "resource": {…}, "fields": {…}, "req_info": {…},
//	 "set": {"amount.total": 1}, "retry": false}
//
// Without retry it makes one attempt and answers how it went; with retry
// it goes on on WeChat Pay's schedule in the background, and answers after
// the first attempt.
func (s *Server) adminNotify(r *Request) *Answer {
	var q struct {
		Webhook   string            `json:"webhook"`
		URL       string            `json:"url"`
		EventType string            `json:"event_type"`
		Resource  json.RawMessage   `json:"resource"`
		Fields    map[string]string `json:"fields"`
		ReqInfo   map[string]string `json:"req_info"`
		Set       map[string]any    `json:"set"`
		Retry     bool              `json:"retry"`
	}
	if err := json.Unmarshal(r.Body, &q); err != nil {
		return paramError("/", "body", "请求体不是合法的JSON (the body is not JSON): "+err.Error())
	}
	if _, err := webhook(q.Webhook); err != nil {
		return paramError("/webhook", "body", err.Error())
	}
	if q.URL == "" {
		return paramError("/url", "body", "缺少必填参数 url (url is required)")
	}
	n := Notification{Webhook: q.Webhook, EventType: q.EventType, Fields: q.Fields, ReqInfo: q.ReqInfo, Set: q.Set}
	if len(q.Resource) > 0 && string(q.Resource) != "null" {
		n.Resource = q.Resource
	}
	if q.Retry {
		p := s.send(q.URL, n)
		return JSON(http.StatusOK, map[string]any{"notification": describe(r.Context(), p)})
	}
	opts := append([]NotifyOption{WithHTTPClient(s.bg.client)}, s.notifyOpts...)
	d, err := s.notify(r.Context(), q.URL, n, append(opts, WithSchedule()), nil)
	if d == nil && err != nil {
		return paramError("/", "body", err.Error())
	}
	j := sendingJSON{URL: q.URL, Webhook: q.Webhook, Attempts: attemptsJSON(d.Attempts), Done: true, Delivered: d.Delivered,
		Sent: &sentJSON{Header: d.Header, Body: string(d.Body), Plaintext: string(d.Plaintext)}}
	if err != nil {
		j.Error = err.Error()
	}
	return JSON(http.StatusOK, map[string]any{"notification": j})
}
