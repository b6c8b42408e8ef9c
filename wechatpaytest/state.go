package wechatpaytest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"sync"
	"time"
)

// Order is an order the server was asked to create, through APIv3
// (v3/pay/transactions/…, v3/pay/partner/transactions/…) or APIv2
// (v2/pay/unifiedorder), and what became of it. The server's methods hand
// out copies.
type Order struct {
	// OutTradeNo is the merchant's order number (商户订单号); it names the
	// order, whichever API and merchant placed it.
	OutTradeNo string `json:"out_trade_no"`
	// TransactionID is WeChat Pay's order number (微信支付订单号), given
	// when the order is paid; "" before.
	TransactionID string `json:"transaction_id,omitempty"`
	// Protocol is the API the order was placed with: "v3" or "v2".
	Protocol string `json:"protocol"`
	// Endpoint is the chain it was placed with, e.g.
	// "v3/pay/transactions/native" or "v2/pay/unifiedorder".
	Endpoint string `json:"endpoint"`
	// TradeType is JSAPI (also mini programs), APP, MWEB (H5) or NATIVE.
	TradeType string `json:"trade_type"`
	// TradeState is NOTPAY until paid, then SUCCESS, REFUND once a refund
	// was accepted, or CLOSED.
	TradeState string `json:"trade_state"`
	// AppID and MchID are the merchant's (sp_appid and sp_mchid for an
	// order of a service provider, 服务商).
	AppID string `json:"appid,omitempty"`
	MchID string `json:"mchid"`
	// SubAppID and SubMchID are the sub-merchant's (特约商户), for an order
	// of a service provider; "" for a direct merchant's.
	SubAppID string `json:"sub_appid,omitempty"`
	SubMchID string `json:"sub_mchid,omitempty"`
	// Description is the goods' description (APIv2: body).
	Description string `json:"description"`
	// Attach is the merchant's data, given back as it was.
	Attach string `json:"attach,omitempty"`
	// NotifyURL is where the payment notification goes.
	NotifyURL string `json:"notify_url,omitempty"`
	// Total is the amount in fen (分), in Currency.
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
	// OpenID is the payer's (sp_openid for a service provider's order);
	// SubOpenID the payer's under the sub-merchant's AppID. Orders that
	// do not name the payer (Native, H5, APP) get one when paid.
	OpenID    string `json:"openid,omitempty"`
	SubOpenID string `json:"sub_openid,omitempty"`
	// PrepayID, CodeURL (Native) and H5URL (H5, APIv2 mweb_url) are what
	// placing the order answered.
	PrepayID string `json:"prepay_id"`
	CodeURL  string `json:"code_url,omitempty"`
	H5URL    string `json:"h5_url,omitempty"`
	// Refunded is the sum of the refunds accepted, in fen.
	Refunded int64 `json:"refunded,omitempty"`
	// CreateTime is when the order was placed, SuccessTime when paid.
	CreateTime  time.Time `json:"create_time"`
	SuccessTime time.Time `json:"success_time,omitzero"`

	// digest identifies the request that placed the order: the same
	// request again is answered as the first was.
	digest string
	// signType is the hash of an APIv2 order's sign, for its notification.
	signType string
}

// Partner reports whether the order is a service provider's (服务商).
func (o Order) Partner() bool { return o.SubMchID != "" }

// Refund is a refund the server was asked for, through APIv3
// (v3/refund/domestic/refunds) or APIv2 (v2/secapi/pay/refund).
type Refund struct {
	// OutRefundNo is the merchant's refund number (商户退款单号).
	OutRefundNo string `json:"out_refund_no"`
	// RefundID is WeChat Pay's (微信退款单号).
	RefundID string `json:"refund_id"`
	// OutTradeNo and TransactionID name the refunded order.
	OutTradeNo    string `json:"out_trade_no"`
	TransactionID string `json:"transaction_id"`
	// Protocol is the API the refund was asked with: "v3" or "v2".
	Protocol string `json:"protocol"`
	// SubMchID is the sub-merchant's, for a service provider's order.
	SubMchID string `json:"sub_mchid,omitempty"`
	// Status is PROCESSING, then SUCCESS.
	Status string `json:"status"`
	// Amount is the refund and Total the order's amount, in fen.
	Amount   int64  `json:"refund"`
	Total    int64  `json:"total"`
	Currency string `json:"currency"`
	// Reason is the reason given (APIv2: refund_desc).
	Reason string `json:"reason,omitempty"`
	// NotifyURL is where the refund notification goes; without one none
	// is sent.
	NotifyURL string `json:"notify_url,omitempty"`
	// CreateTime is when the refund was accepted, SuccessTime when it
	// succeeded.
	CreateTime  time.Time `json:"create_time"`
	SuccessTime time.Time `json:"success_time,omitzero"`

	digest string
}

// Errors of the methods that act on the server's state, matched with
// errors.Is; the error names the order or refund.
var (
	// ErrOrderNotFound: no order of that out_trade_no was placed.
	ErrOrderNotFound = errors.New("wechatpaytest: no such order")
	// ErrOrderClosed: the order was closed; it cannot be paid.
	ErrOrderClosed = errors.New("wechatpaytest: the order is closed")
	// ErrOrderPaid: the order was paid already.
	ErrOrderPaid = errors.New("wechatpaytest: the order is paid already")
	// ErrRefundNotFound: no refund of that out_refund_no was asked for.
	ErrRefundNotFound = errors.New("wechatpaytest: no such refund")
	// ErrRefundDone: the refund has succeeded already.
	ErrRefundDone = errors.New("wechatpaytest: the refund has succeeded already")
	// ErrNoNotifyURL: the order or refund gave no notify_url, so no
	// notification is sent.
	ErrNoNotifyURL = errors.New("wechatpaytest: no notify_url to send the notification to")
)

