package wechatpay_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// serialOrder is a Native order (Native下单), one of the endpoints whose
// documentation asks for Wechatpay-Serial; no header is given.
func serialOrder(srv *wechatpaytest.Server, n int) wechatpay.M {
	return wechatpay.M{"json": wechatpay.M{
		"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
		"out_trade_no": fmt.Sprintf("SERIAL%d", n), "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
		"amount": wechatpay.M{"total": 1, "currency": "CNY"},
	}}
}

// An APIv3 request without Wechatpay-Serial gets the key the client
// verifies and encrypts with: the public key ID when there is one, else
// the platform certificate serial. Before the wechatpay_serial step the
// sandbox, as WeChat Pay, answered 400 PARAM_ERROR.
func TestSerialHeaderSetForYou(t *testing.T) {
	for i, mode := range []wechatpaytest.Mode{wechatpaytest.CertificateMode, wechatpaytest.PublicKeyMode, wechatpaytest.BothModes} {
		srv := wechatpaytest.NewServer(wechatpaytest.WithMode(mode))
		defer srv.Close()
		c := newClient(t, srv)
		if _, err := c.Chain("v3/pay/transactions/native").Post(serialOrder(srv, i)); err != nil {
			t.Fatalf("mode %d: %v", mode, err)
		}
		want := srv.PublicKeyID
		if mode == wechatpaytest.CertificateMode {
			want = srv.Platform.Serial
		}
		if got := srv.Received()[0].Header.Get("Wechatpay-Serial"); got != want {
			t.Errorf("mode %d: Wechatpay-Serial %q, want %q", mode, got, want)
		}
	}
}

// During a rotation the newest valid platform certificate is named: the
// one valid the longest when both were issued in the same second.
func TestSerialHeaderNewestCertificate(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithRotationOverlap(time.Hour))
	defer srv.Close()
	old := srv.Platform.Serial
	if _, err := srv.RotatePlatformCertificate(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, srv)
	if got := c.Keys().Len(); got != 2 {
		t.Fatalf("the client trusts %d keys, want the old and the new certificate", got)
	}
	if _, err := c.Chain("v3/pay/transactions/native").Post(serialOrder(srv, 1)); err != nil {
		t.Fatal(err)
	}
	if got := srv.Received()[0].Header.Get("Wechatpay-Serial"); got != srv.Platform.Serial || got == old {
		t.Errorf("Wechatpay-Serial %q, want the new certificate's %q", got, srv.Platform.Serial)
	}
}

// A header the caller gives wins, as a SensitiveEncrypter's does.
func TestSerialHeaderCallerWins(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.BothModes))
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"serial": r.Header.Get("Wechatpay-Serial")})
	})
	c := newClient(t, srv)
	res, err := c.Chain("v3/x").Get(wechatpay.M{"headers": wechatpay.M{"Wechatpay-Serial": srv.Platform.Serial}})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Get("serial").String(); got != srv.Platform.Serial {
		t.Errorf("Wechatpay-Serial %q, want the caller's %q", got, srv.Platform.Serial)
	}
	if res, err = c.Chain("v3/x").Get(); err != nil || res.Get("serial").String() != srv.PublicKeyID {
		t.Errorf("without a header: %v, %s; want %s", err, res.Body, srv.PublicKeyID)
	}
}

// The step stays when the signer is replaced, and can be removed by name.
func TestSerialHeaderStep(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	cfg := srv.Config()
	signed := 0
	signer := middleware.Signer(cfg.MchID, cfg.Serial, srv.Merchant.Key)
	err := c.Stack(wechatpay.APIv3).Replace("signer", func(next middleware.Handler) middleware.Handler {
		signed++
		return signer(next)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v3/pay/transactions/native").Post(serialOrder(srv, 2)); err != nil || signed == 0 {
		t.Fatalf("with a replaced signer: %v (signer used: %v)", err, signed > 0)
	}
	if err := c.Stack(wechatpay.APIv3).Remove("wechatpay_serial"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Chain("v3/pay/transactions/native").Post(serialOrder(srv, 3))
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.Code != "PARAM_ERROR" || ae.Detail == nil || ae.Detail.Field != "Wechatpay-Serial" {
		t.Fatalf("without the step: want PARAM_ERROR on Wechatpay-Serial, got %v", err)
	}
}
