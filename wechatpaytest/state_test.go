package wechatpaytest_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// nativeOrder is the body of a Native order of 1.00 CNY.
func nativeOrder(srv *wechatpaytest.Server, outTradeNo, notifyURL string) wechatpay.M {
	return wechatpay.M{
		"headers": wechatpay.M{"Wechatpay-Serial": srv.Platform.Serial},
		"json": wechatpay.M{
			"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
			"out_trade_no": outTradeNo, "notify_url": notifyURL, "amount": wechatpay.M{"total": 100, "currency": "CNY"},
		},
	}
}

func apiError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.StatusCode != status || ae.Code != code || (message != "" && ae.Message != message) {
		t.Fatalf("want %d %s %s, got %v", status, code, message, err)
	}
}

func v2Error(t *testing.T, err error, code, des string) {
	t.Helper()
	var ve *wechatpay.V2Error
	if !errors.As(err, &ve) || ve.ResultCode != "FAIL" || ve.ErrCode != code || (des != "" && ve.ErrCodeDes != des) {
		t.Fatalf("want APIv2 FAIL %s %s, got %v", code, des, err)
	}
}

// The order endpoints answer what their kind of order is paid with: a
// prepay_id (JSAPI, mini program, APP), a code_url (Native) or an h5_url
// (H5), for direct merchants and service providers alike.
func TestOrderKinds(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	for i, tc := range []struct{ chain, field, tradeType string }{
		{"v3/pay/transactions/jsapi", "prepay_id", "JSAPI"},
		{"v3/pay/transactions/app", "prepay_id", "APP"},
		{"v3/pay/transactions/h5", "h5_url", "MWEB"},
		{"v3/pay/transactions/native", "code_url", "NATIVE"},
		{"v3/pay/partner/transactions/jsapi", "prepay_id", "JSAPI"},
		{"v3/pay/partner/transactions/miniprogram", "prepay_id", "JSAPI"},
		{"v3/pay/partner/transactions/app", "prepay_id", "APP"},
		{"v3/pay/partner/transactions/h5", "h5_url", "MWEB"},
		{"v3/pay/partner/transactions/native", "code_url", "NATIVE"},
	} {
		no := fmt.Sprintf("KIND-%d", i)
		body := wechatpay.M{"description": "d", "out_trade_no": no, "notify_url": "https://example.com/n",
			"amount": wechatpay.M{"total": 1}, "scene_info": wechatpay.M{"payer_client_ip": "127.0.0.1", "h5_info": wechatpay.M{"type": "Wap"}}}
		if strings.Contains(tc.chain, "partner") {
			body["sp_appid"], body["sp_mchid"], body["sub_mchid"] = "wx8888888888888888", srv.MchID, "1900000109"
			body["payer"] = wechatpay.M{"sp_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
		} else {
			body["appid"], body["mchid"] = "wxd678efh567hg6787", srv.MchID
			body["payer"] = wechatpay.M{"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
		}
		res, err := c.Chain(tc.chain).Post(wechatpay.M{"json": body, "headers": wechatpay.M{"Wechatpay-Serial": srv.Platform.Serial}})
		if err != nil || res.Get(tc.field).String() == "" {
			t.Fatalf("%s: %v %s", tc.chain, err, res.Body)
		}
		o, ok := srv.Order(no)
		if !ok || o.TradeType != tc.tradeType || o.TradeState != "NOTPAY" || o.Endpoint != tc.chain || o.Partner() != strings.Contains(tc.chain, "partner") {
			t.Fatalf("%s: %+v", tc.chain, o)
		}
	}
}

// A service provider's order is queried with its sub-merchant, and its
// payment notification names both merchants.
func TestPartnerOrder(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	m, url := newMerchant(t, srv, func(int) int { return http.StatusNoContent })
	_, err := c.Chain("v3/pay/partner/transactions/native").Post(wechatpay.M{
		"headers": wechatpay.M{"Wechatpay-Serial": srv.Platform.Serial},
		"json": wechatpay.M{"sp_appid": "wx8888888888888888", "sp_mchid": srv.MchID, "sub_mchid": "1900000109",
			"description": "d", "out_trade_no": "P-1", "notify_url": url, "amount": wechatpay.M{"total": 5}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := srv.Pay("P-1")
	if err != nil {
		t.Fatal(err)
	}
	if d, err := p.Wait(context.Background()); err != nil || !d.Delivered {
		t.Fatalf("%v %+v", err, d)
	}
	m.mu.Lock()
	got := string(m.got[0])
	m.mu.Unlock()
	if !strings.Contains(got, `"sp_mchid":"`+srv.MchID+`"`) || !strings.Contains(got, `"sub_mchid":"1900000109"`) ||
		!strings.Contains(got, `"sp_openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"`) {
		t.Fatalf("notification %s", got)
	}
	q := func(sub string) (*wechatpay.Response, error) {
		return c.Chain("v3/pay/partner/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
			"out_trade_no": "P-1", "query": wechatpay.M{"sp_mchid": srv.MchID, "sub_mchid": sub}})
	}
	if res, err := q("1900000109"); err != nil || res.Get("trade_state").String() != "SUCCESS" || res.Get("sub_mchid").String() != "1900000109" {
		t.Fatalf("%v %s", err, res.Body)
	}
	// The order is the sub-merchant's: another one's query does not find
	// it, and gets the answer of an unknown order (generated here).
	if res, err := q("1900000999"); err != nil || res.Get("transaction_id").String() == "" {
		t.Fatalf("%v %s", err, res.Body)
	}
	if o, _ := srv.Order("P-1"); o.TradeState != "SUCCESS" {
		t.Fatalf("%+v", o)
	}
	strict := wechatpaytest.NewServer(wechatpaytest.WithStrictOrders())
	defer strict.Close()
	sc := newClient(t, strict.Config())
	order := wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": strict.Platform.Serial},
		"json": wechatpay.M{"sp_appid": "wx8888888888888888", "sp_mchid": strict.MchID, "sub_mchid": "1900000109",
			"description": "d", "out_trade_no": "P-2", "notify_url": url, "amount": wechatpay.M{"total": 5}}}
	if _, err := sc.Chain("v3/pay/partner/transactions/native").Post(order); err != nil {
		t.Fatal(err)
	}
	_, err = sc.Chain("v3/pay/partner/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{
		"out_trade_no": "P-2", "query": wechatpay.M{"sp_mchid": strict.MchID, "sub_mchid": "1900000999"}})
	apiError(t, err, 404, "ORDER_NOT_EXIST", "")
	// Nor does the direct merchant's query.
	_, err = sc.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "P-2", "query": wechatpay.M{"mchid": strict.MchID}})
	apiError(t, err, 404, "ORDER_NOT_EXIST", "")
}

