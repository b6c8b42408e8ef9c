package wechatpay_test

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// signedHeaders signs body as WeChat Pay does, with key and serial, at ts.
func signedHeaders(t testing.TB, key *rsa.PrivateKey, serial string, ts int64, body string) http.Header {
	t.Helper()
	nonce := "n0nce"
	msg := strconv.FormatInt(ts, 10) + "\n" + nonce + "\n" + body + "\n"
	d := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, stdcrypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return http.Header{
		"Wechatpay-Timestamp": {strconv.FormatInt(ts, 10)}, "Wechatpay-Nonce": {nonce},
		"Wechatpay-Serial": {serial}, "Wechatpay-Signature": {base64.StdEncoding.EncodeToString(sig)},
	}
}

func TestVerificationFailures(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	now := time.Now().Unix()
	body := `{"ok":true}`
	cases := []struct {
		name   string
		header http.Header
		want   error
	}{
		{"missing headers", http.Header{}, wechatpay.ErrMissingHeaders},
		{"stale timestamp", signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, now-301, body), wechatpay.ErrClockSkew},
		{"future timestamp", signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, now+400, body), wechatpay.ErrClockSkew},
		{"unknown serial", signedHeaders(t, srv.Platform.Key, "5157F09EFDC096DE15EBE81A47057A72", now, body), wechatpay.ErrUnknownSerial},
		{"wrong key", signedHeaders(t, other, srv.Platform.Serial, now, body), wechatpay.ErrBadSignature},
		{"other body", signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, now, `{"ok":false}`), wechatpay.ErrBadSignature},
		{"signtest probe", func() http.Header {
			h := signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, now, body)
			h.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+h.Get("Wechatpay-Signature"))
			return h
		}(), wechatpay.ErrSignTest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
				return &wechatpaytest.Answer{Status: 200, Header: tc.header, Body: []byte(body), Unsigned: true}
			})
			res, err := c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{"out_trade_no": "1"}})
			var ve *wechatpay.VerifyError
			if res != nil || !errors.As(err, &ve) || !errors.Is(err, tc.want) {
				t.Fatalf("got %v, %v; want a *VerifyError wrapping %v", res, err, tc.want)
			}
			// The unverified answer is kept for reconciliation.
			if ve.Response == nil || string(ve.Response.Body) != body || ve.Response.RequestID() == "" {
				t.Fatalf("response %+v", ve.Response)
			}
		})
	}
	// The answer is right when signed right: the failures above are the
	// verifier's doing, not the test's.
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Header: signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, now, body), Body: []byte(body), Unsigned: true}
	})
	if _, err := c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{}}); err != nil {
		t.Fatal(err)
	}
}

func TestPublicKeyModes(t *testing.T) {
	for _, tc := range []struct {
		server, client wechatpaytest.Mode
		ok             bool
	}{
		{wechatpaytest.CertificateMode, wechatpaytest.CertificateMode, true},
		{wechatpaytest.PublicKeyMode, wechatpaytest.PublicKeyMode, true},
		{wechatpaytest.PublicKeyMode, wechatpaytest.BothModes, true},
		{wechatpaytest.CertificateMode, wechatpaytest.BothModes, true},
		{wechatpaytest.PublicKeyMode, wechatpaytest.CertificateMode, false},
		{wechatpaytest.CertificateMode, wechatpaytest.PublicKeyMode, false},
	} {
		srv := wechatpaytest.NewServer(wechatpaytest.WithMode(tc.server))
		srv.HandleFunc("GET", "v3/x", echo)
		c, err := wechatpay.New(srv.ConfigFor(tc.client))
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Chain("v3/x").Get()
		if tc.ok != (err == nil) || !tc.ok && !errors.Is(err, wechatpay.ErrUnknownSerial) {
			t.Errorf("server %v client %v: %v", tc.server, tc.client, err)
		}
		c.Close()
		srv.Close()
	}
}

// Downloads WeChat Pay does not sign pass unverified; everything else is
// verified.
func TestUnsignedDownloads(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	file := func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: []byte("a,b\n1,2\n"), Unsigned: true}
	}
	for _, p := range []string{
		"v3/billdownload/file", "v3/transferdownload/elecvoucherfile", "v3/transferdownload/signfile",
		"v3/merchant-service/images/{media_id}", "v3/global/merchant-service/images/{media_id}",
	} {
		srv.HandleFunc("GET", p, file)
		opts := wechatpay.M{"query": wechatpay.M{"token": "t"}}
		if p[len(p)-1] == '}' {
			opts["media_id"] = "ChsyMDAwMDAxOTAwMDAxMDk5MDA="
		}
		res, err := c.Chain(p).Get(opts)
		if err != nil || string(res.Body) != "a,b\n1,2\n" {
			t.Errorf("%s: %v %v", p, res, err)
		}
	}
	// The upload next to the images is a normal, signed call.
	srv.HandleFunc("POST", "v3/merchant-service/images/upload", file)
	if _, err := c.Chain("v3/merchant-service/images/upload").Post(wechatpay.M{"body": "x"}); !errors.Is(err, wechatpay.ErrMissingHeaders) {
		t.Errorf("upload: %v", err)
	}
	srv.HandleFunc("GET", "v3/bill/tradebill", file)
	if _, err := c.Chain("v3/bill/tradebill").Get(); !errors.Is(err, wechatpay.ErrMissingHeaders) {
		t.Errorf("tradebill: %v", err)
	}
}

