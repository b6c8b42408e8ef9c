package wechatpaytest

import (
	"encoding/json"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// statefulAnswers are the catalog endpoints answered from the server's
// state (orders, refunds, bills) rather than generated, by method and
// chain. Routes of the caller's own (HandleFunc) still come first.
var statefulAnswers = map[string]func(*Server, *Request, *catalog.Entry) *Answer{
	"POST v3/pay/transactions/jsapi":                                     (*Server).createV3Order,
	"POST v3/pay/transactions/app":                                       (*Server).createV3Order,
	"POST v3/pay/transactions/h5":                                        (*Server).createV3Order,
	"POST v3/pay/transactions/native":                                    (*Server).createV3Order,
	"POST v3/pay/partner/transactions/jsapi":                             (*Server).createV3Order,
	"POST v3/pay/partner/transactions/miniprogram":                       (*Server).createV3Order,
	"POST v3/pay/partner/transactions/app":                               (*Server).createV3Order,
	"POST v3/pay/partner/transactions/h5":                                (*Server).createV3Order,
	"POST v3/pay/partner/transactions/native":                            (*Server).createV3Order,
	"GET v3/pay/transactions/id/{transaction_id}":                        (*Server).queryV3Order,
	"GET v3/pay/transactions/out-trade-no/{out_trade_no}":                (*Server).queryV3Order,
	"GET v3/pay/partner/transactions/id/{transaction_id}":                (*Server).queryV3Order,
	"GET v3/pay/partner/transactions/out-trade-no/{out_trade_no}":        (*Server).queryV3Order,
	"POST v3/pay/transactions/out-trade-no/{out_trade_no}/close":         (*Server).closeV3Order,
	"POST v3/pay/partner/transactions/out-trade-no/{out_trade_no}/close": (*Server).closeV3Order,
	"POST v3/refund/domestic/refunds":                                    (*Server).createV3Refund,
	"GET v3/refund/domestic/refunds/{out_refund_no}":                     (*Server).queryV3Refund,
	"GET v3/bill/tradebill":                                              (*Server).tradeBillV3,
	"POST v2/pay/unifiedorder":                                           (*Server).createV2Order,
	"POST v2/pay/orderquery":                                             (*Server).queryV2Order,
	"POST v2/pay/closeorder":                                             (*Server).closeV2Order,
	"POST v2/secapi/pay/refund":                                          (*Server).createV2Refund,
	"POST v2/pay/refundquery":                                            (*Server).queryV2Refund,
	"POST v2/pay/downloadbill":                                           (*Server).tradeBillV2,
}

// unknown answers a request about an order or refund the server did not
// create: 404 (or the APIv2 FAIL) as WeChat Pay answers, with
// WithStrictOrders; otherwise the answer generated from the catalog, as
// the server answered before it kept state. The request was checked
// already, with WeChat Pay's rules rather than the catalog's (which marks
// both of transaction_id and out_trade_no required).
func (s *Server) unknown(r *Request, e *catalog.Entry, notFound *Answer) *Answer {
	if s.strict {
		return notFound
	}
	return s.generatedAnswer(r, e)
}

// saveFailed answers a change the server could not write to its data
// directory: WeChat Pay's 500 SYSTEM_ERROR, after which a client sends the
// same request again.
func saveFailed(r *Request, err error) *Answer {
	msg := "系统错误 (the sandbox could not save its state: " + err.Error() + ")"
	if r.Protocol == "v2" {
		return failV2("SYSTEMERROR", msg)
	}
	return ErrorJSON(http.StatusInternalServerError, "SYSTEM_ERROR", msg)
}

// failV2 is an APIv2 business failure (result_code FAIL), signed.
func failV2(code, msg string) *Answer {
	return Fields(map[string]string{"result_code": "FAIL", "err_code": code, "err_code_des": msg, "nonce_str": randomString(16)})
}

// v3TradeTypes maps the last segment of an APIv3 order endpoint to the
// trade_type its orders have.
var v3TradeTypes = map[string]string{"jsapi": "JSAPI", "miniprogram": "JSAPI", "app": "APP", "h5": "MWEB", "native": "NATIVE"}

var tradeStateDesc = map[string]string{
	stateNotPay: "订单未支付", stateSuccess: "支付成功", stateRefund: "订单发生过退款", stateClosed: "订单已关闭",
}

// jsonObject reads fields of a decoded JSON body by dotted path.
type jsonObject map[string]any

func (m jsonObject) get(path string) any {
	var v any = map[string]any(m)
	for _, k := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[k]
	}
	return v
}