// An out_trade_no names one order: the same request again gets the same
// answer, a different one WeChat Pay's INVALID_REQUEST "201 商户订单号重复".
func TestDuplicateOutTradeNo(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	first, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "DUP-1", "https://example.com/n"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "DUP-1", "https://example.com/n"))
	if err != nil || again.Get("code_url").String() != first.Get("code_url").String() {
		t.Fatalf("the same order again: %v %s, first %s", err, again.Body, first.Body)
	}
	_, err = c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "DUP-1", "https://example.com/other"))
	apiError(t, err, 400, "INVALID_REQUEST", "201 商户订单号重复")
	// The same number with another kind of order is another order, too.
	h5 := nativeOrder(srv, "DUP-1", "https://example.com/n")
	h5["json"].(wechatpay.M)["scene_info"] = wechatpay.M{"payer_client_ip": "127.0.0.1"}
	_, err = c.Chain("v3/pay/transactions/h5").Post(h5)
	apiError(t, err, 400, "INVALID_REQUEST", "201 商户订单号重复")

	v2 := func(fee string) error {
		_, err := c.Chain("v2/pay/unifiedorder").Post(wechatpay.M{"xml": wechatpay.M{
			"appid": "wx2421b1c4370ec43b", "mch_id": srv.MchID, "body": "b", "out_trade_no": "DUP-2", "total_fee": fee,
			"spbill_create_ip": "127.0.0.1", "notify_url": "https://example.com/n", "trade_type": "NATIVE", "product_id": "1",
		}})
		return err
	}
	if err := v2("1"); err != nil {
		t.Fatal(err)
	}
	if err := v2("1"); err != nil {
		t.Fatalf("the same APIv2 order again (a new nonce_str): %v", err)
	}
	v2Error(t, v2("2"), "INVALID_REQUEST", "201 商户订单号重复")
	// An APIv3 order of an APIv2 order's number is another order.
	_, err = c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "DUP-2", "https://example.com/n"))
	apiError(t, err, 400, "INVALID_REQUEST", "201 商户订单号重复")
}

