package wechatpay_test

import (
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/transformer"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// v3Notification builds an APIv3 notification as WeChat Pay sends it:
// the resource encrypted under the APIv3 key, the body signed with the
// platform key.
func v3Notification(t testing.TB, srv *wechatpaytest.Server, id, event string, resource any, ts int64) (http.Header, []byte) {
	t.Helper()
	plain, _ := json.Marshal(resource)
	nonce := "fdasflkja484"
	ct, err := crypto.EncryptAESGCM([]byte(srv.APIv3Key), []byte(nonce), plain, []byte("transaction"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]any{
		"id": id, "create_time": "2015-05-20T13:29:35+08:00", "event_type": event, "resource_type": "encrypt-resource",
		"summary": "支付成功", "resource": map[string]string{"original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
			"ciphertext": ct, "associated_data": "transaction", "nonce": nonce},
	})
	h := signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, ts, string(body))
	h.Set("Content-Type", "application/json")
	h.Set("Request-ID", "REQ-"+id)
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	return h, body
}

func notifier(t testing.TB, srv *wechatpaytest.Server) *wechatpay.Notifier {
	t.Helper()
	cfg := srv.Config()
	// A receiver needs no merchant key.
	cfg.PrivateKey, cfg.Serial = nil, ""
	nf, err := wechatpay.NewNotifier(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return nf
}

func TestParseNotification(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	now := time.Now().Unix()
	resource := map[string]any{"out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS", "amount": map[string]any{"total": 100}}
	h, body := v3Notification(t, srv, "EV-1", "TRANSACTION.SUCCESS", resource, now)

	n, err := nf.ParseNotification(h, body)
	if err != nil {
		t.Fatal(err)
	}
	var order struct {
		OutTradeNo string              `json:"out_trade_no"`
		Amount     struct{ Total int } `json:"amount"`
	}
	if n.ID != "EV-1" || n.EventType != "TRANSACTION.SUCCESS" || n.Summary != "支付成功" || n.ResourceType != "encrypt-resource" ||
		n.Resource.OriginalType != "transaction" || n.Get("trade_state").String() != "SUCCESS" || n.RequestID() != "REQ-EV-1" ||
		n.Unmarshal(&order) != nil || order.OutTradeNo != "1217752501201407033233368018" || order.Amount.Total != 100 {
		t.Fatalf("%+v %s", n, n.Plaintext)
	}
	// The Notifier of a Client works the same.
	c := newClient(t, srv)
	if _, err := c.Notifier().ParseNotification(h, body); err != nil {
		t.Fatal(err)
	}

	refused := func(name string, h http.Header, body []byte, want error) {
		t.Helper()
		_, err := nf.ParseNotification(h, body)
		if !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
	}
	tampered := bytes.Replace(body, []byte("EV-1"), []byte("EV-2"), 1)
	refused("tampered", h, tampered, wechatpay.ErrBadSignature)
	sh, sbody := v3Notification(t, srv, "EV-1", "TRANSACTION.SUCCESS", resource, now-400)
	refused("stale", sh, sbody, wechatpay.ErrClockSkew)
	uh := h.Clone()
	uh.Set("Wechatpay-Serial", "7132D72A03E93CDDF8C03BBD1F37EEDF********")
	refused("unknown serial", uh, body, wechatpay.ErrUnknownSerial)
	ph := h.Clone()
	ph.Set("Wechatpay-Signature", "WECHATPAY/SIGNTEST/"+h.Get("Wechatpay-Signature"))
	refused("signtest probe", ph, body, wechatpay.ErrSignTest)
	mh := h.Clone()
	mh.Del("Wechatpay-Nonce")
	refused("missing header", mh, body, wechatpay.ErrMissingHeaders)
	// Signed, but not a notification, or encrypted under another key.
	junk := []byte(`{"id": 1}`)
	refused("malformed", signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, now, string(junk)), junk, wechatpay.ErrNotificationMalformed)
	other := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.CertificateMode))
	defer other.Close()
	oh, obody := v3Notification(t, other, "EV-1", "TRANSACTION.SUCCESS", resource, now) // other APIv3 key, other platform key
	refused("other platform key", oh, obody, wechatpay.ErrUnknownSerial)
	var ob map[string]any
	json.Unmarshal(obody, &ob)
	ob["id"] = "EV-3"
	obody, _ = json.Marshal(ob)
	refused("other APIv3 key", signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, now, string(obody)), obody, wechatpay.ErrNotificationDecrypt)
}

