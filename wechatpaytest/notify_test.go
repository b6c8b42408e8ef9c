package wechatpaytest_test

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// merchant is a notification endpoint that checks what it gets with the
// client's verifier and the APIv3 key, and answers as answer says.
type merchant struct {
	t      *testing.T
	srv    *wechatpaytest.Server
	keys   *middleware.Keys
	answer func(n int) int // status for the n-th notification (from 1)
	mu     sync.Mutex
	got    [][]byte // decrypted resources
	n      int
}

func newMerchant(t *testing.T, srv *wechatpaytest.Server, answer func(n int) int) (*merchant, string) {
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	m := &merchant{t: t, srv: srv, keys: c.Keys(), answer: answer}
	hs := httptest.NewServer(m)
	t.Cleanup(hs.Close)
	return m, hs.URL + "/notify"
}

func (m *merchant) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	m.mu.Lock()
	m.n++
	n := m.n
	m.mu.Unlock()
	if err := middleware.VerifySignature(m.keys, r.Header, body, time.Now()); err != nil {
		m.t.Errorf("notification %d does not verify: %v", n, err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var env struct {
		EventType string `json:"event_type"`
		Resource  struct {
			Algorithm      string `json:"algorithm"`
			Ciphertext     string `json:"ciphertext"`
			Nonce          string `json:"nonce"`
			AssociatedData string `json:"associated_data"`
		} `json:"resource"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		m.t.Errorf("notification %d: %v", n, err)
	}
	plain, err := crypto.DecryptAESGCM([]byte(m.srv.APIv3Key), []byte(env.Resource.Nonce), env.Resource.Ciphertext, []byte(env.Resource.AssociatedData))
	if err != nil || env.Resource.Algorithm != "AEAD_AES_256_GCM" || env.EventType == "" {
		m.t.Errorf("notification %d: resource does not decrypt (%v): %s", n, err, body)
	}
	m.mu.Lock()
	m.got = append(m.got, plain)
	m.mu.Unlock()
	w.WriteHeader(m.answer(n))
}

func TestNotifyV3(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	m, url := newMerchant(t, srv, func(int) int { return http.StatusNoContent })
	d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Delivered || len(d.Attempts) != 1 || d.Attempts[0].Status != http.StatusNoContent {
		t.Fatalf("%+v", d)
	}
	var res map[string]any
	if err := json.Unmarshal(m.got[0], &res); err != nil || res["out_trade_no"] == nil || res["trade_state"] != "SUCCESS" {
		t.Fatalf("resource %s: %v", m.got[0], err)
	}
	if !bytes.Equal(m.got[0], d.Plaintext) {
		t.Fatalf("plaintext %s, merchant decrypted %s", d.Plaintext, m.got[0])
	}

	// A resource given by the caller is sent as given.
	d, err = srv.Notify(context.Background(), url, wechatpaytest.Notification{
		Webhook: "v3/REFUND.SUCCESS", Resource: map[string]any{"out_refund_no": "R1"},
	})
	if err != nil || string(m.got[1]) != `{"out_refund_no":"R1"}` || !d.Delivered {
		t.Fatalf("%s %v", m.got[1], err)
	}
}

// Every notification of the catalog is built, encrypted, signed and
// delivered.
func TestNotifyEveryWebhook(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	m, url := newMerchant(t, srv, func(int) int { return http.StatusOK })
	v2 := newV2Merchant(t, srv, func(int) string { return "SUCCESS" })
	names := wechatpaytest.Webhooks()
	if len(names) != 112 {
		t.Fatalf("%d webhooks, want the catalog's 112", len(names))
	}
	for _, name := range names {
		to := url
		if strings.HasPrefix(name, "v2/") {
			to = v2.url
		}
		d, err := srv.Notify(context.Background(), to, wechatpaytest.Notification{Webhook: name}, wechatpaytest.WithSchedule())
		if err != nil || !d.Delivered {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(m.got)+v2.n != 112 {
		t.Fatalf("merchants got %d v3 and %d v2 notifications", len(m.got), v2.n)
	}
}

// A failed delivery is retried on WeChat Pay's schedule, each attempt
// reported.
func TestNotifyRetries(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	_, url := newMerchant(t, srv, func(n int) int {
		if n < 4 {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	var seen []int
	start := time.Now()
	d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"},
		wechatpaytest.TimeScale(1e-4), wechatpaytest.OnAttempt(func(a wechatpaytest.Attempt) { seen = append(seen, a.Status) }))
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{500, 500, 500, 200}; len(seen) != 4 || seen[0] != want[0] || seen[3] != want[3] {
		t.Fatalf("attempts %v, want %v", seen, want)
	}
	gaps := []time.Duration{15 * time.Second, 15 * time.Second, 30 * time.Second}
	for i, g := range gaps {
		if got := d.Attempts[i+1].At.Sub(d.Attempts[i].At); got != g {
			t.Fatalf("attempt %d came %v after the previous, want %v", i+2, got, g)
		}
		if d.Attempts[i].Err == nil {
			t.Fatalf("attempt %d: no error for a 500", i+1)
		}
	}
	if time.Since(start) > 5*time.Second {
		t.Fatalf("a sped-up schedule took %v", time.Since(start))
	}
}

// After the whole schedule the notification is given up.
func TestNotifyGivesUp(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	var waits []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }
	// Nothing listens there: every attempt is a transport error.
	url := "http://127.0.0.1:1/notify"
	d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/REFUND.SUCCESS"}, wechatpaytest.WithSleep(sleep))
	if !errors.Is(err, wechatpaytest.ErrNotDelivered) || d.Delivered {
		t.Fatalf("%v", err)
	}
	if len(d.Attempts) != 16 || len(waits) != 15 {
		t.Fatalf("%d attempts, %d waits", len(d.Attempts), len(waits))
	}
	for i, w := range waits {
		if w != wechatpaytest.RetrySchedule[i] {
			t.Fatalf("wait %d: %v, want %v", i, w, wechatpaytest.RetrySchedule[i])
		}
	}
	if d.Attempts[0].Status != 0 || d.Attempts[0].Err == nil {
		t.Fatalf("%+v", d.Attempts[0])
	}
	if total := d.Attempts[15].At.Sub(d.Attempts[0].At); total != 24*time.Hour+4*time.Minute {
		t.Fatalf("the schedule spans %v", total)
	}
}

func TestNotifyCancelled(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	_, err := srv.Notify(ctx, "http://127.0.0.1:1/notify", wechatpaytest.Notification{Webhook: "v3/REFUND.SUCCESS"},
		wechatpaytest.OnAttempt(func(wechatpaytest.Attempt) { cancel() }))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("%v", err)
	}
}

// v2Merchant takes APIv2 notifications: it checks the sign, decrypts
// req_info with its own AES-256-ECB, and acknowledges with ack(n).
type v2Merchant struct {
	url     string
	n       int
	reqInfo []map[string]string
}

func newV2Merchant(t *testing.T, srv *wechatpaytest.Server, ack func(n int) string) *v2Merchant {
	m := &v2Merchant{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.n++
		body, _ := io.ReadAll(r.Body)
		f := flatXML(t, body)
		if sign, ok := f["sign"]; ok {
			var pairs []formatter.Pair
			for k, v := range f {
				pairs = append(pairs, formatter.Pair{Key: k, Value: v})
			}
			signType := crypto.SignTypeMD5
			if t := f["sign_type"] + f["algorithm"]; t != "" {
				signType = t
			}
			want, _ := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.KsortPairs(pairs))), []byte(srv.Secret))
			if want != sign {
				t.Errorf("APIv2 notification sign %s, want %s", sign, want)
			}
		}
		if ri, ok := f["req_info"]; ok {
			m.reqInfo = append(m.reqInfo, flatXML(t, decryptECB(t, ri, srv.Secret)))
		}
		w.Write([]byte("<xml><return_code><![CDATA[" + ack(m.n) + "]]></return_code></xml>"))
	}))
	t.Cleanup(hs.Close)
	m.url = hs.URL
	return m
}

func TestNotifyV2Refund(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	m := newV2Merchant(t, srv, func(n int) string {
		if n == 1 {
			return "FAIL"
		}
		return "SUCCESS"
	})
	d, err := srv.Notify(context.Background(), m.url, wechatpaytest.Notification{
		Webhook: "v2/refund-processed", ReqInfo: map[string]string{"out_refund_no": "R-1", "refund_status": "SUCCESS"},
	}, wechatpaytest.TimeScale(1e-4))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Attempts) != 2 || d.Attempts[0].Err == nil || d.Attempts[0].Status != 200 {
		t.Fatalf("a FAIL acknowledgement must be retried: %+v", d.Attempts)
	}
	if got := m.reqInfo[0]; got["out_refund_no"] != "R-1" || got["refund_status"] != "SUCCESS" {
		t.Fatalf("req_info %v", got)
	}
}

func flatXML(t *testing.T, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	d := xml.NewDecoder(bytes.NewReader(b))
	var key string
	depth := 0
	for {
		tok, err := d.Token()
		if err != nil {
			return out
		}
		switch x := tok.(type) {
		case xml.StartElement:
			depth++
			key = x.Name.Local
		case xml.CharData:
			if depth == 2 {
				out[key] += string(x)
			}
		case xml.EndElement:
			depth--
		}
	}
}

func decryptECB(t *testing.T, b64, secret string) []byte {
	t.Helper()
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(ct)%aes.BlockSize != 0 {
		t.Fatalf("req_info is not base64 of whole blocks: %v", err)
	}
	sum := md5.Sum([]byte(secret))
	block, _ := aes.NewCipher([]byte(hex.EncodeToString(sum[:])))
	for i := 0; i < len(ct); i += aes.BlockSize {
		block.Decrypt(ct[i:i+aes.BlockSize], ct[i:i+aes.BlockSize])
	}
	pad := int(ct[len(ct)-1])
	if pad < 1 || pad > aes.BlockSize {
		t.Fatalf("bad PKCS#7 padding %d", pad)
	}
	return ct[:len(ct)-pad]
}

// A notification's retries are the same notification: the same id and
// resource, as WeChat Pay's retries are, so that a receiver deduplicating
// on the id sees one; each attempt is signed afresh and verifies.
func TestNotifyRetriesKeepTheNotification(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	m, _ := newMerchant(t, srv, func(n int) int {
		if n < 3 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	var bodies [][]byte
	var nonces []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		bodies = append(bodies, body)
		nonces = append(nonces, r.Header.Get("Wechatpay-Nonce"))
		r.Body = io.NopCloser(bytes.NewReader(body))
		m.ServeHTTP(w, r)
	}))
	defer recv.Close()
	d, err := srv.Notify(context.Background(), recv.URL, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"}, wechatpaytest.TimeScale(1e-5))
	if err != nil || len(d.Attempts) != 3 {
		t.Fatalf("%d attempts: %v", len(d.Attempts), err)
	}
	id := func(b []byte) string {
		var env struct{ ID string }
		json.Unmarshal(b, &env)
		return env.ID
	}
	for i := range bodies {
		if id(bodies[i]) == "" || id(bodies[i]) != id(bodies[0]) || !bytes.Equal(m.got[i], m.got[0]) {
			t.Fatalf("attempt %d: id %q, resource %s; the first: id %q, resource %s", i+1, id(bodies[i]), m.got[i], id(bodies[0]), m.got[0])
		}
	}
	if nonces[0] == nonces[1] || nonces[1] == nonces[2] {
		t.Fatalf("the attempts were not signed afresh: nonces %q", nonces)
	}
}
