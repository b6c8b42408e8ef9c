package validate_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/validate"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

var orderNo atomic.Int64

// nativeOrder is a valid Native order (Native下单) with a nested object
// and an array of objects, changed by edit.
func nativeOrder(srv *wechatpaytest.Server, edit func(body wechatpay.M)) wechatpay.M {
	body := wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
		"out_trade_no": fmt.Sprintf("VALIDATE%d", orderNo.Add(1)), "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
		"amount": wechatpay.M{"total": 100, "currency": "CNY"},
		"detail": wechatpay.M{"goods_detail": []wechatpay.M{{"merchant_goods_id": "1246464644", "quantity": 1, "unit_price": 528800}}},
	}
	if edit != nil {
		edit(body)
	}
	return wechatpay.M{"json": body}
}

func goods(body wechatpay.M) wechatpay.M {
	return body["detail"].(wechatpay.M)["goods_detail"].([]wechatpay.M)[0]
}

// mistake is a request with something wrong, what the validate step says,
// and what the sandbox answers when it is sent unvalidated.
type mistake struct {
	name   string
	method string
	path   string
	opts   func(srv *wechatpaytest.Server, enc func(string) string) wechatpay.M
	media  func(t *testing.T) *wechatpay.Media // an upload's body
	kind   validate.Kind
	field  string // as the ValidationError names it
	// srvField is what the sandbox's PARAM_ERROR names: an APIv3
	// detail.field, or text of an APIv2 err_code_des / return_msg; ""
	// when the sandbox, as WeChat Pay, lets it through.
	srvField, srvLocation string
}