func TestNotificationHandlers(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	nf.ReplayGuard = wechatpay.NewMemoryReplayGuard(0)
	nf.MaxBodySize = 4096
	var calls atomic.Int32
	fail := false
	fn := func(ctx context.Context, n *wechatpay.Notification) error {
		calls.Add(1)
		if fail {
			return errors.New("database down")
		}
		return nil
	}

	// The same handler logic serves net/http and fasthttp.
	std := httptest.NewServer(nf.Handler(fn))
	defer std.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fasthttp.Server{Handler: nf.FastHTTPHandler(fn)}
	go fs.Serve(ln)
	defer fs.Shutdown()

	for name, url := range map[string]string{"net/http": std.URL, "fasthttp": "http://" + ln.Addr().String()} {
		t.Run(name, func(t *testing.T) {
			calls.Store(0)
			fail = false
			post := func(h http.Header, body []byte) (int, string) {
				req, _ := http.NewRequest("POST", url+"/notify", bytes.NewReader(body))
				req.Header = h.Clone()
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer res.Body.Close()
				b, _ := io.ReadAll(res.Body)
				return res.StatusCode, string(b)
			}
			id := "EV-" + name
			h, body := v3Notification(t, srv, id, "TRANSACTION.SUCCESS", map[string]string{"trade_state": "SUCCESS"}, time.Now().Unix())

			fail = true
			if code, b := post(h, body); code != 500 || b != `{"code":"FAIL","message":"processing failed"}` || calls.Load() != 1 {
				t.Fatalf("%d %s", code, b)
			}
			fail = false
			if code, b := post(h, body); code != 204 || b != "" || calls.Load() != 2 {
				t.Fatalf("%d %s", code, b)
			}
			// Sent again after it was handled: answered, not handled twice.
			if code, _ := post(h, body); code != 204 || calls.Load() != 2 {
				t.Fatalf("%d, %d calls", code, calls.Load())
			}
			tampered := bytes.Replace(body, []byte("SUCCESS"), []byte("REFUND!"), 1)
			if code, b := post(h, tampered); code != 401 || b != `{"code":"FAIL","message":"signature verification failed"}` {
				t.Fatalf("%d %s", code, b)
			}
			if code, _ := post(h, append(body, bytes.Repeat([]byte(" "), 5000)...)); code != 413 {
				t.Fatal(code)
			}
			req, _ := http.NewRequest("GET", url+"/notify", nil)
			if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 405 {
				t.Fatal(res, err)
			}
			if calls.Load() != 2 {
				t.Fatal("refused notifications reached the handler")
			}
		})
	}
}

// A notification that expects a business answer gets it signed with the
// merchant key.
func TestNotificationReply(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf, err := wechatpay.NewNotifier(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	h := nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		n.Reply(map[string]any{"code": "SUCCESS", "acq_tid": n.Get("acq_tid").String(), "mch_id": "9527", "limit_bank_acc_type": "UNLIMIT", "client_ip": "1.2.3.4"})
		return nil
	})
	hd, body := v3Notification(t, srv, "EV-X", "CROSS_BORDER_PAY.GET_MCH_INFO", map[string]string{"acq_tid": "202507150000000000011008013780"}, time.Now().Unix())
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/notify", bytes.NewReader(body))
	req.Header = hd
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"acq_tid":"202507150000000000011008013780"`) {
		t.Fatal(rec.Code, rec.Body.String())
	}
	// WeChat Pay's side: verify the Authorization over the answer.
	auth := rec.Header().Get("Authorization")
	p := map[string]string{}
	for _, kv := range strings.Split(strings.TrimPrefix(auth, "WECHATPAY2-SHA256-RSA2048 "), ",") {
		k, v, _ := strings.Cut(kv, "=")
		p[k] = strings.Trim(v, `"`)
	}
	sig, _ := base64.StdEncoding.DecodeString(p["signature"])
	d := sha256.Sum256([]byte(p["timestamp"] + "\n" + p["nonce_str"] + "\n" + rec.Body.String() + "\n"))
	if p["mchid"] != srv.MchID || p["serial_no"] != srv.Merchant.Serial || rsa.VerifyPKCS1v15(&srv.Merchant.Key.PublicKey, stdcrypto.SHA256, d[:], sig) != nil {
		t.Fatal(auth)
	}
}

