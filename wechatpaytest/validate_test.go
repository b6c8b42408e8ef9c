package wechatpaytest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// receiver is a profit sharing receiver (添加分账接收方) whose name, a
// sensitive field, is given by the caller; edit changes the rest.
func receiver(name string, edit func(wechatpay.M)) wechatpay.M {
	body := wechatpay.M{"appid": "wx8888888888888888", "type": "PERSONAL_OPENID",
		"account": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o", "name": name, "relation_type": "STORE"}
	if edit != nil {
		edit(body)
	}
	return wechatpay.M{"json": body}
}

// The strict sandbox refuses, as WeChat Pay does, a value of the wrong
// type, one its enum does not list, one too long, a sensitive field in
// clear text or encrypted for another key than Wechatpay-Serial names,
// and a Wechatpay-Serial that names no key of the merchant: 400
// PARAM_ERROR naming the field (APIv2: err_code PARAM_ERROR).
// WithLenientRequests lets all of them through.
func TestStrictRequests(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.BothModes))
	defer srv.Close()
	lenient := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.BothModes), wechatpaytest.WithLenientRequests())
	defer lenient.Close()

	cases := []struct {
		name      string
		path      string
		opts      func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M
		field     string // detail.field; for APIv2, a word of err_code_des
		location  string
		issue     string
		noSecrets bool // the answer must not show the value
	}{
		{"wrong type", "v3/profitsharing/receivers/add", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			return receiver(encrypt(t, c, "张三"), func(b wechatpay.M) { b["account"] = 1234 })
		}, "/account", "body", "invalid type", false},
		{"enum", "v3/profitsharing/receivers/add", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			return receiver(encrypt(t, c, "张三"), func(b wechatpay.M) { b["relation_type"] = "FRIEND" })
		}, "/relation_type", "body", "invalid enum value", false},
		{"clear text", "v3/profitsharing/receivers/add", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			return receiver("张三丰", nil)
		}, "/name", "body", "not encrypted", true},
		{"encrypted for another key", "v3/profitsharing/receivers/add", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			// Encrypted with the platform certificate, while the client
			// names its public key (PUB_KEY_ID_…) in Wechatpay-Serial.
			ct, err := crypto.EncryptOAEP(srv.Platform.PublicKey(), []byte("张三丰"))
			if err != nil {
				t.Fatal(err)
			}
			return receiver(ct, nil)
		}, "/name", "body", "not encrypted", true},
		{"unknown Wechatpay-Serial", "v3/profitsharing/receivers/add", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			return wechatpay.M{"json": receiver(encrypt(t, c, "张三"), nil)["json"], "headers": wechatpay.M{"Wechatpay-Serial": "PUB_KEY_ID_0114232134912410000000000000"}}
		}, "Wechatpay-Serial", "header", "unknown key", false},
		{"query integer", "v3/marketing/favor/stocks", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			return wechatpay.M{"query": wechatpay.M{"offset": "first", "limit": 10, "stock_creator_mchid": srv.MchID}}
		}, "offset", "query", "invalid type", false},
		{"APIv2 too long", "v2/xdc/apiv2sandbox/pay/orderquery", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			return wechatpay.M{"xml": wechatpay.M{"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "out_trade_no": strings.Repeat("9", 40)}}
		}, "out_trade_no", "", "", false},
		{"APIv2 integer", "v2/pay/micropay", func(srv *wechatpaytest.Server, c *wechatpay.Client) wechatpay.M {
			return wechatpay.M{"xml": wechatpay.M{"appid": "wxd678efh567hg6787", "mch_id": srv.MchID, "body": "image形象店-深圳腾大-QQ公仔",
				"out_trade_no": "1217752501201407033233368018", "total_fee": "one", "spbill_create_ip": "8.8.8.8", "auth_code": "120061098828009406"}}
		}, "total_fee", "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv.Config())
			_, err := c.Chain(tc.path).Do(t.Context(), map[bool]string{true: "GET", false: "POST"}[strings.Contains(tc.path, "stocks")], tc.opts(srv, c))
			var ae *wechatpay.APIError
			var v2 *wechatpay.V2Error
			switch {
			case tc.location == "":
				if !errors.As(err, &v2) || v2.ErrCode != "PARAM_ERROR" || !strings.Contains(v2.ErrCodeDes, tc.field) {
					t.Fatalf("want an APIv2 PARAM_ERROR naming %s, got %v", tc.field, err)
				}
			case !errors.As(err, &ae) || ae.StatusCode != 400 || ae.Code != "PARAM_ERROR" || ae.Detail == nil ||
				ae.Detail.Field != tc.field || ae.Detail.Location != tc.location || ae.Detail.Issue != tc.issue:
				t.Fatalf("want 400 PARAM_ERROR on %s in %s (%s), got %v", tc.field, tc.location, tc.issue, err)
			case tc.noSecrets && (ae.Detail.Value != nil || strings.Contains(string(ae.Response.Body), "张三丰")):
				t.Fatalf("the answer shows the sensitive value: %s", ae.Response.Body)
			}

			lc := newClient(t, lenient.Config())
			if _, err := lc.Chain(tc.path).Do(t.Context(), map[bool]string{true: "GET", false: "POST"}[strings.Contains(tc.path, "stocks")], tc.opts(lenient, lc)); err != nil {
				t.Fatalf("WithLenientRequests: %v", err)
			}
		})
	}
}

func encrypt(t *testing.T, c *wechatpay.Client, s string) string {
	t.Helper()
	enc, err := c.NewSensitiveEncrypter()
	if err != nil {
		t.Fatal(err)
	}
	ct, err := enc.Encrypt(s)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

// A lenient server still refuses a missing required parameter.
func TestLenientRequestsRequired(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithLenientRequests())
	defer srv.Close()
	c := newClient(t, srv.Config())
	_, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "T1"})
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.Detail == nil || ae.Detail.Field != "mchid" || ae.Detail.Location != "query" {
		t.Fatalf("want PARAM_ERROR on mchid in query, got %v", err)
	}
}
