package remotesign_test

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/remotesign"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// service is a signing service written from the documented wire format, not
// from the Signer's code: it holds the merchant key and signs what it is
// sent.
type service struct {
	*httptest.Server
	key           *rsa.PrivateKey
	mchid, serial string
	token         string        // required Authorization, when set
	delay         time.Duration // before answering
	fail          int           // status to answer instead of signing, when set
	answer        string        // body to answer instead of a signature, when set

	mu       sync.Mutex
	received []map[string]string
}

func newService(t testing.TB, srv *wechatpaytest.Server) *service {
	t.Helper()
	s := &service{key: srv.Merchant.Key, mchid: srv.MchID, serial: srv.Merchant.Serial}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

func (s *service) serve(w http.ResponseWriter, r *http.Request) {
	var req map[string]string
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "want a POST of a JSON object", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.received = append(s.received, req)
	s.mu.Unlock()
	if s.token != "" && r.Header.Get("Authorization") != "Bearer "+s.token {
		http.Error(w, "unknown caller", http.StatusUnauthorized)
		return
	}
	if req["mchid"] != s.mchid || req["serial_no"] != s.serial {
		http.Error(w, "no key for this merchant", http.StatusNotFound)
		return
	}
	select {
	case <-time.After(s.delay):
	case <-r.Context().Done():
		return
	}
	if s.fail != 0 {
		http.Error(w, `{"code":"KEY_DISABLED","message":"the key is disabled"}`, s.fail)
		return
	}
	if s.answer != "" {
		w.Write([]byte(s.answer))
		return
	}
	var digest []byte
	if m, ok := req["message"]; ok {
		msg, err := base64.StdEncoding.DecodeString(m)
		if err != nil {
			http.Error(w, "message is not base64", http.StatusBadRequest)
			return
		}
		sum := sha256.Sum256(msg)
		digest = sum[:]
	} else {
		var err error
		if digest, err = base64.StdEncoding.DecodeString(req["digest"]); err != nil || len(digest) != sha256.Size {
			http.Error(w, "digest is not a base64 SHA-256 hash", http.StatusBadRequest)
			return
		}
	}
	sig, err := rsa.SignPKCS1v15(nil, s.key, stdcrypto.SHA256, digest)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	json.NewEncoder(w).Encode(map[string]string{"signature": base64.StdEncoding.EncodeToString(sig)})
}

func (s *service) requests() []map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]map[string]string(nil), s.received...)
}

// setup starts WeChat Pay and a signing service holding the merchant key.
func setup(t testing.TB) (*wechatpaytest.Server, *service) {
	t.Helper()
	srv := wechatpaytest.NewServer()
	t.Cleanup(srv.Close)
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
	})
	return srv, newService(t, srv)
}

func newSigner(srv *wechatpaytest.Server, svc *service) *remotesign.Signer {
	return &remotesign.Signer{URL: svc.URL + "/v1/sign", MchID: srv.MchID, Serial: srv.Merchant.Serial}
}