// The seed page's processor: the APIv2 risk notification to banks, signed
// with HMAC-SHA256 over the sorted fields.
func v2Signed(t testing.TB, secret string, fields map[string]string, signType string) []byte {
	t.Helper()
	f := map[string]string{}
	for k, v := range fields {
		f[k] = v
	}
	sign, err := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.Ksort(f))), []byte(secret))
	if err != nil {
		t.Fatal(err)
	}
	f["sign"] = sign
	b, err := transformer.ToXML(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseV2Notification(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)

	risk := map[string]string{
		"return_code": "SUCCESS", "sign_type": "HMAC-SHA256", "nonce_str": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
		"event_code": "EVENT_CODE_1", "risk_level": "HIGH", "risk_level_desc": "高风险", "mch_id": "1900000109", "sub_mch_id": "1900000110",
		"transaction_id_list": `{"data":{"transaction_id":["4200000001","4200000002"]}}`,
	}
	n, err := nf.ParseV2Notification(nil, v2Signed(t, srv.Secret, risk, "HMAC-SHA256"))
	if err != nil || n.Field("risk_level") != "HIGH" || n.Field("transaction_id_list") != risk["transaction_id_list"] {
		t.Fatal(n, err)
	}
	// MD5 when no sign_type is given.
	delete(risk, "sign_type")
	if _, err := nf.ParseV2Notification(nil, v2Signed(t, srv.Secret, risk, "MD5")); err != nil {
		t.Fatal(err)
	}
	// A tampered field, another key, no sign.
	tampered := bytes.Replace(v2Signed(t, srv.Secret, risk, "MD5"), []byte("HIGH"), []byte("LOW"), 1)
	if _, err := nf.ParseV2Notification(nil, tampered); !errors.Is(err, wechatpay.ErrBadSignature) {
		t.Fatal(err)
	}
	if _, err := nf.ParseV2Notification(nil, v2Signed(t, strings.Repeat("k", 32), risk, "MD5")); !errors.Is(err, wechatpay.ErrBadSignature) {
		t.Fatal(err)
	}
	if _, err := nf.ParseV2Notification(nil, []byte("<xml><return_code>SUCCESS</return_code></xml>")); !errors.Is(err, wechatpay.ErrMissingSign) {
		t.Fatal(err)
	}
	if _, err := nf.ParseV2Notification(nil, []byte("<html>")); !errors.Is(err, wechatpay.ErrNotificationMalformed) {
		t.Fatal(err)
	}

	// An event notification: signed with the "algorithm" field's hash, its
	// event_ciphertext under the APIv3 key.
	ct, _ := crypto.EncryptAESGCM([]byte(srv.APIv3Key), []byte("event_nonce1"), []byte("<xml><state>DONE</state><room>1024</room></xml>"), []byte("aad"))
	ev := map[string]string{"mch_id": srv.MchID, "appid": "wx1", "algorithm": "HMAC-SHA256", "nonce_str": "n", "event_id": "E1",
		"event_create_time": "20240101", "event_type": "TRANSACTION.SUCCESS", "event_algorithm": "AEAD_AES_256_GCM",
		"event_nonce": "event_nonce1", "event_associated_data": "aad", "event_ciphertext": ct}
	n, err = nf.ParseV2Notification(nil, v2Signed(t, srv.Secret, ev, "HMAC-SHA256"))
	if err != nil || n.EventData["room"] != "1024" || n.EventData["state"] != "DONE" {
		t.Fatal(n, err)
	}

	// A refund notification: no sign, req_info under AES-256-ECB keyed with
	// the MD5 of the APIv2 key.
	reqInfo := "<root><out_refund_no><![CDATA[R1]]></out_refund_no><refund_status><![CDATA[SUCCESS]]></refund_status><refund_fee><![CDATA[100]]></refund_fee></root>"
	enc, _ := crypto.EncryptAESECB(crypto.ECBKeyFromAPIv2Key([]byte(srv.Secret)), []byte(reqInfo))
	refund, _ := transformer.ToXML(map[string]string{"return_code": "SUCCESS", "appid": "wx1", "mch_id": srv.MchID, "nonce_str": "n", "req_info": enc})
	n, err = nf.ParseV2Notification(nil, refund)
	if err != nil || n.ReqInfo["out_refund_no"] != "R1" || n.ReqInfo["refund_status"] != "SUCCESS" {
		t.Fatal(n, err)
	}
	bad, _ := crypto.EncryptAESECB(crypto.ECBKeyFromAPIv2Key([]byte(strings.Repeat("x", 32))), []byte(reqInfo))
	refund, _ = transformer.ToXML(map[string]string{"return_code": "SUCCESS", "req_info": bad})
	if _, err := nf.ParseV2Notification(nil, refund); !errors.Is(err, wechatpay.ErrNotificationDecrypt) {
		t.Fatal(err)
	}
}