// A closed order is CLOSED, cannot be paid, nor placed again; a paid one
// cannot be closed, paid again or placed again.
func TestCloseAndPayErrors(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv.Config())
	for _, no := range []string{"C-1", "C-2"} {
		if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, no, "https://example.com/n")); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close").Post(wechatpay.M{"out_trade_no": "C-1", "json": wechatpay.M{"mchid": srv.MchID}})
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("%v %+v", err, res)
	}
	res, err = c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "C-1", "query": wechatpay.M{"mchid": srv.MchID}})
	if err != nil || res.Get("trade_state").String() != "CLOSED" || res.Get("trade_state_desc").String() != "订单已关闭" {
		t.Fatalf("%v %s", err, res.Body)
	}
	if _, err := srv.Pay("C-1"); !errors.Is(err, wechatpaytest.ErrOrderClosed) {
		t.Fatalf("pay a closed order: %v", err)
	}
	_, err = c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "C-1", "https://example.com/n"))
	apiError(t, err, 400, "ORDER_CLOSED", "订单已关闭")

	if _, err := srv.Pay("C-2"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Pay("C-2"); !errors.Is(err, wechatpaytest.ErrOrderPaid) {
		t.Fatalf("pay twice: %v", err)
	}
	if _, err := srv.Pay("C-404"); !errors.Is(err, wechatpaytest.ErrOrderNotFound) || !strings.Contains(err.Error(), "C-404") {
		t.Fatalf("pay no order: %v", err)
	}
	_, err = c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}/close").Post(wechatpay.M{"out_trade_no": "C-2", "json": wechatpay.M{"mchid": srv.MchID}})
	apiError(t, err, 400, "ORDERPAID", "该订单已支付")
	_, err = c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "C-2", "https://example.com/n"))
	apiError(t, err, 400, "ORDERPAID", "")

	// APIv2 closeorder.
	closeV2 := func(no string) error {
		_, err := c.Chain("v2/pay/closeorder").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "out_trade_no": no}})
		return err
	}
	if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "C-3", "https://example.com/n")); err != nil {
		t.Fatal(err)
	}
	if err := closeV2("C-3"); err != nil {
		t.Fatal(err)
	}
	v2Error(t, closeV2("C-3"), "ORDERCLOSED", "订单已关闭")
	v2Error(t, closeV2("C-2"), "ORDERPAID", "")
}

// Refunds add up: more than what is left of the order is refused, as is
// a refund of an unpaid order; the same refund asked again is the first.
func TestRefundErrors(t *testing.T) {
	srv := wechatpaytest.NewTLSServer(wechatpaytest.WithRefundDelay(-1))
	defer srv.Close()
	c := newClient(t, srv.Config())
	for _, no := range []string{"R-PAID", "R-UNPAID"} {
		if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, no, "https://example.com/n")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.Pay("R-PAID"); err != nil {
		t.Fatal(err)
	}
	refund := func(outTradeNo, outRefundNo string, amount int) (*wechatpay.Response, error) {
		return c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
			"out_trade_no": outTradeNo, "out_refund_no": outRefundNo, "amount": wechatpay.M{"refund": amount, "total": 100, "currency": "CNY"},
		}})
	}
	first, err := refund("R-PAID", "RF-1", 60)
	if err != nil || first.Get("status").String() != "PROCESSING" {
		t.Fatalf("%v %s", err, first.Body)
	}
	again, err := refund("R-PAID", "RF-1", 60)
	if err != nil || again.Get("refund_id").String() != first.Get("refund_id").String() {
		t.Fatalf("the same refund again: %v %s", err, again.Body)
	}
	_, err = refund("R-PAID", "RF-1", 10)
	apiError(t, err, 400, "INVALID_REQUEST", "")
	_, err = refund("R-PAID", "RF-2", 41)
	apiError(t, err, 400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
	if _, err := refund("R-PAID", "RF-2", 40); err != nil {
		t.Fatalf("the rest of the order: %v", err)
	}
	_, err = refund("R-PAID", "RF-3", 1)
	apiError(t, err, 400, "INVALID_REQUEST", "申请退款金额超过订单可退金额")
	_, err = refund("R-UNPAID", "RF-4", 1)
	apiError(t, err, 404, "RESOURCE_NOT_EXISTS", "订单不存在")
	if o, _ := srv.Order("R-PAID"); o.Refunded != 100 || o.TradeState != "REFUND" {
		t.Fatalf("%+v", o)
	}
	if _, err := srv.CompleteRefund("RF-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.CompleteRefund("RF-1"); !errors.Is(err, wechatpaytest.ErrRefundDone) {
		t.Fatalf("complete twice: %v", err)
	}
	if _, err := srv.CompleteRefund("RF-404"); !errors.Is(err, wechatpaytest.ErrRefundNotFound) {
		t.Fatalf("complete no refund: %v", err)
	}

	// APIv2, over mutual TLS, over the same state.
	v2 := func(outTradeNo, outRefundNo, fee string) error {
		_, err := c.Chain("v2/secapi/pay/refund").Post(wechatpay.M{"security": true, "xml": wechatpay.M{
			"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "out_trade_no": outTradeNo, "out_refund_no": outRefundNo,
			"total_fee": "100", "refund_fee": fee,
		}})
		return err
	}
	v2Error(t, v2("R-PAID", "RF-5", "1"), "INVALID_REQUEST", "申请退款金额超过订单可退金额")
	v2Error(t, v2("R-UNPAID", "RF-6", "1"), "ORDERNOTEXIST", "订单不存在")
}