// Overseas statements are signed over {"sha1":"…"} and their body must
// hash to it.
func TestStatements(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	csv := "Date,Amount\n2018-01-30,100\n"
	sum := sha1.Sum([]byte(csv))
	digest := hex.EncodeToString(sum[:])
	answer := func(claimed string) wechatpaytest.HandlerFunc {
		return func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			h := signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, time.Now().Unix(), `{"sha1":"`+claimed+`"}`)
			h.Set("Wechatpay-Statement-Sha1", claimed)
			return &wechatpaytest.Answer{Header: h, Body: []byte(csv), Unsigned: true}
		}
	}
	for _, p := range []string{"hk/v3/statements", "v3/global/statements"} {
		srv.HandleFunc("GET", p, answer(digest))
	}
	opts := wechatpay.M{"base_uri": srv.URL + "hk/", "query": wechatpay.M{"date": "20180130"}}
	res, err := c.Chain("v3/statements").Get(opts)
	if err != nil || string(res.Body) != csv {
		t.Fatal(res, err)
	}
	res, err = c.Chain("v3/global/statements").Get(wechatpay.M{"query": wechatpay.M{"date": "20180130"}})
	if err != nil || string(res.Body) != csv {
		t.Fatal(res, err)
	}
	// A signed digest that the body does not match.
	wrong := sha1.Sum([]byte("other"))
	srv.HandleFunc("GET", "hk/v3/statements", answer(hex.EncodeToString(wrong[:])))
	if _, err := c.Chain("v3/statements").Get(opts); !errors.Is(err, wechatpay.ErrDigestMismatch) {
		t.Fatal(err)
	}
}

func TestAPIError(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		a := wechatpaytest.JSON(400, map[string]any{"code": "PARAM_ERROR", "message": "参数错误",
			"detail": map[string]any{"field": "/amount/currency", "value": "XYZ", "issue": "Currency code is invalid", "location": "body"}})
		a.Header = http.Header{"Request-ID": {"08F78BB5AF0610D302A39E2E2EE7CE0B"}}
		return a
	})
	_, err := c.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{}})
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) {
		t.Fatal(err)
	}
	if ae.StatusCode != 400 || ae.Code != "PARAM_ERROR" || ae.Message != "参数错误" || ae.RequestID != "08F78BB5AF0610D302A39E2E2EE7CE0B" ||
		ae.Detail == nil || ae.Detail.Field != "/amount/currency" || ae.Detail.Location != "body" || ae.Detail.Value != "XYZ" || ae.Response == nil {
		t.Fatalf("%+v", ae)
	}
	want := "wechatpay: 400 Bad Request: PARAM_ERROR: 参数错误 [field /amount/currency in body: Currency code is invalid] (Request-ID 08F78BB5AF0610D302A39E2E2EE7CE0B)"
	if err.Error() != want {
		t.Fatalf("%q", err)
	}
	// The server's own refusal of a request signed with another key.
	cfg := srv.Config()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	cfg.PrivateKey = other
	bad, _ := wechatpay.New(cfg)
	defer bad.Close()
	_, err = bad.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{}})
	if !errors.As(err, &ae) || ae.StatusCode != 401 || ae.Code != "SIGN_ERROR" {
		t.Fatal(err)
	}
	// A non-JSON error page, as a gateway may give.
	srv.HandleFunc("GET", "v3/x", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Status: 502, Body: []byte("<html>Bad Gateway</html>"), Unsigned: true}
	})
	_, err = c.Chain("v3/x").Get()
	if !errors.As(err, &ae) || ae.StatusCode != 502 || ae.Code != "" || string(ae.Response.Body) != "<html>Bad Gateway</html>" {
		t.Fatal(err)
	}
}

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

