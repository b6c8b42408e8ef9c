package wechatpaytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Sending is a notification the server sends on its own, in the
// background: the payment notification of Pay, the refund notification of
// a refund that succeeded. It is delivered on WeChat Pay's retry schedule
// (RetrySchedule, sped up by WithNotifyOptions) until the receiver
// acknowledges it, the schedule ends, or the server is closed.
type Sending struct {
	// URL is where it is sent: the order's or refund's notify_url.
	URL string
	// Webhook names the notification, as Notification.Webhook does.
	Webhook string

	mu       sync.Mutex
	attempts []Attempt
	delivery *Delivery
	err      error
	first    chan struct{} // closed after a first attempt that failed, or when done
	done     chan struct{}
	once     sync.Once
}

func newSending(url, webhook string) *Sending {
	return &Sending{URL: url, Webhook: webhook, first: make(chan struct{}), done: make(chan struct{})}
}

// Done is closed when the sending ends: acknowledged, given up, or
// stopped by Close.
func (p *Sending) Done() <-chan struct{} { return p.done }

// Attempts returns the attempts made so far, oldest first.
func (p *Sending) Attempts() []Attempt {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]Attempt(nil), p.attempts...)
}

// Wait waits until the sending ends or ctx does, and returns what Notify
// would: the Delivery, and ErrNotDelivered once the schedule is exhausted,
// ErrNoNotifyURL when there was nowhere to send it, http.ErrServerClosed
// when the server was closed first.
func (p *Sending) Wait(ctx context.Context) (*Delivery, error) {
	select {
	case <-p.done:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.delivery, p.err
}

// firstAttempt waits for the first attempt (or the end), for the admin
// routes, which answer once the receiver has answered once.
func (p *Sending) firstAttempt(ctx context.Context) {
	select {
	case <-p.first:
	case <-ctx.Done():
	}
}

func (p *Sending) observe(a Attempt) {
	p.mu.Lock()
	p.attempts = append(p.attempts, a)
	p.mu.Unlock()
	if a.Err != nil {
		// More attempts to come; an acknowledged one ends the sending,
		// and finish reports it as done.
		p.once.Do(func() { close(p.first) })
	}
}

func (p *Sending) finish(d *Delivery, err error) {
	p.mu.Lock()
	p.delivery, p.err = d, err
	if d != nil {
		p.attempts = append([]Attempt(nil), d.Attempts...)
	}
	p.mu.Unlock()
	close(p.done) // before first: who waited for first then sees it done
	p.once.Do(func() { close(p.first) })
}

// send delivers n to url in the background, with the server's
// WithNotifyOptions.
func (s *Server) send(url string, n Notification) *Sending {
	p := newSending(url, n.Webhook)
	if url == "" {
		p.finish(nil, ErrNoNotifyURL)
		return p
	}
	started := s.background(func(ctx context.Context) {
		opts := append([]NotifyOption{WithHTTPClient(s.bg.client)}, s.notifyOpts...)
		d, err := s.notify(ctx, url, n, opts, p.observe)
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", http.ErrServerClosed, err)
		}
		p.finish(d, err)
	})
	if !started {
		p.finish(nil, http.ErrServerClosed)
	}
	return p
}

// background runs f in a goroutine that Close cancels (through ctx) and
// waits for; false when the server is closed already.
func (s *Server) background(f func(ctx context.Context)) bool {
	s.bg.mu.Lock()
	defer s.bg.mu.Unlock()
	if s.bg.closed {
		return false
	}
	s.bg.wg.Add(1)
	go func() {
		defer s.bg.wg.Done()
		f(s.bg.ctx)
	}()
	return true
}

