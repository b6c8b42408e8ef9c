package wechatpay_test

import (
	"errors"
	"sync/atomic"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// countingVerifier is a MessageVerifier that counts its calls and accepts
// or refuses every signature.
type countingVerifier struct {
	middleware.KeyStore
	calls atomic.Int32
	err   error
}

func (v *countingVerifier) VerifyMessage(serial string, message []byte, signature string) error {
	v.calls.Add(1)
	return v.err
}

func TestVerifierPrefersMessageVerifier(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/certificates", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"data": []any{}})
	})
	c := newClient(t, srv)
	v := &countingVerifier{KeyStore: c.Keys()}
	if err := c.Stack(wechatpay.APIv3).Replace("verifier", middleware.Verifier(v)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v3/certificates").Get(); err != nil || v.calls.Load() != 1 {
		t.Fatalf("err = %v, VerifyMessage called %d times", err, v.calls.Load())
	}
	v.err = errors.New("hsm: no")
	_, err := c.Chain("v3/certificates").Get()
	var ve *wechatpay.VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrBadSignature) || !errors.Is(err, v.err) {
		t.Fatalf("err = %v", err)
	}
}