// Orders the server did not create get a generated answer, as before it
// kept state; with WithStrictOrders, WeChat Pay's 404s.
func TestUnknownOrders(t *testing.T) {
	for _, strict := range []bool{false, true} {
		var opts []wechatpaytest.Option
		if strict {
			opts = append(opts, wechatpaytest.WithStrictOrders())
		}
		srv := wechatpaytest.NewServer(opts...)
		c := newClient(t, srv.Config())
		_, err1 := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "NONE", "query": wechatpay.M{"mchid": srv.MchID}})
		_, err2 := c.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": "4200000000000000000000000000", "query": wechatpay.M{"mchid": srv.MchID}})
		_, err3 := c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
			"out_trade_no": "NONE", "out_refund_no": "NONE", "amount": wechatpay.M{"refund": 1, "total": 1, "currency": "CNY"}}})
		_, err4 := c.Chain("v3/refund/domestic/refunds/{out_refund_no}").Get(wechatpay.M{"out_refund_no": "NONE"})
		_, err5 := c.Chain("v2/pay/orderquery").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wx1", "mch_id": srv.MchID, "out_trade_no": "NONE"}})
		_, err6 := c.Chain("v2/pay/refundquery").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wx1", "mch_id": srv.MchID, "out_refund_no": "NONE"}})
		srv.Close()
		if !strict {
			// (orderquery's generated answer needs both numbers, as the
			// catalog marks them.)
			if err1 != nil || err2 != nil || err3 != nil || err4 != nil || err6 != nil {
				t.Fatalf("generated answers: %v %v %v %v %v", err1, err2, err3, err4, err6)
			}
			continue
		}
		apiError(t, err1, 404, "ORDER_NOT_EXIST", "订单不存在")
		apiError(t, err2, 404, "ORDER_NOT_EXIST", "订单不存在")
		apiError(t, err3, 404, "RESOURCE_NOT_EXISTS", "订单不存在")
		apiError(t, err4, 404, "RESOURCE_NOT_EXISTS", "退款单不存在")
		v2Error(t, err5, "ORDERNOTEXIST", "此交易订单号不存在")
		v2Error(t, err6, "REFUNDNOTEXIST", "")
	}
}

// A notification not acknowledged is sent again on WeChat Pay's schedule,
// here sped up; the order stays paid whatever the receiver answers.
func TestPayRetriesTheNotification(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithNotifyOptions(wechatpaytest.TimeScale(1e-5)))
	defer srv.Close()
	c := newClient(t, srv.Config())
	m, url := newMerchant(t, srv, func(n int) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "RETRY-1", url)); err != nil {
		t.Fatal(err)
	}
	p, err := srv.Pay("RETRY-1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := p.Wait(context.Background())
	if err != nil || !d.Delivered || len(d.Attempts) != 3 || d.Attempts[1].At.Sub(d.Attempts[0].At) != 15*time.Second {
		t.Fatalf("%v %+v", err, d)
	}
	m.mu.Lock()
	if len(m.got) != 3 || !bytes.Equal(m.got[0], m.got[2]) {
		t.Fatalf("every attempt carries the same resource: %q", m.got)
	}
	m.mu.Unlock()
	if p.URL != url || p.Webhook != "v3/TRANSACTION.SUCCESS" || len(p.Attempts()) != 3 {
		t.Fatalf("%+v", p)
	}
	// A refund without a notify_url sends nothing.
	if _, err := c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"out_trade_no": "RETRY-1", "out_refund_no": "RETRY-R", "amount": wechatpay.M{"refund": 1, "total": 100, "currency": "CNY"}}}); err != nil {
		t.Fatal(err)
	}
	p, err = srv.CompleteRefund("RETRY-R")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Wait(context.Background()); !errors.Is(err, wechatpaytest.ErrNoNotifyURL) {
		t.Fatalf("%v", err)
	}
}