// Pay pays an unpaid order, as its payer would: the order turns SUCCESS
// with a transaction_id (and a payer, for the Native, H5 and APP orders
// that named none), and its payment notification (TRANSACTION.SUCCESS for
// an APIv3 order; the signed XML of v2/transaction-success for an APIv2
// one) starts on its way to the order's notify_url. The returned Sending
// tells how that goes; Pay does not wait for it.
//
// An order that is not there, closed or paid already is an error:
// ErrOrderNotFound, ErrOrderClosed, ErrOrderPaid. Out_trade_no names one
// order of the merchant, placed directly or as a service provider (服务商).
func (s *Server) Pay(outTradeNo string) (*Sending, error) {
	s.st.mu.Lock()
	o, ok := s.st.orders[outTradeNo]
	if !ok {
		s.st.mu.Unlock()
		return nil, fmt.Errorf("%w: out_trade_no %q", ErrOrderNotFound, outTradeNo)
	}
	switch o.TradeState {
	case stateClosed:
		s.st.mu.Unlock()
		return nil, fmt.Errorf("%w: out_trade_no %q", ErrOrderClosed, outTradeNo)
	case stateSuccess, stateRefund:
		s.st.mu.Unlock()
		return nil, fmt.Errorf("%w: out_trade_no %q", ErrOrderPaid, outTradeNo)
	}
	now := s.now()
	before := *o
	err := s.st.commit(func() func() {
		o.TradeState, o.TransactionID, o.SuccessTime = stateSuccess, newTransactionID(now), now
		if o.OpenID == "" && o.SubOpenID == "" {
			o.OpenID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o" // the sandbox's payer
		}
		s.st.byTxn[o.TransactionID] = o
		return func() { delete(s.st.byTxn, o.TransactionID); *o = before }
	})
	if err != nil {
		s.st.mu.Unlock()
		return nil, fmt.Errorf("wechatpaytest: saving the state: %w", err)
	}
	n := paymentNotification(o)
	url := o.NotifyURL
	s.st.mu.Unlock()
	return s.send(url, n), nil
}

// paymentNotification is an order's payment notification, with the
// order's fields as queries give them.
func paymentNotification(o *Order) Notification {
	if o.Protocol == "v2" {
		f := v2Transaction(o)
		delete(f, "trade_state")
		delete(f, "trade_state_desc")
		f["return_code"], f["result_code"], f["nonce_str"] = "SUCCESS", "SUCCESS", randomString(32)
		if o.signType == "HMAC-SHA256" {
			f["sign_type"] = o.signType
		}
		return Notification{Webhook: "v2/transaction-success", Fields: f, exact: true}
	}
	plain, _ := json.Marshal(v3Transaction(o))
	return Notification{
		Webhook: "v3/TRANSACTION.SUCCESS", Resource: json.RawMessage(plain),
		envelope: map[string]any{
			"event_type": "TRANSACTION.SUCCESS", "resource_type": "encrypt-resource", "summary": "支付成功",
			"original_type": "transaction", "associated_data": "transaction",
		},
	}
}

// refundNotification is a refund's notification: REFUND.SUCCESS for an
// APIv3 refund, v2/refund-processed (req_info encrypted) for an APIv2 one.
func refundNotification(rf *Refund, o *Order) Notification {
	if rf.Protocol == "v2" {
		f := v2Owner(o)
		f["return_code"], f["nonce_str"] = "SUCCESS", randomString(32)
		info := map[string]string{
			"out_refund_no": rf.OutRefundNo, "out_trade_no": rf.OutTradeNo, "refund_id": rf.RefundID, "transaction_id": rf.TransactionID,
			"refund_account": "REFUND_SOURCE_UNSETTLED_FUNDS", "refund_recv_accout": "支付用户的零钱", "refund_request_source": "API",
			"refund_status": rf.Status, "refund_fee": strconv.FormatInt(rf.Amount, 10), "settlement_refund_fee": strconv.FormatInt(rf.Amount, 10),
			"total_fee": strconv.FormatInt(rf.Total, 10), "settlement_total_fee": strconv.FormatInt(rf.Total, 10),
			"cash_refund_fee": strconv.FormatInt(rf.Amount, 10), "success_time": rf.SuccessTime.In(chinaTime).Format(time.DateTime),
		}
		return Notification{Webhook: "v2/refund-processed", Fields: f, ReqInfo: info, exact: true}
	}
	res := map[string]any{
		"out_trade_no": rf.OutTradeNo, "transaction_id": rf.TransactionID, "out_refund_no": rf.OutRefundNo, "refund_id": rf.RefundID,
		"refund_status": rf.Status, "success_time": rf.SuccessTime.In(chinaTime).Format(time.RFC3339),
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": rf.Total, "refund": rf.Amount, "payer_total": rf.Total, "payer_refund": rf.Amount},
	}
	if o.Partner() {
		res["sp_mchid"], res["sub_mchid"] = o.MchID, o.SubMchID
	} else {
		res["mchid"] = o.MchID
	}
	plain, _ := json.Marshal(res)
	return Notification{
		Webhook: "v3/REFUND.SUCCESS", Resource: json.RawMessage(plain),
		envelope: map[string]any{
			"event_type": "REFUND.SUCCESS", "resource_type": "encrypt-resource", "summary": "退款成功",
			"original_type": "refund", "associated_data": "refund",
		},
	}
}
