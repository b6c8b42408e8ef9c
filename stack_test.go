package wechatpay_test

import (
	"context"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

func TestStackNames(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	if got := strings.Join(c.Stack(wechatpay.APIv3).Names(), ","); got != "verifier,http_errors,wechatpay_serial,signer" {
		t.Fatal(got)
	}
	if got := strings.Join(c.Stack(wechatpay.APIv2).Names(), ","); got != "transform_response,http_errors,transform_request" {
		t.Fatal(got)
	}
}

// Steps inserted by name run in the order their places say, and edits apply
// to later calls.
func TestStackEdits(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	c := newClient(t, srv)
	s := c.Stack(wechatpay.APIv3)
	var trace []string
	step := func(name string) middleware.Middleware {
		return func(next middleware.Handler) middleware.Handler {
			return middleware.HandlerFunc(func(ctx context.Context, r *middleware.Request) (*middleware.Response, error) {
				trace = append(trace, name+">"+strconv.FormatBool(r.Header.Get("Authorization") != ""))
				res, err := next.Handle(ctx, r)
				trace = append(trace, "<"+name)
				return res, err
			})
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.Before("signer", "before_signer", step("b")))
	must(s.After("signer", "after_signer", step("a")))
	must(s.Unshift("outermost", step("o")))
	must(s.Push("innermost", step("i")))
	if got := strings.Join(s.Names(), ","); got != "outermost,verifier,http_errors,wechatpay_serial,before_signer,signer,after_signer,innermost" {
		t.Fatal(got)
	}
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(trace, " "); got != "o>false b>false a>true i>true <i <a <b <o" {
		t.Fatal(got)
	}
	if err := s.Before("nope", "x", step("x")); !errors.Is(err, middleware.ErrStepNotFound) {
		t.Fatal(err)
	}
	if err := s.Push("signer", step("x")); !errors.Is(err, middleware.ErrStepExists) {
		t.Fatal(err)
	}
	if err := s.Push("", step("x")); !errors.Is(err, middleware.ErrStepInvalid) {
		t.Fatal(err)
	}
	if err := s.Replace("nope", step("x")); !errors.Is(err, middleware.ErrStepNotFound) {
		t.Fatal(err)
	}
	for _, n := range []string{"outermost", "before_signer", "after_signer", "innermost"} {
		must(s.Remove(n))
	}
	if err := s.Remove("innermost"); !errors.Is(err, middleware.ErrStepNotFound) {
		t.Fatal(err)
	}
	trace = nil
	if _, err := c.Chain("v3/x").Get(); err != nil || len(trace) != 0 {
		t.Fatal(trace, err)
	}

	// A per-call stack: the verifier removed for one call only.
	srv.HandleFunc("GET", "v3/unsigned", func(*wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte("{}"), Unsigned: true}
	})
	own := s.Clone()
	must(own.Remove("verifier"))
	if _, err := c.Chain("v3/unsigned").Get(wechatpay.M{"handler": own}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v3/unsigned").Get(); !errors.Is(err, wechatpay.ErrMissingHeaders) {
		t.Fatal(err)
	}
}

// The customisation the PHP README shows: a central signing service signs
// requests and a central verifying service checks answers, both over HTTP.
// The PHP example's verifier accepts what fails verification; this one
// rejects it.
func TestRemoteSignerAndVerifier(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]string{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
	})

	// The signing service holds the merchant key; the verifying service
	// holds the platform certificate.
	signing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, _ := io.ReadAll(r.Body)
		d := sha256.Sum256(msg)
		sig, _ := rsa.SignPKCS1v15(rand.Reader, srv.Merchant.Key, stdcrypto.SHA256, d[:])
		w.Write([]byte(base64.StdEncoding.EncodeToString(sig)))
	}))
	defer signing.Close()
	verifying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in struct{ Message, Signature, Serial string }
		json.NewDecoder(r.Body).Decode(&in)
		sig, _ := base64.StdEncoding.DecodeString(in.Signature)
		d := sha256.Sum256([]byte(in.Message))
		if in.Serial != srv.Platform.Serial || rsa.VerifyPKCS1v15(&srv.Platform.Key.PublicKey, stdcrypto.SHA256, d[:], sig) != nil {
			w.WriteHeader(http.StatusForbidden)
		}
	}))
	defer verifying.Close()

	remoteSigner := func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, r *middleware.Request) (*middleware.Response, error) {
			nonce, ts := formatter.Nonce(), strconv.FormatInt(formatter.Timestamp(), 10)
			msg := formatter.AppendRequest(nil, r.Method, r.Target(), ts, nonce, r.Body)
			res, err := http.Post(signing.URL, "text/plain", strings.NewReader(string(msg)))
			if err != nil {
				return nil, &middleware.SignError{Err: err}
			}
			sig, _ := io.ReadAll(res.Body)
			res.Body.Close()
			r.Header.Set("Authorization", formatter.Authorization(srv.MchID, nonce, string(sig), ts, srv.Merchant.Serial))
			return next.Handle(ctx, r)
		})
	}
	rejected := 0
	remoteVerifier := func(next middleware.Handler) middleware.Handler {
		return middleware.HandlerFunc(func(ctx context.Context, r *middleware.Request) (*middleware.Response, error) {
			res, err := next.Handle(ctx, r)
			if err != nil {
				return res, err
			}
			in, _ := json.Marshal(map[string]string{
				"Message":   string(formatter.AppendResponse(nil, res.Header.Get("Wechatpay-Timestamp"), res.Header.Get("Wechatpay-Nonce"), res.Body)),
				"Signature": res.Header.Get("Wechatpay-Signature"), "Serial": res.Header.Get("Wechatpay-Serial"),
			})
			vr, err := http.Post(verifying.URL, "application/json", strings.NewReader(string(in)))
			if err != nil {
				return nil, err
			}
			vr.Body.Close()
			if vr.StatusCode != http.StatusOK {
				rejected++
				return nil, &middleware.VerifyError{Err: middleware.ErrBadSignature, Response: res}
			}
			return res, nil
		})
	}

	// The client holds no private key at all: the signer is replaced.
	cfg := srv.Config()
	c := newClient(t, srv)
	if err := c.Stack(wechatpay.APIv3).Replace("signer", remoteSigner); err != nil {
		t.Fatal(err)
	}
	if err := c.Stack(wechatpay.APIv3).Replace("verifier", remoteVerifier); err != nil {
		t.Fatal(err)
	}
	_ = cfg
	res, err := c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{"out_trade_no": "1"}})
	if err != nil || res.Get("code_url").String() == "" {
		t.Fatal(res, err)
	}
	// A tampered answer is rejected by the remote verifier.
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Header: signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, formatter.Timestamp(), `{"code_url":"weixin://original"}`),
			Body: []byte(`{"code_url":"weixin://tampered"}`), Unsigned: true}
	})
	_, err = c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{"out_trade_no": "1"}})
	if !errors.Is(err, wechatpay.ErrBadSignature) || rejected != 1 {
		t.Fatal(err, rejected)
	}
}