// The trade bill of a day lists that day's payments and refunds, in
// WeChat Pay's layout, through v3/bill/tradebill and v2/pay/downloadbill.
func TestTradeBillFromState(t *testing.T) {
	srv := wechatpaytest.NewTLSServer(wechatpaytest.WithRefundDelay(-1))
	defer srv.Close()
	c := newClient(t, srv.Config())
	for _, no := range []string{"BILL-1", "BILL-2", "BILL-UNPAID"} {
		if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, no, "https://example.com/n")); err != nil {
			t.Fatal(err)
		}
	}
	for _, no := range []string{"BILL-1", "BILL-2"} {
		if _, err := srv.Pay(no); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"out_trade_no": "BILL-2", "out_refund_no": "BILL-R", "amount": wechatpay.M{"refund": 30, "total": 100, "currency": "CNY"}}}); err != nil {
		t.Fatal(err)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600))
	res, err := c.Chain("v3/bill/tradebill").Get(wechatpay.M{"query": wechatpay.M{"bill_date": today.Format(time.DateOnly), "tar_type": "GZIP"}})
	if err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	if _, err := c.DownloadBill(context.Background(), res, wechatpay.Download{Writer: &gz}); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(&gz)
	if err != nil {
		t.Fatal(err)
	}
	file, _ := io.ReadAll(zr)
	if sum := sha1.Sum(file); hex.EncodeToString(sum[:]) != res.Get("hash_value").String() {
		t.Fatal("the bill does not match its hash_value")
	}
	bill, err := formatter.CastCSVBill(file)
	if err != nil {
		t.Fatalf("%v\n%s", err, file)
	}
	if len(bill.Rows) != 3 || bill.Summary["总交易单数"] != "3" || bill.Summary["应结订单总金额"] != "2.00" || bill.Summary["退款总金额"] != "0.30" {
		t.Fatalf("%+v", bill)
	}
	states := map[string]string{}
	for _, row := range bill.Rows {
		states[row["商户订单号"]+"/"+row["交易状态"]] = row["退款金额"]
		if row["商户号"] != srv.MchID || len(row["微信订单号"]) != 28 {
			t.Fatalf("row %v", row)
		}
	}
	if states["BILL-1/SUCCESS"] != "0.00" || states["BILL-2/SUCCESS"] != "0.00" || states["BILL-2/REFUND"] != "0.30" {
		t.Fatalf("%v", states)
	}

	// The refunds only, over APIv2.
	var file2 bytes.Buffer
	_, err = c.Chain("v2/pay/downloadbill").Post(wechatpay.M{"sink": &file2, "xml": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "bill_date": today.Format("20060102"), "bill_type": "REFUND"}})
	if err != nil {
		t.Fatal(err)
	}
	bill, err = formatter.CastCSVBill(file2.Bytes())
	if err != nil || len(bill.Rows) != 1 || bill.Rows[0]["商户退款单号"] != "BILL-R" || bill.Rows[0]["退款状态"] != "PROCESSING" {
		t.Fatalf("%v %+v", err, bill)
	}

	// Another day has no transaction.
	res, err = c.Chain("v3/bill/tradebill").Get(wechatpay.M{"query": wechatpay.M{"bill_date": "2020-01-01"}})
	if err != nil {
		t.Fatal(err)
	}
	var empty bytes.Buffer
	if _, err := c.DownloadBill(context.Background(), res, wechatpay.Download{Writer: &empty}); err != nil {
		t.Fatal(err)
	}
	if bill, err = formatter.CastCSVBill(empty.Bytes()); err != nil || len(bill.Rows) != 0 || bill.Summary["总交易单数"] != "0" {
		t.Fatalf("%v %+v", err, bill)
	}
}