func newClient(t testing.TB, srv *wechatpaytest.Server, key stdcrypto.Signer) *wechatpay.Client {
	t.Helper()
	cfg := srv.Config()
	cfg.PrivateKey = key
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func nativeOrder(c *wechatpay.Client, timeout time.Duration) (*wechatpay.Response, error) {
	return c.Chain("v3/pay/transactions/native").Post(wechatpay.M{
		"json":    wechatpay.M{"appid": "wxd678efh567hg6787", "description": "Image形象店-深圳腾大-QQ公仔", "out_trade_no": "1217752501201407033233368018"},
		"timeout": timeout,
	})
}

func TestSignerInConfig(t *testing.T) {
	srv, svc := setup(t)
	res, err := nativeOrder(newClient(t, srv, newSigner(srv, svc)), 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Get("code_url").String() == "" {
		t.Fatalf("%s", res.Body)
	}
	// The service was sent exactly what WeChat Pay checked.
	got, sent := svc.requests(), srv.Received()
	if len(got) != 1 || len(sent) != 1 {
		t.Fatalf("%d signing requests, %d calls", len(got), len(sent))
	}
	msg, _ := base64.StdEncoding.DecodeString(got[0]["message"])
	lines := strings.Split(string(msg), "\n")
	if len(lines) != 6 || lines[0] != "POST" || lines[1] != sent[0].Target || lines[4] != string(sent[0].Body) {
		t.Fatalf("the service signed %q", msg)
	}
	if _, ok := got[0]["digest"]; ok {
		t.Fatal("digest sent along with message")
	}
}

func TestSignerDigestOnly(t *testing.T) {
	srv, svc := setup(t)
	s := newSigner(srv, svc)
	s.DigestOnly = true
	if _, err := nativeOrder(newClient(t, srv, s), 0); err != nil {
		t.Fatal(err)
	}
	got := svc.requests()
	if _, ok := got[0]["message"]; ok || len(got[0]["digest"]) != 44 {
		t.Fatalf("sent %v", got[0])
	}
}

func TestSignerMiddleware(t *testing.T) {
	srv, svc := setup(t)
	c := newClient(t, srv, srv.Merchant.Key)
	if err := c.Stack(wechatpay.APIv3).Replace("signer", newSigner(srv, svc).Middleware()); err != nil {
		t.Fatal(err)
	}
	if _, err := nativeOrder(c, 0); err != nil {
		t.Fatal(err)
	}
	if n := len(svc.requests()); n != 1 {
		t.Fatalf("the service signed %d requests, want 1", n)
	}
}

func TestSignerAsCryptoSigner(t *testing.T) {
	srv, svc := setup(t)
	s := newSigner(srv, svc)
	s.PublicKey = &srv.Merchant.Key.PublicKey
	digest := sha256.Sum256([]byte("GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"))
	got, err := s.Sign(nil, digest[:], stdcrypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := rsa.SignPKCS1v15(nil, srv.Merchant.Key, stdcrypto.SHA256, digest[:])
	if !bytes.Equal(got, want) {
		t.Fatal("the signature differs from crypto/rsa's")
	}
	if pub, ok := s.Public().(*rsa.PublicKey); !ok || !pub.Equal(&srv.Merchant.Key.PublicKey) {
		t.Fatal("Public() is not PublicKey")
	}
	if (&remotesign.Signer{}).Public() != nil {
		t.Fatal("Public() without PublicKey is not nil")
	}
	for name, c := range map[string]struct {
		digest []byte
		opts   stdcrypto.SignerOpts
	}{
		"PSS":          {digest[:], &rsa.PSSOptions{Hash: stdcrypto.SHA256}},
		"SHA-512":      {digest[:], stdcrypto.SHA512},
		"nil opts":     {digest[:], nil},
		"short digest": {digest[:16], stdcrypto.SHA256},
	} {
		if _, err := s.Sign(nil, c.digest, c.opts); err == nil {
			t.Errorf("%s: signed", name)
		}
	}
	if len(svc.requests()) != 1 {
		t.Fatal("bad input reached the service")
	}
}

func TestSignerSendsHeader(t *testing.T) {
	srv, svc := setup(t)
	svc.token = "s3cr3t-token"
	s := newSigner(srv, svc)
	c := newClient(t, srv, s)
	if _, err := nativeOrder(c, 0); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("without the token: %v", err)
	}
	s.Header = http.Header{"Authorization": {"Bearer s3cr3t-token"}}
	if _, err := nativeOrder(c, 0); err != nil {
		t.Fatal(err)
	}
}

// assertNotSent checks that err is a *SignError matching want (when not
// nil) and mentioning text, and that WeChat Pay received nothing.
func assertNotSent(t *testing.T, srv *wechatpaytest.Server, err, want error, text string) {
	t.Helper()
	var se *wechatpay.SignError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a *SignError", err, err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Fatalf("err = %v, want it to match %v", err, want)
	}
	if !strings.Contains(err.Error(), text) {
		t.Fatalf("err = %v, want it to mention %q", err, text)
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("WeChat Pay received %d requests, want none", n)
	}
}

func TestSignerFailures(t *testing.T) {
	srv, _ := setup(t)
	other, err := wechatpaytest.NewIdentity("another merchant")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		set  func(*service, *remotesign.Signer)
		text string
	}{
		{"service error", func(v *service, _ *remotesign.Signer) { v.fail = http.StatusServiceUnavailable }, `503 Service Unavailable: "{\"code\":\"KEY_DISABLED\"`},
		{"unknown merchant", func(_ *service, s *remotesign.Signer) { s.Serial = "0000" }, "404 Not Found"},
		{"not JSON", func(v *service, _ *remotesign.Signer) { v.answer = "<html>login</html>" }, "without a JSON signature"},
		{"not base64", func(v *service, _ *remotesign.Signer) { v.answer = `{"signature":"%%%"}` }, "not base64"},
		{"empty signature", func(v *service, _ *remotesign.Signer) { v.answer = `{"signature":""}` }, "not base64"},
		{"wrong key", func(v *service, s *remotesign.Signer) {
			v.key, s.PublicKey = other.Key, &srv.Merchant.Key.PublicKey
		}, "does not verify"},
		{"no URL", func(_ *service, s *remotesign.Signer) { s.URL = "" }, "URL is empty"},
		{"unreachable", func(_ *service, s *remotesign.Signer) { s.URL = "http://127.0.0.1:1/v1/sign" }, "connection refused"},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := newService(t, srv)
			s := newSigner(srv, v)
			c.set(v, s)
			_, err := nativeOrder(newClient(t, srv, s), 0)
			assertNotSent(t, srv, err, nil, c.text)
		})
	}
}

func TestSignerTimeout(t *testing.T) {
	srv, svc := setup(t)
	svc.delay = 2 * time.Second
	start := time.Now()
	_, err := nativeOrder(newClient(t, srv, newSigner(srv, svc)), 100*time.Millisecond)
	assertNotSent(t, srv, err, context.DeadlineExceeded, "")
	if d := time.Since(start); d > time.Second {
		t.Fatalf("the call took %v: the service call was not bounded by the call's timeout", d)
	}
}
