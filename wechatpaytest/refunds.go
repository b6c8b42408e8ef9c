package wechatpaytest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// Refund errors WeChat Pay answers, APIv3 and APIv2 alike.
const (
	msgOverRefund    = "申请退款金额超过订单可退金额"
	msgRefundChanged = "请求内容和上次请求不一致，请核实后再试。原因主要是商户号不一致，或者商户订单号/商户退款单号已经被其他请求使用。"
	msgTotalChanged  = "订单金额或退款金额与之前请求不一致，请核实后再试"
)

// refundRequest is a refund asked for, APIv3 or APIv2 alike.
type refundRequest struct {
	protocol                   string
	transactionID, outTradeNo  string
	outRefundNo, subMchID      string
	amount, total              int64
	currency, reason, notifyTo string
	digest                     string
}

// refundOutcome is how the state took a refund request.
type refundOutcome int

const (
	refundAccepted   refundOutcome = iota
	refundAgain                    // the same request again: the first's answer
	refundNoOrder                  // no such order, to the state's knowledge
	refundUnpaid                   // the order is not paid: WeChat Pay knows no transaction
	refundChanged                  // out_refund_no used by a different request
	refundTotalWrong               // the total is not the order's
	refundTooMuch                  // more than what is left to refund
)

// refund applies a refund request to the state; the caller holds st.mu.
// It returns the refund, new or the earlier one of the same request.
func (s *Server) refund(q *refundRequest) (*Refund, *Order, refundOutcome, error) {
	var o *Order
	if q.transactionID != "" {
		o = s.st.byTxn[q.transactionID]
	} else {
		o = s.st.orders[q.outTradeNo]
	}
	if o == nil || o.SubMchID != q.subMchID {
		return nil, nil, refundNoOrder, nil
	}
	if old, ok := s.st.refunds[q.outRefundNo]; ok {
		if old.digest != q.digest || old.OutTradeNo != o.OutTradeNo {
			return nil, o, refundChanged, nil
		}
		return old, o, refundAgain, nil
	}
	switch {
	case o.TransactionID == "":
		return nil, o, refundUnpaid, nil
	case q.total != o.Total:
		return nil, o, refundTotalWrong, nil
	case q.amount > o.Total-o.Refunded:
		return nil, o, refundTooMuch, nil
	}
	now := s.now()
	rf := &Refund{
		OutRefundNo: q.outRefundNo, RefundID: newRefundID(now), OutTradeNo: o.OutTradeNo, TransactionID: o.TransactionID,
		Protocol: q.protocol, SubMchID: o.SubMchID, Status: refundProcessing, Amount: q.amount, Total: o.Total,
		Currency: orDefault(q.currency, o.Currency), Reason: q.reason, NotifyURL: q.notifyTo, CreateTime: now, digest: q.digest,
	}
	before := *o
	err := s.st.commit(func() func() {
		s.st.addRefund(rf)
		o.Refunded += rf.Amount
		o.TradeState = stateRefund
		return func() { s.st.removeRefund(rf); *o = before }
	})
	if err != nil {
		return nil, o, refundAccepted, err
	}
	s.scheduleRefund(rf.OutRefundNo)
	return rf, o, refundAccepted, nil
}

// scheduleRefund makes a refund succeed after the server's refund delay
// (WithRefundDelay), unless CompleteRefund comes first.
func (s *Server) scheduleRefund(outRefundNo string) {
	if s.refundDelay < 0 {
		return
	}
	s.bg.mu.Lock()
	defer s.bg.mu.Unlock()
	if s.bg.closed {
		return
	}
	s.bg.timers[outRefundNo] = time.AfterFunc(s.refundDelay, func() {
		s.background(func(context.Context) { s.CompleteRefund(outRefundNo) })
	})
}

// CompleteRefund makes a PROCESSING refund succeed now, as WeChat Pay
// does after a while (WithRefundDelay), and starts its refund notification
// on its way to the refund's notify_url (REFUND.SUCCESS for an APIv3
// refund; v2/refund-processed, req_info encrypted, for an APIv2 one). A
// refund asked without a notify_url gets no notification: the Sending ends
// with ErrNoNotifyURL.
//
// A refund that is not there, or has succeeded already, is an error:
// ErrRefundNotFound, ErrRefundDone.
func (s *Server) CompleteRefund(outRefundNo string) (*Sending, error) {
	s.bg.mu.Lock()
	if t := s.bg.timers[outRefundNo]; t != nil {
		t.Stop()
		delete(s.bg.timers, outRefundNo)
	}
	s.bg.mu.Unlock()

	s.st.mu.Lock()
	rf, ok := s.st.refunds[outRefundNo]
	if !ok {
		s.st.mu.Unlock()
		return nil, fmt.Errorf("%w: out_refund_no %q", ErrRefundNotFound, outRefundNo)
	}
	if rf.Status == refundSuccess {
		s.st.mu.Unlock()
		return nil, fmt.Errorf("%w: out_refund_no %q", ErrRefundDone, outRefundNo)
	}
	now := s.now()
	err := s.st.commit(func() func() {
		rf.Status, rf.SuccessTime = refundSuccess, now
		return func() { rf.Status, rf.SuccessTime = refundProcessing, time.Time{} }
	})
	if err != nil {
		s.st.mu.Unlock()
		return nil, fmt.Errorf("wechatpaytest: saving the state: %w", err)
	}
	n := refundNotification(rf, s.st.orders[rf.OutTradeNo])
	url := rf.NotifyURL
	s.st.mu.Unlock()
	return s.send(url, n), nil
}