// A server started again on the same data directory has the same Config
// and the same orders; a refund left PROCESSING completes.
func TestDataDirRestart(t *testing.T) {
	dir := t.TempDir()
	srv, err := wechatpaytest.Start(wechatpaytest.WithDataDir(dir), wechatpaytest.WithRefundDelay(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config()
	c := newClient(t, cfg)
	if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "KEEP-1", "https://example.com/n")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Pay("KEEP-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"out_trade_no": "KEEP-1", "out_refund_no": "KEEP-R", "amount": wechatpay.M{"refund": 1, "total": 100, "currency": "CNY"}}}); err != nil {
		t.Fatal(err)
	}
	paid, _ := srv.Order("KEEP-1")
	platform, publicKeyID, secret, apiv3 := srv.Platform.Serial, srv.PublicKeyID, srv.Secret, srv.APIv3Key
	srv.Close()

	info, err := os.Stat(filepath.Join(dir, wechatpaytest.DataFile))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("%v %v", err, info)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}

	again, err := wechatpaytest.Start(wechatpaytest.WithDataDir(dir), wechatpaytest.WithRefundDelay(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	// A second server on the directory would overwrite the first's state.
	if _, err := wechatpaytest.Start(wechatpaytest.WithDataDir(dir)); !errors.Is(err, wechatpaytest.ErrDataDirBusy) {
		t.Fatalf("a second server on the directory: %v", err)
	}
	if again.URL != srv.URL || again.Platform.Serial != platform || again.PublicKeyID != publicKeyID || again.Secret != secret ||
		again.APIv3Key != apiv3 || again.MchID != srv.MchID || again.Merchant.Serial != srv.Merchant.Serial || !again.Merchant.Key.Equal(srv.Merchant.Key) {
		t.Fatal("the restarted server has another identity")
	}
	// The first server's Config works as it was.
	c = newClient(t, cfg)
	res, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "KEEP-1", "query": wechatpay.M{"mchid": again.MchID}})
	if err != nil || res.Get("trade_state").String() != "REFUND" || res.Get("transaction_id").String() != paid.TransactionID {
		t.Fatalf("%v %s", err, res.Body)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if rf, _ := again.Refund("KEEP-R"); rf.Status == "SUCCESS" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the refund left PROCESSING did not complete")
		}
	}
	// The same order again is still the same order.
	if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(again, "KEEP-1", "https://example.com/n")); err == nil {
		t.Fatal("a paid order was placed again")
	}

	// Another merchant ID than the directory's is refused; so is a broken file.
	again.Close()
	if _, err := wechatpaytest.Start(wechatpaytest.WithDataDir(dir), wechatpaytest.WithMchID("1230000109")); err == nil || !strings.Contains(err.Error(), "1230000109") {
		t.Fatalf("%v", err)
	}
	broken := t.TempDir()
	os.WriteFile(filepath.Join(broken, wechatpaytest.DataFile), []byte("{"), 0o600)
	if _, err := wechatpaytest.Start(wechatpaytest.WithDataDir(broken)); err == nil || !strings.HasPrefix(err.Error(), "wechatpaytest: ") {
		t.Fatalf("%v", err)
	}
}

// A TLS server keeps its HTTPS certificate in the data directory too, so
// that the Config it handed out still trusts it.
func TestDataDirTLS(t *testing.T) {
	dir := t.TempDir()
	srv, err := wechatpaytest.StartTLS(wechatpaytest.WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	cfg := srv.Config()
	pem := srv.TLSCertificatePEM()
	srv.Close()
	again, err := wechatpaytest.StartTLS(wechatpaytest.WithDataDir(dir))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if !bytes.Equal(again.TLSCertificatePEM(), pem) {
		t.Fatal("another HTTPS certificate")
	}
	cfg.BaseURL = again.URL // (the same, unless the port was taken)
	if _, err := newClient(t, cfg).Chain("v3/certificates").Get(); err != nil {
		t.Fatal(err)
	}
}

// A rotation adds a platform certificate: v3/certificates lists both,
// answers are signed with the new one, the old one stays valid until it
// expires, and leaves the list then.
func TestRotatePlatformCertificate(t *testing.T) {
	// The server's clock runs ahead on demand, within the 5 minutes a
	// client allows, so that the old certificate expires without waiting.
	var ahead atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) }
	srv := wechatpaytest.NewServer(wechatpaytest.WithRotationOverlap(time.Minute), wechatpaytest.WithClock(clock))
	defer srv.Close()
	old := srv.Platform
	oldConfig := srv.Config()
	id, err := srv.RotatePlatformCertificate()
	if err != nil {
		t.Fatal(err)
	}
	if srv.Platform != id || id.Serial == old.Serial || len(srv.Platforms()) != 2 {
		t.Fatalf("%v %v", srv.Platform, srv.Platforms())
	}
	c := newClient(t, srv.Config())
	res, err := c.Chain("v3/certificates").Get()
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("Wechatpay-Serial") != id.Serial {
		t.Fatalf("answer signed by %s, want the new %s", res.Header.Get("Wechatpay-Serial"), id.Serial)
	}
	list := res.Get("data").Array()
	if len(list) != 2 || list[0].Get("serial_no").String() != old.Serial || list[1].Get("serial_no").String() != id.Serial {
		t.Fatalf("%s", res.Body)
	}
	expire, _ := time.Parse(time.RFC3339, list[0].Get("expire_time").String())
	if d := time.Until(expire); d > time.Minute || d < 50*time.Second {
		t.Fatalf("the old certificate expires in %v, want a minute", d)
	}
	for _, cert := range list {
		enc := cert.Get("encrypt_certificate")
		pem, err := crypto.DecryptAESGCM([]byte(srv.APIv3Key), []byte(enc.Get("nonce").String()), enc.Get("ciphertext").String(), []byte("certificate"))
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := crypto.LoadCertificate(string(pem))
		if err != nil || crypto.CertificateSerial(parsed) != cert.Get("serial_no").String() {
			t.Fatalf("%v", err)
		}
	}
	// A client that knows the old certificate only does not trust answers
	// signed with the new one, as with WeChat Pay: it must fetch it.
	_, err = newClient(t, oldConfig).Chain("v3/certificates").Get()
	if !errors.Is(err, wechatpay.ErrUnknownSerial) {
		t.Fatalf("%v", err)
	}

	ahead.Store(int64(2 * time.Minute))
	res, err = c.Chain("v3/certificates").Get()
	if err != nil || len(res.Get("data").Array()) != 1 || res.Get("data.0.serial_no").String() != id.Serial {
		t.Fatalf("after the old one expired: %v %s", err, res.Body)
	}
	if _, ok := srv.Config().Certs[old.Serial]; ok {
		t.Fatal("Config trusts an expired certificate")
	}
}