func (m jsonObject) str(path string) string {
	switch v := m.get(path).(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func (m jsonObject) int(path string) (int64, bool) {
	switch v := m.get(path).(type) {
	case json.Number:
		n, err := v.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// createV3Order places an APIv3 order (JSAPI, mini program, APP, H5,
// Native; direct or partner). The same request again gets the same
// answer; another request reusing the out_trade_no gets WeChat Pay's
// 400 INVALID_REQUEST "201 商户订单号重复", or ORDER_CLOSED, ORDERPAID.
func (s *Server) createV3Order(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	var body map[string]any
	if err := r.DecodeJSON(&body); err != nil {
		return paramError("/", "body", "请求体不是合法的JSON (the body is not JSON): "+err.Error())
	}
	m := jsonObject(body)
	now := s.now()
	o := &Order{
		OutTradeNo: m.str("out_trade_no"), Protocol: "v3", Endpoint: e.Chain,
		TradeType: v3TradeTypes[path.Base(e.Chain)], TradeState: stateNotPay,
		Description: m.str("description"), Attach: m.str("attach"), NotifyURL: m.str("notify_url"),
		Currency: orDefault(m.str("amount.currency"), "CNY"), CreateTime: now,
	}
	if strings.HasPrefix(e.Chain, "v3/pay/partner/") {
		o.AppID, o.MchID, o.SubAppID, o.SubMchID = m.str("sp_appid"), m.str("sp_mchid"), m.str("sub_appid"), m.str("sub_mchid")
		o.OpenID, o.SubOpenID = m.str("payer.sp_openid"), m.str("payer.sub_openid")
	} else {
		o.AppID, o.MchID, o.OpenID = m.str("appid"), m.str("mchid"), m.str("payer.openid")
	}
	total, ok := m.int("amount.total")
	if !ok || total <= 0 {
		return paramError("/amount/total", "body", "订单金额必须为正整数，单位为分 (amount.total must be a positive number of fen)")
	}
	o.Total = total
	canonical, _ := json.Marshal(body) // map keys sorted: the same content, the same bytes
	o.digest = digestOf(e.Chain, string(canonical))

	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if old, ok := s.st.orders[o.OutTradeNo]; ok {
		if a := reorderV3(old, o); a != nil {
			return a
		}
		return v3PrepayAnswer(old)
	}
	if err := s.place(o, o.TradeType, now); err != nil {
		return saveFailed(r, err)
	}
	return v3PrepayAnswer(o)
}

// reorderV3 answers a request placing an order whose out_trade_no is
// taken: nil when it is the same request, whose answer is the first's.
func reorderV3(old, o *Order) *Answer {
	switch {
	case old.TradeState == stateClosed:
		return ErrorJSON(http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
	case old.TradeState != stateNotPay:
		return ErrorJSON(http.StatusBadRequest, "ORDERPAID", "该订单已支付")
	case old.digest != o.digest:
		return ErrorJSON(http.StatusBadRequest, "INVALID_REQUEST", "201 商户订单号重复")
	}
	return nil
}

func v3PrepayAnswer(o *Order) *Answer {
	switch o.TradeType {
	case "NATIVE":
		return JSON(http.StatusOK, map[string]any{"code_url": o.CodeURL})
	case "MWEB":
		return JSON(http.StatusOK, map[string]any{"h5_url": o.H5URL})
	}
	return JSON(http.StatusOK, map[string]any{"prepay_id": o.PrepayID})
}

// findV3Order finds the order a query or close names, as the merchant (or
// service provider and sub-merchant) in the query or body owns it.
func (s *Server) findV3Order(r *Request, m jsonObject) *Order {
	var o *Order
	if id := r.Vars["transaction_id"]; id != "" {
		o = s.st.byTxn[id]
	} else {
		o = s.st.orders[r.Vars["out_trade_no"]]
	}
	if o == nil {
		return nil
	}
	partner := strings.HasPrefix(r.Route, "v3/pay/partner/")
	if partner != o.Partner() || (partner && m.str("sub_mchid") != o.SubMchID) {
		return nil
	}
	return o
}

// queryOf reads a GET's query as a jsonObject.
func queryOf(r *Request) jsonObject {
	m := jsonObject{}
	for k, v := range r.URL.Query() {
		m[k] = v[0]
	}
	return m
}

// queryV3Order answers an order query: NOTPAY until paid, then SUCCESS
// with the transaction_id, amounts and payer.
func (s *Server) queryV3Order(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	s.st.mu.Lock()
	o := s.findV3Order(r, queryOf(r))
	var tx map[string]any
	if o != nil {
		tx = v3Transaction(o)
	}
	s.st.mu.Unlock()
	if o == nil {
		return s.unknown(r, e, ErrorJSON(http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在"))
	}
	return JSON(http.StatusOK, tx)
}

// v3Transaction is an order as APIv3 queries and payment notifications
// give it.
func v3Transaction(o *Order) map[string]any {
	tx := map[string]any{"out_trade_no": o.OutTradeNo, "trade_state": o.TradeState, "trade_state_desc": tradeStateDesc[o.TradeState]}
	if o.Partner() {
		tx["sp_appid"], tx["sp_mchid"], tx["sub_mchid"] = o.AppID, o.MchID, o.SubMchID
		if o.SubAppID != "" {
			tx["sub_appid"] = o.SubAppID
		}
	} else {
		tx["appid"], tx["mchid"] = o.AppID, o.MchID
	}
	if o.Attach != "" {
		tx["attach"] = o.Attach
	}
	amount := map[string]any{"total": o.Total, "currency": o.Currency, "payer_currency": o.Currency}
	if o.TransactionID != "" {
		tx["transaction_id"], tx["trade_type"], tx["bank_type"] = o.TransactionID, o.TradeType, "OTHERS"
		tx["success_time"] = o.SuccessTime.In(chinaTime).Format(time.RFC3339)
		amount["payer_total"] = o.Total
		payer := map[string]any{}
		if o.Partner() {
			payer["sp_openid"] = o.OpenID
			if o.SubOpenID != "" {
				payer["sub_openid"] = o.SubOpenID
			}
		} else {
			payer["openid"] = o.OpenID
		}
		tx["payer"] = payer
	}
	tx["amount"] = amount
	return tx
}

// closeV3Order closes an unpaid order (204, also when closed before, as
// WeChat Pay answers); a paid one answers 400 ORDERPAID.
func (s *Server) closeV3Order(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	var body map[string]any
	r.DecodeJSON(&body)
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	o := s.findV3Order(r, jsonObject(body))
	switch {
	case o == nil:
		// WeChat Pay answers 204 for an order it does not know, too.
		return &Answer{Status: http.StatusNoContent, Body: []byte{}}
	case o.TradeState == stateSuccess || o.TradeState == stateRefund:
		return ErrorJSON(http.StatusBadRequest, "ORDERPAID", "该订单已支付")
	case o.TradeState == stateNotPay:
		if err := s.st.commit(func() func() { o.TradeState = stateClosed; return func() { o.TradeState = stateNotPay } }); err != nil {
			return saveFailed(r, err)
		}
	}
	return &Answer{Status: http.StatusNoContent, Body: []byte{}}
}

// createV2Order places an order through v2/pay/unifiedorder.
func (s *Server) createV2Order(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	f := r.Fields
	tradeType := f["trade_type"]
	switch tradeType {
	case "JSAPI":
		if f["openid"] == "" && f["sub_openid"] == "" {
			return FailV2("JSAPI支付必须传openid")
		}
	case "NATIVE", "APP", "MWEB":
	default:
		return failV2("PARAM_ERROR", "trade_type参数错误 (trade_type must be JSAPI, NATIVE, APP or MWEB)")
	}
	total, err := strconv.ParseInt(f["total_fee"], 10, 64)
	if err != nil || total <= 0 {
		return failV2("PARAM_ERROR", "total_fee参数错误 (total_fee must be a positive number of fen)")
	}
	now := s.now()
	o := &Order{
		OutTradeNo: f["out_trade_no"], Protocol: "v2", Endpoint: "v2/pay/unifiedorder", TradeType: tradeType,
		TradeState: stateNotPay, AppID: f["appid"], MchID: f["mch_id"], SubAppID: f["sub_appid"], SubMchID: f["sub_mch_id"],
		Description: f["body"], Attach: f["attach"], NotifyURL: f["notify_url"], Total: total,
		Currency: orDefault(f["fee_type"], "CNY"), OpenID: f["openid"], SubOpenID: f["sub_openid"],
		CreateTime: now, signType: r.signType(),
	}
	// Sent again, an order differs in its nonce and sign only.
	var parts []string
	for _, k := range sortedKeys(f) {
		if k != "nonce_str" && k != "sign" {
			parts = append(parts, k, f[k])
		}
	}
	o.digest = digestOf(append([]string{o.Endpoint}, parts...)...)

	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	if old, ok := s.st.orders[o.OutTradeNo]; ok {
		switch {
		case old.TradeState == stateClosed:
			return failV2("ORDERCLOSED", "订单已关闭")
		case old.TradeState != stateNotPay:
			return failV2("ORDERPAID", "商户订单已支付")
		case old.digest != o.digest:
			return failV2("INVALID_REQUEST", "201 商户订单号重复")
		}
		return v2PrepayAnswer(old)
	}
	if err := s.place(o, tradeType, now); err != nil {
		return saveFailed(r, err)
	}
	return v2PrepayAnswer(o)
}

func v2PrepayAnswer(o *Order) *Answer {
	f := v2Owner(o)
	f["nonce_str"], f["trade_type"], f["prepay_id"] = randomString(16), o.TradeType, o.PrepayID
	if o.CodeURL != "" {
		f["code_url"] = o.CodeURL
	}
	if o.H5URL != "" {
		f["mweb_url"] = o.H5URL
	}
	return Fields(f)
}

// v2Owner is the appid, mch_id, sub_appid and sub_mch_id of an order, as
// APIv2 names them.
func v2Owner(o *Order) map[string]string {
	f := map[string]string{"appid": o.AppID, "mch_id": o.MchID}
	if o.SubMchID != "" {
		f["sub_mch_id"] = o.SubMchID
	}
	if o.SubAppID != "" {
		f["sub_appid"] = o.SubAppID
	}
	return f
}

// findV2Order finds the order an APIv2 request names by transaction_id or
// out_trade_no, owned by its sub_mch_id.
func (s *Server) findV2Order(r *Request) *Order {
	var o *Order
	if id := r.Fields["transaction_id"]; id != "" {
		o = s.st.byTxn[id]
	} else {
		o = s.st.orders[r.Fields["out_trade_no"]]
	}
	if o == nil || o.SubMchID != r.Fields["sub_mch_id"] {
		return nil
	}
	return o
}

// queryV2Order answers v2/pay/orderquery from the order.
func (s *Server) queryV2Order(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	s.st.mu.Lock()
	o := s.findV2Order(r)
	var f map[string]string
	if o != nil {
		f = v2Transaction(o)
	}
	s.st.mu.Unlock()
	if o == nil {
		return s.unknown(r, e, failV2("ORDERNOTEXIST", "此交易订单号不存在"))
	}
	f["nonce_str"] = randomString(16)
	return Fields(f)
}

// v2Transaction is an order as APIv2 queries and payment notifications
// give it.
func v2Transaction(o *Order) map[string]string {
	f := v2Owner(o)
	f["out_trade_no"], f["trade_state"], f["trade_state_desc"] = o.OutTradeNo, o.TradeState, tradeStateDesc[o.TradeState]
	f["total_fee"], f["fee_type"] = strconv.FormatInt(o.Total, 10), o.Currency
	if o.Attach != "" {
		f["attach"] = o.Attach
	}
	if o.TransactionID != "" {
		f["transaction_id"], f["trade_type"], f["bank_type"] = o.TransactionID, o.TradeType, "OTHERS"
		f["cash_fee"], f["time_end"] = f["total_fee"], o.SuccessTime.In(chinaTime).Format("20060102150405")
		f["openid"], f["is_subscribe"] = o.OpenID, "N"
		if o.SubOpenID != "" {
			f["sub_openid"], f["sub_is_subscribe"] = o.SubOpenID, "N"
		}
	}
	return f
}

// closeV2Order closes an unpaid order through v2/pay/closeorder.
func (s *Server) closeV2Order(r *Request, e *catalog.Entry) *Answer {
	if a := s.checkRequest(r, e); a != nil {
		return a
	}
	s.st.mu.Lock()
	defer s.st.mu.Unlock()
	o := s.findV2Order(r)
	switch {
	case o == nil:
		return s.unknown(r, e, failV2("ORDERNOTEXIST", "订单不存在"))
	case o.TradeState == stateClosed:
		return failV2("ORDERCLOSED", "订单已关闭")
	case o.TradeState != stateNotPay:
		return failV2("ORDERPAID", "订单已支付")
	}
	if err := s.st.commit(func() func() { o.TradeState = stateClosed; return func() { o.TradeState = stateNotPay } }); err != nil {
		return saveFailed(r, err)
	}
	f := v2Owner(o)
	f["nonce_str"], f["result_msg"] = randomString(16), "OK"
	return Fields(f)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// place gives a new order its prepay ID and, for its trade type, its code
// or H5 URL, and stores it: the same for APIv3 and APIv2 orders.
func (s *Server) place(o *Order, tradeType string, now time.Time) error {
	o.PrepayID = newPrepayID(now)
	switch tradeType {
	case "NATIVE":
		o.CodeURL = "weixin://wxpay/bizpayurl?pr=" + randomString(7)
	case "MWEB":
		o.H5URL = "https://wx.tenpay.com/cgi-bin/mmpayweb-bin/checkmweb?prepay_id=" + o.PrepayID + "&package=" + digits(10)
	}
	return s.st.commit(func() func() { s.st.addOrder(o); return func() { s.st.removeOrder(o) } })
}