// createV3Refund answers v3/refund/domestic/refunds: a refund of a paid
// order is accepted PROCESSING. More than what is left of the order gets
// 400 INVALID_REQUEST, as does an out_refund_no reused for another
// refund; an order not paid (or not there) gets 404 RESOURCE_NOT_EXISTS.
func (s *Server) createV3Refund(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	var body map[string]any
	if err := r.DecodeJSON(&body); err != nil {
		return paramError("/", "body", "请求体不是合法的JSON (the body is not JSON): "+err.Error())
	}
	m := jsonObject(body)
	q := &refundRequest{
		protocol: "v3", transactionID: m.str("transaction_id"), outTradeNo: m.str("out_trade_no"),
		outRefundNo: m.str("out_refund_no"), subMchID: m.str("sub_mchid"), currency: m.str("amount.currency"),
		reason: m.str("reason"), notifyTo: m.str("notify_url"),
	}
	if q.transactionID == "" && q.outTradeNo == "" {
		return paramError("/out_trade_no", "body", "transaction_id和out_trade_no必须二选一 (transaction_id or out_trade_no is required)")
	}
	var ok1, ok2 bool
	q.amount, ok1 = m.int("amount.refund")
	q.total, ok2 = m.int("amount.total")
	if !ok1 || !ok2 || q.amount <= 0 {
		return paramError("/amount/refund", "body", "退款金额必须为正整数，单位为分 (amount.refund and amount.total are positive numbers of fen)")
	}
	canonical, _ := json.Marshal(body)
	q.digest = digestOf("refund", string(canonical))

	s.st.mu.Lock()
	rf, _, outcome, err := s.refund(q)
	var answer map[string]any
	if rf != nil {
		answer = v3RefundAnswer(rf)
	}
	s.st.mu.Unlock()
	switch {
	case err != nil:
		return saveFailed(r, err)
	case outcome == refundNoOrder:
		return s.unknown(r, e, ErrorJSON(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在"))
	case outcome == refundUnpaid:
		return ErrorJSON(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在")
	case outcome == refundChanged:
		return ErrorJSON(http.StatusBadRequest, "INVALID_REQUEST", msgRefundChanged)
	case outcome == refundTotalWrong:
		return ErrorJSON(http.StatusBadRequest, "INVALID_REQUEST", msgTotalChanged)
	case outcome == refundTooMuch:
		return ErrorJSON(http.StatusBadRequest, "INVALID_REQUEST", msgOverRefund)
	}
	return JSON(http.StatusOK, answer)
}

// queryV3Refund answers v3/refund/domestic/refunds/{out_refund_no}.
func (s *Server) queryV3Refund(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	s.st.mu.Lock()
	rf, ok := s.st.refunds[r.Vars["out_refund_no"]]
	var answer map[string]any
	if ok && rf.SubMchID == r.URL.Query().Get("sub_mchid") {
		answer = v3RefundAnswer(rf)
	}
	s.st.mu.Unlock()
	if answer == nil {
		return s.unknown(r, e, ErrorJSON(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在"))
	}
	return JSON(http.StatusOK, answer)
}

// v3RefundAnswer is a refund as APIv3 answers it.
func v3RefundAnswer(rf *Refund) map[string]any {
	a := map[string]any{
		"refund_id": rf.RefundID, "out_refund_no": rf.OutRefundNo, "transaction_id": rf.TransactionID, "out_trade_no": rf.OutTradeNo,
		"channel": "ORIGINAL", "user_received_account": "支付用户零钱", "funds_account": "AVAILABLE",
		"create_time": rf.CreateTime.In(chinaTime).Format(time.RFC3339), "status": rf.Status,
		"amount": map[string]any{
			"total": rf.Total, "refund": rf.Amount, "payer_total": rf.Total, "payer_refund": rf.Amount,
			"settlement_total": rf.Total, "settlement_refund": rf.Amount, "discount_refund": 0, "currency": rf.Currency,
		},
		"promotion_detail": []any{},
	}
	if rf.Status == refundSuccess {
		a["success_time"] = rf.SuccessTime.In(chinaTime).Format(time.RFC3339)
	}
	return a
}

// createV2Refund answers v2/secapi/pay/refund (mutual TLS), as
// createV3Refund does, with APIv2's failures: ORDERNOTEXIST,
// INVALID_REQUEST.
func (s *Server) createV2Refund(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	f := r.Fields
	q := &refundRequest{
		protocol: "v2", transactionID: f["transaction_id"], outTradeNo: f["out_trade_no"], outRefundNo: f["out_refund_no"],
		subMchID: f["sub_mch_id"], currency: f["refund_fee_type"], reason: f["refund_desc"], notifyTo: f["notify_url"],
	}
	var err1, err2 error
	q.amount, err1 = strconv.ParseInt(f["refund_fee"], 10, 64)
	q.total, err2 = strconv.ParseInt(f["total_fee"], 10, 64)
	if err1 != nil || err2 != nil || q.amount <= 0 {
		return failV2("PARAM_ERROR", "refund_fee和total_fee必须为正整数，单位为分 (refund_fee and total_fee are positive numbers of fen)")
	}
	q.digest = digestOf("refund", q.transactionID+"|"+q.outTradeNo, q.outRefundNo, f["refund_fee"], f["total_fee"])

	s.st.mu.Lock()
	rf, o, outcome, err := s.refund(q)
	var answer map[string]string
	if rf != nil {
		answer = v2Owner(o)
		answer["nonce_str"], answer["transaction_id"], answer["out_trade_no"] = randomString(16), rf.TransactionID, rf.OutTradeNo
		answer["out_refund_no"], answer["refund_id"] = rf.OutRefundNo, rf.RefundID
		answer["refund_fee"], answer["settlement_refund_fee"], answer["cash_refund_fee"] = f["refund_fee"], f["refund_fee"], f["refund_fee"]
		answer["total_fee"], answer["settlement_total_fee"], answer["cash_fee"] = f["total_fee"], f["total_fee"], f["total_fee"]
		answer["fee_type"], answer["refund_channel"] = rf.Currency, "ORIGINAL"
	}
	s.st.mu.Unlock()
	switch {
	case err != nil:
		return saveFailed(r, err)
	case outcome == refundNoOrder:
		return s.unknown(r, e, failV2("ORDERNOTEXIST", "订单不存在"))
	case outcome == refundUnpaid:
		return failV2("ORDERNOTEXIST", "订单不存在")
	case outcome == refundChanged, outcome == refundTotalWrong:
		return failV2("INVALID_REQUEST", msgTotalChanged)
	case outcome == refundTooMuch:
		return failV2("INVALID_REQUEST", msgOverRefund)
	}
	return Fields(answer)
}

// queryV2Refund answers v2/pay/refundquery: the refunds of an order, or
// the one named by out_refund_no or refund_id, as refund_…_$n fields.
func (s *Server) queryV2Refund(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	f := r.Fields
	s.st.mu.Lock()
	var list []*Refund
	var o *Order
	switch {
	case f["refund_id"] != "" || f["out_refund_no"] != "":
		rf := s.st.byRefund[f["refund_id"]]
		if rf == nil {
			rf = s.st.refunds[f["out_refund_no"]]
		}
		if rf != nil {
			o, list = s.st.orders[rf.OutTradeNo], []*Refund{rf}
		}
	default:
		if o = s.findV2Order(r); o != nil {
			list = s.st.refundsOf(o)
		}
	}
	var answer map[string]string
	if len(list) > 0 && o.SubMchID == f["sub_mch_id"] {
		answer = v2Owner(o)
		answer["nonce_str"], answer["transaction_id"], answer["out_trade_no"] = randomString(16), o.TransactionID, o.OutTradeNo
		answer["total_fee"], answer["cash_fee"], answer["fee_type"] = strconv.FormatInt(o.Total, 10), strconv.FormatInt(o.Total, 10), o.Currency
		answer["refund_count"], answer["total_refund_count"] = strconv.Itoa(len(list)), strconv.Itoa(len(list))
		for i, rf := range list {
			n := strconv.Itoa(i)
			answer["out_refund_no_"+n], answer["refund_id_"+n], answer["refund_channel_"+n] = rf.OutRefundNo, rf.RefundID, "ORIGINAL"
			answer["refund_fee_"+n], answer["settlement_refund_fee_"+n] = strconv.FormatInt(rf.Amount, 10), strconv.FormatInt(rf.Amount, 10)
			answer["refund_status_"+n], answer["refund_account_"+n] = rf.Status, "REFUND_SOURCE_UNSETTLED_FUNDS"
			answer["refund_recv_accout_"+n] = "支付用户的零钱"
			if rf.Status == refundSuccess {
				answer["refund_success_time_"+n] = rf.SuccessTime.In(chinaTime).Format(time.DateTime)
			}
		}
	}
	s.st.mu.Unlock()
	if answer == nil {
		return s.unknown(r, e, failV2("REFUNDNOTEXIST", "not exist"))
	}
	return Fields(answer)
}