// The /_sandbox/ routes drive the server from a client, signed like any
// call; an unsigned call is refused.
func TestAdminRoutes(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithRefundDelay(-1))
	defer srv.Close()
	c := newClient(t, srv.Config())
	m, url := newMerchant(t, srv, func(int) int { return http.StatusNoContent })
	if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "ADMIN-1", url)); err != nil {
		t.Fatal(err)
	}
	res, err := c.Chain("_sandbox/orders/{out_trade_no}/pay").Post(wechatpay.M{"out_trade_no": "ADMIN-1"})
	if err != nil || res.Get("order.trade_state").String() != "SUCCESS" || res.Get("notification.attempts.0.status").Int() != 204 ||
		res.Get("notification.url").String() != url {
		t.Fatalf("%v %s", err, res.Body)
	}
	_, err = c.Chain("_sandbox/orders/{out_trade_no}/pay").Post(wechatpay.M{"out_trade_no": "ADMIN-1"})
	apiError(t, err, 400, "ORDERPAID", "")
	_, err = c.Chain("_sandbox/orders/{out_trade_no}/pay").Post(wechatpay.M{"out_trade_no": "NONE"})
	apiError(t, err, 404, "ORDER_NOT_EXIST", "")

	if _, err := c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
		"out_trade_no": "ADMIN-1", "out_refund_no": "ADMIN-R", "notify_url": url, "amount": wechatpay.M{"refund": 100, "total": 100, "currency": "CNY"}}}); err != nil {
		t.Fatal(err)
	}
	res, err = c.Chain("_sandbox/refunds/{out_refund_no}/complete").Post(wechatpay.M{"out_refund_no": "ADMIN-R"})
	if err != nil || res.Get("refund.status").String() != "SUCCESS" || !res.Get("notification.delivered").Bool() {
		t.Fatalf("%v %s", err, res.Body)
	}
	res, err = c.Chain("_sandbox/orders").Get()
	if err != nil || res.Get("data.0.out_trade_no").String() != "ADMIN-1" || res.Get("data.0.trade_state").String() != "REFUND" {
		t.Fatalf("%v %s", err, res.Body)
	}
	res, err = c.Chain("_sandbox/orders/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "ADMIN-1"})
	if err != nil || res.Get("refunds.0.out_refund_no").String() != "ADMIN-R" {
		t.Fatalf("%v %s", err, res.Body)
	}

	// A notification of the catalog, by event type, with a field set.
	res, err = c.Chain("_sandbox/notify").Post(wechatpay.M{"json": wechatpay.M{
		"webhook": "REFUND.SUCCESS", "url": url, "set": wechatpay.M{"out_refund_no": "TRIGGERED", "amount.refund": 7},
	}})
	if err != nil || res.Get("notification.attempts.0.status").Int() != 204 || !strings.Contains(res.Get("notification.sent.plaintext").String(), `"out_refund_no":"TRIGGERED"`) {
		t.Fatalf("%v %s", err, res.Body)
	}
	m.mu.Lock()
	got := string(m.got[len(m.got)-1])
	m.mu.Unlock()
	if !strings.Contains(got, `"out_refund_no":"TRIGGERED"`) || !strings.Contains(got, `"refund":7`) {
		t.Fatalf("%s", got)
	}
	_, err = c.Chain("_sandbox/notify").Post(wechatpay.M{"json": wechatpay.M{"webhook": "NO.SUCH.EVENT", "url": url}})
	apiError(t, err, 400, "PARAM_ERROR", "")

	res, err = c.Chain("_sandbox/certificates/rotate").Post()
	if err != nil || res.Get("serial_no").String() != srv.Platform.Serial || len(res.Get("certificates").Array()) != 2 {
		t.Fatalf("%v %s", err, res.Body)
	}

	// Unsigned, the route is refused as WeChat Pay refuses.
	resp, err := http.Post(srv.URL+"_sandbox/orders/ADMIN-1/pay", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unsigned: %d", resp.StatusCode)
	}
}