// An answer signed with the key of a platform certificate that has expired
// is refused, though the signature itself is right.
func TestExpiredPlatformCertificate(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.CertificateMode))
	defer srv.Close()
	srv.HandleFunc("GET", "v3/x", echo)
	expired := *srv.Platform.Cert
	tmpl := &x509.Certificate{SerialNumber: expired.SerialNumber, Subject: expired.Subject,
		NotBefore: time.Now().AddDate(-1, 0, 0), NotAfter: time.Now().Add(-time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &srv.Platform.Key.PublicKey, srv.Platform.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	cfg := srv.Config()
	cfg.Certs = map[string]any{srv.Platform.Serial: cert}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Chain("v3/x").Get()
	var ve *wechatpay.VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, wechatpay.ErrCertificateExpired) {
		t.Fatal(err)
	}
	// The same key as a public key (no validity) verifies.
	cfg.Certs = map[string]any{srv.Platform.Serial: &srv.Platform.Key.PublicKey}
	c2, _ := wechatpay.New(cfg)
	defer c2.Close()
	if _, err := c2.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
}

// A signed answer that goes to a sink is verified over what the sink
// received; one that does not verify leaves no file.
func TestSignedAnswerToSink(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	query := wechatpay.M{"transaction_id": "4200000001", "query": wechatpay.M{"mchid": srv.MchID}}
	ch := c.Chain("v3/pay/transactions/id/{transaction_id}")

	var buf bytes.Buffer
	res, err := ch.Get(query, wechatpay.M{"sink": &buf})
	if err != nil || res.Written != int64(buf.Len()) || !strings.Contains(buf.String(), `"transaction_id":"4200000001"`) {
		t.Fatalf("%v %d %s", err, buf.Len(), buf.String())
	}
	file := filepath.Join(t.TempDir(), "transaction.json")
	if _, err := ch.Get(query, wechatpay.M{"sink": file}); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(file); err != nil || !json.Valid(b) {
		t.Fatalf("%v %s", err, b)
	}

	srv.Fault("GET v3/pay/transactions/id/{transaction_id}", wechatpaytest.BadSignature().Once())
	forged := filepath.Join(t.TempDir(), "forged.json")
	if _, err := ch.Get(query, wechatpay.M{"sink": forged}); !errors.Is(err, wechatpay.ErrBadSignature) {
		t.Fatal(err)
	}
	if _, err := os.Stat(forged); !os.IsNotExist(err) {
		t.Fatalf("a forged answer was saved: %v", err)
	}
}

// The clock check compares without overflow: a Wechatpay-Timestamp 2^63
// seconds away from now, whose difference wraps around in int64, is as
// stale as any other, for answers and notifications alike.
func TestClockCheckWraps(t *testing.T) {
	// Public key mode: no certificate validity period to catch it instead.
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.PublicKeyMode))
	defer srv.Close()
	c := newClient(t, srv)
	body := `{"trade_state":"SUCCESS"}`
	for name, offset := range map[string]int64{
		"now - 2^63":     math.MinInt64,
		"now - 2^63 + 1": math.MinInt64 + 1,
		"now + 2^63 - 1": math.MaxInt64,
		"min int64":      0, // replaced below
	} {
		srv.HandleFunc("GET", "v3/pay/transactions/id/{transaction_id}", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
			ts := time.Now().Unix() + offset // signed as late as possible, so that the second does not tick before the check
			if name == "min int64" {
				ts = math.MinInt64
			}
			return &wechatpaytest.Answer{Header: signedHeaders(t, srv.PublicKey.Key, srv.PublicKeyID, ts, body), Body: []byte(body), Unsigned: true}
		})
		res, err := c.Chain("v3/pay/transactions/id/{transaction_id}").Get(wechatpay.M{"transaction_id": "4200000001"})
		if res != nil || !errors.Is(err, wechatpay.ErrClockSkew) {
			t.Fatalf("answer, %s: %v, %v; want ErrClockSkew", name, res, err)
		}
	}

	nf := notifier(t, srv)
	var calls atomic.Int32
	hs := httptest.NewServer(nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error { calls.Add(1); return nil }))
	defer hs.Close()
	_, b := v3Notification(t, srv, "EV-WRAP", "TRANSACTION.SUCCESS", map[string]string{"trade_state": "SUCCESS"}, time.Now().Unix())
	h := signedHeaders(t, srv.PublicKey.Key, srv.PublicKeyID, time.Now().Unix()+math.MinInt64, string(b))
	req, _ := http.NewRequest("POST", hs.URL, bytes.NewReader(b))
	req.Header = h
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized || calls.Load() != 0 {
		t.Fatalf("notification signed 2^63 s ago: %d, handler called %d times", res.StatusCode, calls.Load())
	}
	if _, err := nf.ParseNotification(h, b); !errors.Is(err, wechatpay.ErrClockSkew) {
		t.Fatal(err)
	}
}