var mistakes = []mistake{
	// APIv3 JSON bodies: nested objects and arrays of objects.
	{name: "integer as a string", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { b["amount"] = wechatpay.M{"total": "100", "currency": "CNY"} })
		},
		kind: validate.WrongType, field: "amount.total", srvField: "/amount/total", srvLocation: "body"},
	{name: "missing nested field", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { b["amount"] = wechatpay.M{"currency": "CNY"} })
		},
		kind: validate.Missing, field: "amount.total", srvField: "/amount/total", srvLocation: "body"},
	{name: "wrong type in an array", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { goods(b)["quantity"] = 1.5 })
		},
		kind: validate.WrongType, field: "detail.goods_detail[0].quantity", srvField: "/detail/goods_detail/0/quantity", srvLocation: "body"},
	{name: "missing in an array", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { delete(goods(b), "unit_price") })
		},
		kind: validate.Missing, field: "detail.goods_detail[0].unit_price", srvField: "/detail/goods_detail/0/unit_price", srvLocation: "body"},
	{name: "enum of a string array", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { b["limit_pay"] = []string{"no_cash"} })
		},
		kind: validate.NotInEnum, field: "limit_pay[0]", srvField: "/limit_pay/0", srvLocation: "body"},
	{name: "enum", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, enc func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) {
				b["payer"] = wechatpay.M{"identity": wechatpay.M{"type": "PASSPORT", "number": enc("E12345678"), "name": enc("张三")}}
			})
		},
		kind: validate.NotInEnum, field: "payer.identity.type", srvField: "/payer/identity/type", srvLocation: "body"},
	{name: "sensitive field in clear text", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, enc func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) {
				b["payer"] = wechatpay.M{"identity": wechatpay.M{"type": "IDCARD", "number": "110101199003071234", "name": enc("张三")}}
			})
		},
		kind: validate.NotEncrypted, field: "payer.identity.number", srvField: "/payer/identity/number", srvLocation: "body"},
	{name: "object for a string", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { b["description"] = wechatpay.M{"zh": "公仔"} })
		},
		kind: validate.WrongType, field: "description", srvField: "/description", srvLocation: "body"},
	{name: "boolean as a string", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { b["settle_info"] = wechatpay.M{"profit_sharing": "false"} })
		},
		kind: validate.WrongType, field: "settle_info.profit_sharing", srvField: "/settle_info/profit_sharing", srvLocation: "body"},
	{name: "typo'd field name", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { b["out_trade_noo"] = b["out_trade_no"]; delete(b, "out_trade_no") })
		},
		kind: validate.Unknown, field: "out_trade_noo", srvField: "/out_trade_no", srvLocation: "body"},
	{name: "undocumented field", method: "POST", path: "v3/pay/transactions/native",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return nativeOrder(srv, func(b wechatpay.M) { b["coupon"] = "SUMMER" })
		},
		kind: validate.Unknown, field: "coupon"},

	// APIv3 queries and URI template variables.
	{name: "missing query parameter", method: "GET", path: "v3/pay/transactions/out-trade-no/{out_trade_no}",
		opts: func(*wechatpaytest.Server, func(string) string) wechatpay.M {
			return wechatpay.M{"out_trade_no": "1217752501201407033233368018"}
		},
		kind: validate.Missing, field: "query.mchid", srvField: "mchid", srvLocation: "query"},
	{name: "query enum", method: "GET", path: "v3/bill/tradebill",
		opts: func(*wechatpaytest.Server, func(string) string) wechatpay.M {
			return wechatpay.M{"query": wechatpay.M{"bill_date": "2024-06-01", "bill_type": "EVERYTHING"}}
		},
		kind: validate.NotInEnum, field: "query.bill_type", srvField: "bill_type", srvLocation: "query"},
	{name: "query integer", method: "GET", path: "v3/marketing/favor/stocks",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return wechatpay.M{"query": wechatpay.M{"offset": 0, "limit": "ten", "stock_creator_mchid": srv.MchID}}
		},
		kind: validate.WrongType, field: "query.limit", srvField: "limit", srvLocation: "query"},
	{name: "typo'd query parameter", method: "GET", path: "v3/bill/tradebill",
		opts: func(*wechatpaytest.Server, func(string) string) wechatpay.M {
			return wechatpay.M{"query": wechatpay.M{"bill_dat": "2024-06-01"}}
		},
		kind: validate.Unknown, field: "query.bill_dat", srvField: "bill_date", srvLocation: "query"},
	{name: "URI variable type", method: "GET", path: "v3/applyment4sub/applyment/applyment_id/{applyment_id}",
		opts: func(*wechatpaytest.Server, func(string) string) wechatpay.M {
			return wechatpay.M{"applyment_id": "APPLY-2000002124775691"}
		},
		kind: validate.WrongType, field: "{applyment_id}", srvField: "applyment_id", srvLocation: "path"},

	// APIv2 XML fields, before nonce_str and sign are added.
	{name: "APIv2 integer", method: "POST", path: "v2/pay/unifiedorder",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return unifiedOrder(srv, "total_fee", "1.00")
		},
		kind: validate.WrongType, field: "xml.total_fee", srvField: "total_fee"},
	{name: "APIv2 enum", method: "POST", path: "v2/pay/unifiedorder",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return unifiedOrder(srv, "receipt", "YES")
		},
		kind: validate.NotInEnum, field: "xml.receipt", srvField: "receipt"},
	{name: "APIv2 JSON-encoded field", method: "POST", path: "v2/pay/unifiedorder",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return unifiedOrder(srv, "detail", `{"goods_detail":[{"quantity":"1"}]}`)
		},
		kind: validate.WrongType, field: "xml.detail.goods_detail[0].quantity", srvField: "quantity"},
	{name: "APIv2 field that is not JSON", method: "POST", path: "v2/pay/unifiedorder",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return unifiedOrder(srv, "scene_info", "{store_info:")
		},
		kind: validate.Malformed, field: "xml.scene_info", srvField: "scene_info"},
	{name: "APIv2 alternatives", method: "POST", path: "v2/pay/orderquery",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return wechatpay.M{"xml": wechatpay.M{"appid": "wxd678efh567hg6787", "mch_id": srv.MchID}}
		},
		kind: validate.Missing, field: "xml.transaction_id", srvField: "transaction_id/out_trade_no"},
	{name: "APIv2 variant", method: "POST", path: "v2/transit/pay/payapply",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return transitPay(srv, `{"scene_info":{"line_name":"1号线","plate_number":"粤B12345"}}`)
		},
		kind: validate.Missing, field: "xml.scene_info.scene_info.start_time", srvField: "start_time"},
	{name: "APIv2 max_length", method: "POST", path: "v2/xdc/apiv2sandbox/pay/orderquery",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return wechatpay.M{"xml": wechatpay.M{"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "out_trade_no": strings.Repeat("1", 33)}}
		},
		kind: validate.TooLong, field: "xml.out_trade_no", srvField: "out_trade_no"},
	{name: "APIv2 mutual TLS", method: "POST", path: "v2/secapi/pay/refund",
		opts: func(srv *wechatpaytest.Server, _ func(string) string) wechatpay.M {
			return wechatpay.M{"xml": wechatpay.M{"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "out_trade_no": "1217752501201407033233368018",
				"out_refund_no": "R1217752501201407033233368018", "total_fee": 100, "refund_fee": 100}}
		},
		kind: validate.NotConst, field: "security", srvField: "商户API证书"},

	// Uploads: the meta JSON of the form.
	{name: "upload meta missing a field", method: "POST", path: "v3/merchant/media/upload",
		media: func(t *testing.T) *wechatpay.Media {
			return media(t, wechatpay.MediaMeta(map[string]any{"filename": nil}))
		},
		kind: validate.Missing, field: "meta.filename", srvField: "/meta/filename", srvLocation: "body"},
	{name: "upload meta of the wrong type", method: "POST", path: "v3/marketing/bank/packages/{package_id}/tasks",
		opts: func(*wechatpaytest.Server, func(string) string) wechatpay.M {
			return wechatpay.M{"package_id": "8473295"}
		},
		media: func(t *testing.T) *wechatpay.Media {
			return media(t, wechatpay.MediaMeta(map[string]any{"bank_type": 1002}))
		},
		kind: validate.WrongType, field: "meta.bank_type", srvField: "/meta/bank_type", srvLocation: "body"},
}