// Orders, payments and refunds from many goroutines at once keep the
// state whole (run with -race).
func TestConcurrentLifecycles(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithRefundDelay(time.Millisecond))
	defer srv.Close()
	c := newClient(t, srv.Config())
	var got sync.Map
	receiver := httptest.NewServer(c.Notifier().Handler(func(_ context.Context, n *wechatpay.Notification) error {
		got.Store(n.EventType+"/"+n.Get("out_trade_no").String(), true)
		return nil
	}))
	defer receiver.Close()
	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for i := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			no := fmt.Sprintf("CONC-%02d", i)
			if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, no, receiver.URL)); err != nil {
				errs <- err
				return
			}
			p, err := srv.Pay(no)
			if err == nil {
				_, err = p.Wait(context.Background())
			}
			if err == nil {
				_, err = c.Chain("v3/refund/domestic/refunds").Post(wechatpay.M{"json": wechatpay.M{
					"out_trade_no": no, "out_refund_no": no + "-R", "notify_url": receiver.URL,
					"amount": wechatpay.M{"refund": 100, "total": 100, "currency": "CNY"}}})
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		n := 0
		got.Range(func(any, any) bool { n++; return true })
		if n == 2*workers {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d notifications of %d", n, 2*workers)
		}
	}
	if orders := srv.Orders(); len(orders) != workers || orders[0].TradeState != "REFUND" {
		t.Fatalf("%+v", orders)
	}
}

// WithoutState answers as the server did before it kept state: an order
// number may be reused, queries answer made-up values, Pay knows nothing.
func TestWithoutState(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithoutState())
	defer srv.Close()
	c := newClient(t, srv.Config())
	for _, url := range []string{"https://example.com/a", "https://example.com/b"} {
		if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "SAME", url)); err != nil {
			t.Fatal(err)
		}
	}
	res, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "SAME", "query": wechatpay.M{"mchid": srv.MchID}})
	if err != nil || res.Get("trade_state").String() != "SUCCESS" {
		t.Fatalf("%v %s", err, res.Body)
	}
	if _, err := srv.Pay("SAME"); !errors.Is(err, wechatpaytest.ErrOrderNotFound) || len(srv.Orders()) != 0 {
		t.Fatalf("%v", err)
	}
}

// A refund whose answer was lost (the connection cut after the server got
// it) was accepted: asked again, it is the same refund, as WeChat Pay
// answers a refund sent again with the same out_refund_no.
func TestRefundAnswerLost(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithRefundDelay(-1))
	defer srv.Close()
	c := newClient(t, srv.Config())
	if _, err := c.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, "LOST-1", "https://example.com/n")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Pay("LOST-1"); err != nil {
		t.Fatal(err)
	}
	refund := wechatpay.M{"json": wechatpay.M{"out_trade_no": "LOST-1", "out_refund_no": "LOST-R",
		"amount": wechatpay.M{"refund": 100, "total": 100, "currency": "CNY"}}}
	srv.Fault("POST v3/refund/domestic/refunds", wechatpaytest.ResetBeforeHeaders().Once())
	_, err := c.Chain("v3/refund/domestic/refunds").Post(refund)
	var te *wechatpay.TransportError
	if !errors.As(err, &te) {
		t.Fatalf("want the connection cut, got %v", err)
	}
	first, ok := srv.Refund("LOST-R")
	if !ok || first.Status != "PROCESSING" {
		t.Fatalf("the refund whose answer was lost was not accepted: %+v", first)
	}
	res, err := c.Chain("v3/refund/domestic/refunds").Post(refund)
	if err != nil || res.Get("refund_id").String() != first.RefundID {
		t.Fatalf("asked again: %v %s", err, res.Body)
	}
}