// Trade states (trade_state).
const (
	stateNotPay  = "NOTPAY"
	stateSuccess = "SUCCESS"
	stateRefund  = "REFUND"
	stateClosed  = "CLOSED"
)

// Refund statuses.
const (
	refundProcessing = "PROCESSING"
	refundSuccess    = "SUCCESS"
)

// state is what the server keeps of the payment lifecycle. mu guards it
// all; when the server has a data directory, every change is written to
// it before it is kept (see persist).
type state struct {
	mu        sync.Mutex
	orders    map[string]*Order  // by out_trade_no
	byTxn     map[string]*Order  // by transaction_id
	refunds   map[string]*Refund // by out_refund_no
	byRefund  map[string]*Refund // by refund_id
	bills     map[string][]byte  // bill download token → file; not saved
	billOrder []string           // tokens, oldest first, to forget old ones
	save      func() error       // writes the state; nil in memory
}

func newState() *state {
	return &state{
		orders: map[string]*Order{}, byTxn: map[string]*Order{},
		refunds: map[string]*Refund{}, byRefund: map[string]*Refund{},
		bills: map[string][]byte{},
	}
}

// commit writes the state after apply changed it, and undoes the change
// when it cannot be written: what the server answers is what it keeps.
// The caller holds mu.
func (st *state) commit(apply func() (undo func())) error {
	undo := apply()
	if st.save == nil {
		return nil
	}
	if err := st.save(); err != nil {
		undo()
		return err
	}
	return nil
}

func (st *state) addOrder(o *Order) {
	st.orders[o.OutTradeNo] = o
	if o.TransactionID != "" {
		st.byTxn[o.TransactionID] = o
	}
}

func (st *state) removeOrder(o *Order) {
	delete(st.orders, o.OutTradeNo)
	delete(st.byTxn, o.TransactionID)
}

func (st *state) addRefund(r *Refund) {
	st.refunds[r.OutRefundNo] = r
	st.byRefund[r.RefundID] = r
}

func (st *state) removeRefund(r *Refund) {
	delete(st.refunds, r.OutRefundNo)
	delete(st.byRefund, r.RefundID)
}

// maxBills is how many bill downloads the server remembers.
const maxBills = 256

// addBill remembers a bill file under a new download token.
func (st *state) addBill(file []byte) string {
	token := randomString(48)
	st.bills[token] = file
	st.billOrder = append(st.billOrder, token)
	if len(st.billOrder) > maxBills {
		delete(st.bills, st.billOrder[0])
		st.billOrder = st.billOrder[1:]
	}
	return token
}

// refundsOf returns an order's refunds, oldest first.
func (st *state) refundsOf(o *Order) []*Refund {
	var out []*Refund
	for _, r := range st.refunds {
		if r.OutTradeNo == o.OutTradeNo {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreateTime.Equal(out[j].CreateTime) {
			return out[i].CreateTime.Before(out[j].CreateTime)
		}
		return out[i].OutRefundNo < out[j].OutRefundNo
	})
	return out
}

// Order returns a copy of the order of that out_trade_no.
func (s *Server) Order(outTradeNo string) (Order, bool) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	o, ok := s.st.orders[outTradeNo]
	if !ok {
		return Order{}, false
	}
	return *o, true
}

// Orders returns copies of all the orders, oldest first.
func (s *Server) Orders() []Order {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	out := make([]Order, 0, len(s.st.orders))
	for _, o := range s.st.orders {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].CreateTime.Equal(out[j].CreateTime) {
			return out[i].CreateTime.Before(out[j].CreateTime)
		}
		return out[i].OutTradeNo < out[j].OutTradeNo
	})
	return out
}

// Refund returns a copy of the refund of that out_refund_no.
func (s *Server) Refund(outRefundNo string) (Refund, bool) {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	r, ok := s.st.refunds[outRefundNo]
	if !ok {
		return Refund{}, false
	}
	return *r, true
}

// Refunds returns copies of the refunds of an order, oldest first.
func (s *Server) Refunds(outTradeNo string) []Refund {
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	o, ok := s.st.orders[outTradeNo]
	if !ok {
		return nil
	}
	var out []Refund
	for _, r := range s.st.refundsOf(o) {
		out = append(out, *r)
	}
	return out
}

// digestOf identifies a request's content, to tell a request sent again
// from a different one reusing its number.
func digestOf(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// digits returns n random decimal digits.
func digits(n int) string {
	b := make([]byte, n)
	for i := range b {
		x, _ := rand.Int(rand.Reader, big.NewInt(10))
		b[i] = byte('0' + x.Int64())
	}
	return string(b)
}

// Identifiers in WeChat Pay's forms.

func newTransactionID(now time.Time) string { // 28 digits
	return "4200" + digits(6) + now.In(chinaTime).Format("20060102") + digits(10)
}

func newRefundID(now time.Time) string { // 29 digits
	return "50" + digits(9) + now.In(chinaTime).Format("20060102") + digits(10)
}

func newPrepayID(now time.Time) string {
	return "wx" + now.In(chinaTime).Format("20060102150405") + hex.EncodeToString(randomBytes(13))
}

// yuan writes an amount in fen as yuan: 1 → "0.01".
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}