func unifiedOrder(srv *wechatpaytest.Server, key, value string) wechatpay.M {
	fields := wechatpay.M{
		"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "body": "腾讯充值中心-QQ会员充值",
		"out_trade_no": fmt.Sprintf("VALIDATE%d", orderNo.Add(1)), "total_fee": "888", "spbill_create_ip": "123.12.12.123",
		"notify_url": "https://www.weixin.qq.com/wxpay/pay.php", "trade_type": "NATIVE",
	}
	fields[key] = value
	return wechatpay.M{"xml": fields}
}

func transitPay(srv *wechatpaytest.Server, sceneInfo string) wechatpay.M {
	return wechatpay.M{"xml": wechatpay.M{
		"appid": "wxcbda96de0b165486", "mch_id": srv.MchID, "sign_type": "HMAC-SHA256", "body": "公交代扣",
		"out_trade_no": fmt.Sprintf("VALIDATE%d", orderNo.Add(1)), "total_fee": "888", "spbill_create_ip": "8.8.8.8",
		"notify_url": "http://yoursite.com/wxpay.html", "trade_type": "PAP", "contract_id": "Wx15463511252015071056489715",
		"trade_scene": "BUS", "scene_info": sceneInfo, "version": "2.0",
	}}
}

func media(t *testing.T, opts ...wechatpay.MediaOption) *wechatpay.Media {
	m, err := wechatpay.NewMedia("image.jpg", bytes.NewReader([]byte("\xff\xd8\xff\xe0 wechatpaytest image")), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// send makes the mistake's call.
func (m mistake) send(t *testing.T, srv *wechatpaytest.Server, client *wechatpay.Client) error {
	t.Helper()
	enc, err := client.NewSensitiveEncrypter()
	if err != nil {
		t.Fatal(err)
	}
	encrypt := func(s string) string {
		ct, err := enc.Encrypt(s)
		if err != nil {
			t.Fatal(err)
		}
		return ct
	}
	var opts []wechatpay.Opts
	if m.opts != nil {
		opts = append(opts, m.opts(srv, encrypt))
	}
	if m.media != nil {
		_, err = client.Upload(context.Background(), m.path, m.media(t), opts...)
		return err
	}
	_, err = client.Chain(m.path).Do(context.Background(), m.method, opts...)
	return err
}

// Each kind of mistake, on a spread of endpoints, is refused with a
// *ValidationError naming the field, and the server receives nothing.
// Sent without validation, the same request gets the sandbox's PARAM_ERROR
// naming the field, as WeChat Pay answers.
func TestMistakes(t *testing.T) {
	srv := wechatpaytest.NewTLSServer()
	defer srv.Close()
	checked := newClient(t, srv)
	var warnings []validate.Warning
	var mu sync.Mutex
	if err := validate.Install(checked, validate.Options{Strict: true, OnWarning: func(_ context.Context, w validate.Warning) {
		mu.Lock()
		warnings = append(warnings, w)
		mu.Unlock()
	}}); err != nil {
		t.Fatal(err)
	}
	unchecked := newClient(t, srv)

	for _, m := range mistakes {
		t.Run(m.name, func(t *testing.T) {
			srv.Reset()
			err := m.send(t, srv, checked)
			var ve *validate.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, validate.ErrInvalid) {
				t.Fatalf("want a *ValidationError, got %v", err)
			}
			if !ve.Has(m.kind, m.field) {
				t.Errorf("want a %s problem on %s, got %v", m.kind, m.field, err)
			}
			if got := srv.Received(); len(got) != 0 {
				t.Errorf("the server received %d requests, want none: %+v", len(got), got[0])
			}

			err = m.send(t, srv, unchecked)
			if m.srvField == "" {
				if err != nil {
					t.Errorf("unvalidated, the sandbox should take it: %v", err)
				}
				return
			}
			var ae *wechatpay.APIError
			var v2 *wechatpay.V2Error
			switch {
			case errors.As(err, &ae):
				if ae.Code != "PARAM_ERROR" || ae.Detail == nil || ae.Detail.Field != m.srvField || ae.Detail.Location != m.srvLocation {
					t.Errorf("want the sandbox's PARAM_ERROR on %s in %s, got %v", m.srvField, m.srvLocation, err)
				}
			case errors.As(err, &v2):
				if !strings.Contains(v2.ErrCodeDes+v2.ReturnMsg, m.srvField) {
					t.Errorf("want the sandbox's APIv2 failure naming %s, got %v", m.srvField, err)
				}
			default:
				t.Errorf("want the sandbox's PARAM_ERROR naming %s, got %v", m.srvField, err)
			}
		})
	}
	for _, w := range warnings {
		t.Errorf("unexpected warning: %s", w)
	}
}

// Outside strict mode an undocumented field is a warning, and the call is
// sent.
func TestUnknownFieldWarns(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client := newClient(t, srv)
	var got []validate.Warning
	if err := validate.Install(client, validate.Options{OnWarning: func(_ context.Context, w validate.Warning) { got = append(got, w) }}); err != nil {
		t.Fatal(err)
	}
	_, err := client.Chain("v3/pay/transactions/native").Post(nativeOrder(srv, func(b wechatpay.M) { b["descriptoin"] = "typo" }))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != validate.Unknown || got[0].Field() != "descriptoin" || !strings.Contains(got[0].Issue, `"description"`) {
		t.Fatalf("want one warning on descriptoin suggesting description, got %v", got)
	}
	if srv.Count("POST v3/pay/transactions/native") != 1 {
		t.Fatal("the call was not sent")
	}
}

// A sensitive field's clear text never appears in the error.
func TestClearTextNotPrinted(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client := newClient(t, srv)
	if err := validate.Install(client, validate.Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := client.Chain("v3/profitsharing/receivers/add").Post(wechatpay.M{"json": wechatpay.M{
		"appid": "wx8888888888888888", "type": "PERSONAL_OPENID", "account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
		"name": "张三丰", "relation_type": "STORE",
	}})
	var ve *validate.ValidationError
	if !errors.As(err, &ve) || !ve.Has(validate.NotEncrypted, "name") {
		t.Fatalf("want NotEncrypted on name, got %v", err)
	}
	if msg := fmt.Sprintf("%v %+v %#v", err, ve, ve); strings.Contains(msg, "张三丰") {
		t.Fatalf("the clear text is printed: %s", msg)
	}
	if !strings.Contains(err.Error(), "client.NewSensitiveEncrypter") {
		t.Errorf("the error does not say how to encrypt: %v", err)
	}
}

// Deprecated endpoints and endpoints the catalog does not know are
// reported, not refused.
func TestWarnings(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/custom/things/{id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"id": r.Vars["id"]})
	})
	client := newClient(t, srv)
	var got []validate.Warning
	if err := validate.Install(client, validate.Options{Strict: true, OnWarning: func(_ context.Context, w validate.Warning) { got = append(got, w) }}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Chain("v3/custom/things/{id}").Get(wechatpay.M{"id": "42"}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != validate.UnknownEndpoint || got[0].Endpoint != "v3/custom/things/{id}" {
		t.Fatalf("want one unknown_endpoint warning, got %v", got)
	}
	got = nil
	// 查询优惠卡订单 is deprecated (已废弃).
	_, err := client.Chain("v3/discount-card/orders/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "6e8369071cd942c0476613f9d1ce9ca3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != validate.Deprecated || got[0].Endpoint != "v3/discount-card/orders/out-trade-no/{out_trade_no}" {
		t.Fatalf("want one deprecated warning, got %v", got)
	}
}

func newClient(t *testing.T, srv *wechatpaytest.Server) *wechatpay.Client {
	t.Helper()
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Requests that use what the documentation allows pass, and are sent: an
// integer written as a float of integral value, one of two documented
// alternatives, the second variant of a field, an upload.
func TestAllowedRequestsPass(t *testing.T) {
	srv := wechatpaytest.NewTLSServer(wechatpaytest.WithoutState())
	defer srv.Close()
	client := newClient(t, srv)
	if err := validate.Install(client, validate.Options{Strict: true, OnWarning: func(_ context.Context, w validate.Warning) {
		t.Errorf("warning: %s", w)
	}}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	calls := []struct {
		method, path string
		opts         wechatpay.M
	}{
		{"POST", "v3/pay/transactions/native", wechatpay.M{"json": json.RawMessage(`{"appid":"wxd678efh567hg6787","mchid":"` + srv.MchID +
			`","description":"d","out_trade_no":"FLOAT1","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":1e2,"currency":"CNY"}}`)}},
		{"POST", "v2/pay/orderquery", wechatpay.M{"xml": wechatpay.M{"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "out_trade_no": "1217752501201407033233368018"}}},
		{"POST", "v2/transit/pay/payapply", transitPay(srv, `{"scene_info":{"start_time":"20170826104339","line_name":"1号线","plate_number":"粤B12345"}}`)},
		{"GET", "v3/bill/tradebill", wechatpay.M{"query": wechatpay.M{"bill_date": "2024-06-01", "bill_type": "ALL"}}},
	}
	for _, c := range calls {
		srv.Reset()
		if _, err := client.Chain(c.path).Do(ctx, c.method, c.opts); err != nil {
			t.Errorf("%s %s: %v", c.method, c.path, err)
		} else if len(srv.Received()) != 1 {
			t.Errorf("%s %s: not sent", c.method, c.path)
		}
	}
	if _, err := client.Upload(ctx, "v3/merchant/media/upload", media(t)); err != nil {
		t.Errorf("upload: %v", err)
	}
}

// Install puts the step before signer and transform_request, once;
// installing again replaces it.
func TestInstallPlaces(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	client := newClient(t, srv)
	for range 2 {
		if err := validate.Install(client, validate.Options{}); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Join(client.Stack(wechatpay.APIv3).Names(), ","); got != "verifier,http_errors,wechatpay_serial,validate,signer" {
		t.Errorf("APIv3 stack: %s", got)
	}
	if got := strings.Join(client.Stack(wechatpay.APIv2).Names(), ","); got != "transform_response,http_errors,validate,transform_request" {
		t.Errorf("APIv2 stack: %s", got)
	}
}