func TestV2NotificationHandler(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	if got := string(wechatpay.V2Answer(true, "")); got != "<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>" {
		t.Fatal(got)
	}
	if got := string(wechatpay.V2Answer(false, "签名失败")); got != "<xml><return_code>FAIL</return_code><return_msg>签名失败</return_msg></xml>" {
		t.Fatal(got)
	}
	var got *wechatpay.V2Notification
	h := nf.V2Handler(func(ctx context.Context, n *wechatpay.V2Notification) error { got = n; return nil })
	body := v2Signed(t, srv.Secret, map[string]string{"return_code": "SUCCESS", "mch_id": srv.MchID, "out_trade_no": "O1", "nonce_str": "n"}, "MD5")
	for _, tc := range []struct {
		body []byte
		code int
		want string
	}{
		{body, 200, "<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>"},
		{bytes.Replace(body, []byte("O1"), []byte("O2"), 1), 401, "<xml><return_code>FAIL</return_code><return_msg>signature verification failed</return_msg></xml>"},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("POST", "/notify", bytes.NewReader(tc.body)))
		if rec.Code != tc.code || rec.Body.String() != tc.want || rec.Header().Get("Content-Type") != "text/xml; charset=utf-8" {
			t.Fatal(rec.Code, rec.Body.String())
		}
	}
	if got == nil || got.Field("out_trade_no") != "O1" {
		t.Fatal(got)
	}
	// fasthttp
	var rc fasthttp.RequestCtx
	rc.Request.Header.SetMethod("POST")
	rc.Request.SetBody(body)
	nf.FastHTTPV2Handler(func(ctx context.Context, n *wechatpay.V2Notification) error { return nil })(&rc)
	if rc.Response.StatusCode() != 200 || string(rc.Response.Body()) != "<xml><return_code>SUCCESS</return_code><return_msg>OK</return_msg></xml>" {
		t.Fatal(rc.Response.String())
	}
}

func TestNewNotifierErrors(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	for name, cfg := range map[string]wechatpay.Config{
		"nothing":      {},
		"no certs":     {APIv3Key: crypto.NewSecret(srv.APIv3Key)},
		"short key":    {APIv3Key: crypto.NewSecret("x"), Certs: srv.Config().Certs},
		"short secret": {Secret: crypto.NewSecret("x")},
	} {
		if _, err := wechatpay.NewNotifier(cfg); !errors.Is(err, wechatpay.ErrConfig) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A v2-only receiver refuses APIv3 notifications clearly.
	nf, err := wechatpay.NewNotifier(wechatpay.Config{Secret: crypto.NewSecret(srv.Secret)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nf.ParseNotification(http.Header{}, []byte("{}")); !errors.Is(err, wechatpay.ErrNotifierKey) {
		t.Fatal(err)
	}
}

// A standalone Notifier checks certificate validity as the client does.
func TestNotifierExpiredCertificate(t *testing.T) {
	srv := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.CertificateMode))
	defer srv.Close()
	tmpl := &x509.Certificate{SerialNumber: srv.Platform.Cert.SerialNumber, Subject: srv.Platform.Cert.Subject,
		NotBefore: time.Now().AddDate(-1, 0, 0), NotAfter: time.Now().Add(-time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &srv.Platform.Key.PublicKey, srv.Platform.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	nf, err := wechatpay.NewNotifier(wechatpay.Config{Certs: map[string]any{srv.Platform.Serial: cert}, APIv3Key: crypto.NewSecret(srv.APIv3Key)})
	if err != nil {
		t.Fatal(err)
	}
	h, body := v3Notification(t, srv, "EV-X", "TRANSACTION.SUCCESS", map[string]string{"trade_state": "SUCCESS"}, time.Now().Unix())
	if _, err := nf.ParseNotification(h, body); !errors.Is(err, wechatpay.ErrCertificateExpired) {
		t.Fatal(err)
	}
}
