package wechatpay_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/transformer"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Every notification of the catalog, sent by the fake WeChat Pay, is
// verified and decrypted by our handlers, field for field.
func TestEveryCatalogNotification(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := newClient(t, srv).Notifier()
	var mu sync.Mutex
	var got3 *wechatpay.Notification
	var got2 *wechatpay.V2Notification
	h3 := httptest.NewServer(nf.Handler(func(_ context.Context, n *wechatpay.Notification) error {
		mu.Lock()
		got3 = n
		mu.Unlock()
		return nil
	}))
	defer h3.Close()
	h2 := httptest.NewServer(nf.V2Handler(func(_ context.Context, n *wechatpay.V2Notification) error {
		mu.Lock()
		got2 = n
		mu.Unlock()
		return nil
	}))
	defer h2.Close()

	var v2n, v3n int
	for _, name := range wechatpaytest.Webhooks() {
		got2, got3 = nil, nil
		url := h3.URL
		if strings.HasPrefix(name, "v2/") {
			url = h2.URL
		}
		d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: name}, wechatpaytest.WithSchedule())
		if err != nil || !d.Delivered {
			t.Errorf("%s: %v %+v", name, err, d)
			continue
		}
		if strings.HasPrefix(name, "v2/") {
			v2n++
			sent, err := transformer.ToMap(d.Body)
			got := got2.Fields
			if got2.ReqInfo != nil {
				// A refund notification is not signed: its envelope is
				// apart, and Fields empty.
				if got2.Fields != nil {
					t.Errorf("%s: unsigned fields presented as signed: %v", name, got2.Fields)
				}
				got = map[string]any{}
				for k, v := range got2.Unverified {
					got[k] = v
				}
			}
			if err != nil || !reflect.DeepEqual(got, sent) {
				t.Errorf("%s: fields %v, sent %v (%v)", name, got, sent, err)
			}
			if d.Plaintext == nil {
				continue
			}
			plain, _ := transformer.ToMap(d.Plaintext)
			decrypted := got2.ReqInfo
			if decrypted == nil {
				decrypted = got2.EventData
			}
			if len(plain) == 0 || !reflect.DeepEqual(decrypted, plain) {
				t.Errorf("%s: decrypted %v, sent %v", name, decrypted, plain)
			}
			continue
		}
		v3n++
		var env map[string]any
		json.Unmarshal(d.Body, &env)
		if got3.ID != env["id"] || got3.EventType != env["event_type"] || got3.Summary != env["summary"] || got3.CreateTime != env["create_time"] {
			t.Errorf("%s: envelope %+v, sent %s", name, got3, d.Body)
		}
		var a, b any
		if json.Unmarshal(got3.Plaintext, &a) != nil || json.Unmarshal(d.Plaintext, &b) != nil || !reflect.DeepEqual(a, b) {
			t.Errorf("%s: plaintext %s, sent %s", name, got3.Plaintext, d.Plaintext)
		}
	}
	if v2n != 10 || v3n != 102 {
		t.Fatalf("%d APIv2 and %d APIv3 notifications, want 10 and 102", v2n, v3n)
	}
}

// Altered notifications are refused with the status that makes WeChat Pay
// send them again.
func TestRefusedNotifications(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := newClient(t, srv).Notifier()
	nf.MaxBodySize = 64 << 10
	calls := 0
	h := httptest.NewServer(nf.Handler(func(context.Context, *wechatpay.Notification) error { calls++; return nil }))
	defer h.Close()
	deliver := func(s *wechatpaytest.Server, n wechatpaytest.Notification) int {
		t.Helper()
		d, _ := s.Notify(context.Background(), h.URL, n, wechatpaytest.WithSchedule())
		if d == nil || len(d.Attempts) != 1 {
			t.Fatalf("%+v", d)
		}
		return d.Attempts[0].Status
	}
	post := func(hd http.Header, body []byte) int {
		t.Helper()
		req, _ := http.NewRequest("POST", h.URL, bytes.NewReader(body))
		req.Header = hd
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	ok := wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"}
	d, err := srv.Notify(context.Background(), h.URL, ok, wechatpaytest.WithSchedule())
	if err != nil || d.Attempts[0].Status != 204 || calls != 1 {
		t.Fatal(d, err)
	}
	if code := post(d.Header, bytes.Replace(d.Body, []byte(`"summary":"`), []byte(`"summary":"X`), 1)); code != 401 {
		t.Errorf("tampered: %d", code)
	}
	stale := wechatpaytest.NewServer(wechatpaytest.WithClock(func() time.Time { return time.Now().Add(-10 * time.Minute) }))
	defer stale.Close()
	staleNF := newClient(t, stale).Notifier()
	sh := httptest.NewServer(staleNF.Handler(func(context.Context, *wechatpay.Notification) error { return nil }))
	defer sh.Close()
	if d, _ := stale.Notify(context.Background(), sh.URL, ok, wechatpaytest.WithSchedule()); d.Attempts[0].Status != 401 {
		t.Errorf("stale: %d", d.Attempts[0].Status)
	}
	other := wechatpaytest.NewServer(wechatpaytest.WithMode(wechatpaytest.PublicKeyMode))
	defer other.Close()
	if code := deliver(other, ok); code != 401 {
		t.Errorf("unknown serial: %d", code)
	}
	if code := deliver(srv, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS", Resource: map[string]string{"pad": strings.Repeat("x", 70<<10)}}); code != 413 {
		t.Errorf("oversized: %d", code)
	}
	junk := []byte(`["not","a","notification"]`)
	if code := post(signedHeaders(t, srv.Platform.Key, srv.Platform.Serial, time.Now().Unix(), string(junk)), junk); code != 400 {
		t.Errorf("malformed: %d", code)
	}
	if calls != 1 {
		t.Fatalf("refused notifications reached the handler: %d calls", calls)
	}
}
