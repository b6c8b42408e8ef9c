package wechatpay_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/transformer"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// refundNotification builds an APIv2 refund notification (退款结果通知) as
// WeChat Pay sends it: an unsigned envelope around req_info, encrypted with
// AES-256-ECB under the MD5 of the APIv2 key; extra fields are added to the
// envelope.
func refundNotification(t testing.TB, srv *wechatpaytest.Server, reqInfo string, extra map[string]string) []byte {
	t.Helper()
	enc, err := crypto.EncryptAESECB(crypto.ECBKeyFromAPIv2Key([]byte(srv.Secret)), []byte(reqInfo))
	if err != nil {
		t.Fatal(err)
	}
	f := map[string]string{"return_code": "SUCCESS", "appid": "wx1", "mch_id": srv.MchID, "nonce_str": "n1", "req_info": enc}
	for k, v := range extra {
		f[k] = v
	}
	b, err := transformer.ToXML(f)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const refundReqInfo = "<root><out_refund_no><![CDATA[R1]]></out_refund_no><out_trade_no><![CDATA[O1]]></out_trade_no>" +
	"<refund_status><![CDATA[SUCCESS]]></refund_status><refund_fee><![CDATA[100]]></refund_fee></root>"

// recordingGuard is a MemoryReplayGuard that keeps the IDs it is given.
type recordingGuard struct {
	*wechatpay.MemoryReplayGuard
	mu  sync.Mutex
	ids []string
}

func (g *recordingGuard) Handled(ctx context.Context, id string) (bool, error) {
	g.mu.Lock()
	g.ids = append(g.ids, id)
	g.mu.Unlock()
	return g.MemoryReplayGuard.Handled(ctx, id)
}

// v2Receiver serves nf.V2Handler on a loopback net/http server, counting
// the notifications that reach the business function.
func v2Receiver(t *testing.T, nf *wechatpay.Notifier) (post func(body []byte) (int, string), calls *atomic.Int32, got func() *wechatpay.V2Notification) {
	t.Helper()
	calls = new(atomic.Int32)
	var mu sync.Mutex
	var last *wechatpay.V2Notification
	hs := httptest.NewServer(nf.V2Handler(func(_ context.Context, n *wechatpay.V2Notification) error {
		calls.Add(1)
		mu.Lock()
		last = n
		mu.Unlock()
		return nil
	}))
	t.Cleanup(hs.Close)
	post = func(body []byte) (int, string) {
		t.Helper()
		res, err := http.Post(hs.URL, "text/xml", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	return post, calls, func() *wechatpay.V2Notification { mu.Lock(); defer mu.Unlock(); return last }
}

// A refund notification is authenticated by its req_info alone: the fields
// around it are never presented as verified, a field WeChat Pay does not
// send there (a bogus sign, an event_id) refuses it, and the replay guard
// knows it by its req_info, so that replays dressed differently are still
// the same notification.
func TestV2RefundNotificationReplays(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	guard := &recordingGuard{MemoryReplayGuard: wechatpay.NewMemoryReplayGuard(0)}
	nf.ReplayGuard = guard
	post, calls, got := v2Receiver(t, nf)

	if code, _ := post(refundNotification(t, srv, refundReqInfo, nil)); code != 200 || calls.Load() != 1 {
		t.Fatalf("genuine refund: %d, %d calls", code, calls.Load())
	}
	n := got()
	if n.ReqInfo["out_refund_no"] != "R1" || n.Fields != nil || n.Field("mch_id") != "" || n.Unverified["mch_id"] != srv.MchID {
		t.Fatalf("fields %v, unverified %v, req_info %v", n.Fields, n.Unverified, n.ReqInfo)
	}
	// 50 replays, each with a new sign: none reaches the business function.
	for i := range 50 {
		body := refundNotification(t, srv, refundReqInfo, map[string]string{"sign": fmt.Sprintf("%032X", i), "nonce_str": fmt.Sprint("n", i)})
		if code, b := post(body); code != http.StatusUnauthorized || !strings.Contains(b, "<return_code>FAIL</return_code>") {
			t.Fatalf("replay %d with a bogus sign: %d %s", i, code, b)
		}
	}
	// 50 replays that change only what the envelope may hold: the same
	// notification, acknowledged without running the function again.
	for i := range 50 {
		body := refundNotification(t, srv, refundReqInfo, map[string]string{"nonce_str": fmt.Sprint("m", i), "appid": fmt.Sprint("wx", i)})
		if code, _ := post(body); code != 200 {
			t.Fatalf("replay %d: %d", i, code)
		}
	}
	if calls.Load() != 1 {
		t.Fatalf("the refund reached the business function %d times", calls.Load())
	}
	// Undocumented or nested fields beside req_info are refused, and are
	// never readable as verified.
	for name, extra := range map[string]map[string]string{
		"out_trade_no": {"out_trade_no": "O-FORGED"},
		"total_fee":    {"total_fee": "100000"},
		"result_code":  {"result_code": "SUCCESS"},
	} {
		body := refundNotification(t, srv, refundReqInfo, extra)
		if _, err := nf.ParseV2Notification(nil, body); !errors.Is(err, wechatpay.ErrUnsignedFields) {
			t.Fatalf("%s: %v", name, err)
		}
	}
	nested := bytes.Replace(refundNotification(t, srv, refundReqInfo, nil), []byte("</xml>"), []byte("<mch_id>2</mch_id></xml>"), 1)
	if _, err := nf.ParseV2Notification(nil, nested); !errors.Is(err, wechatpay.ErrUnsignedFields) {
		t.Fatalf("repeated mch_id: %v", err)
	}
	// The guard's IDs are short, whatever the notification.
	for _, id := range guard.ids {
		if len(id) > 80 || strings.Contains(id, srv.MchID) {
			t.Fatalf("replay ID %q", id)
		}
	}
}

// An event_id planted in an unsigned refund notification cannot make the
// guard swallow a later genuine event notification with that event_id.
func TestV2PlantedEventID(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	nf.ReplayGuard = wechatpay.NewMemoryReplayGuard(0)
	post, calls, got := v2Receiver(t, nf)

	planted := refundNotification(t, srv, refundReqInfo, map[string]string{"event_id": "EV-2024-0001"})
	if code, _ := post(planted); code != http.StatusUnauthorized || calls.Load() != 0 {
		t.Fatalf("planted event_id: %d, %d calls", code, calls.Load())
	}
	ct, _ := crypto.EncryptAESGCM([]byte(srv.APIv3Key), []byte("event_nonce1"), []byte("<xml><state>DONE</state></xml>"), []byte("aad"))
	event := v2Signed(t, srv.Secret, map[string]string{"mch_id": srv.MchID, "appid": "wx1", "algorithm": "HMAC-SHA256", "nonce_str": "n",
		"event_id": "EV-2024-0001", "event_create_time": "20240101", "event_type": "TRANSACTION.SUCCESS", "event_algorithm": "AEAD_AES_256_GCM",
		"event_nonce": "event_nonce1", "event_associated_data": "aad", "event_ciphertext": ct}, "HMAC-SHA256")
	if code, _ := post(event); code != 200 || calls.Load() != 1 || got().Field("event_id") != "EV-2024-0001" {
		t.Fatalf("genuine event after the planted one: %d, %d calls", code, calls.Load())
	}
	// Sent again, it is the same event.
	if code, _ := post(event); code != 200 || calls.Load() != 1 {
		t.Fatalf("the event again: %d, %d calls", code, calls.Load())
	}
	// The refund itself, without the planted field, is its own
	// notification.
	if code, _ := post(refundNotification(t, srv, refundReqInfo, nil)); code != 200 || calls.Load() != 2 {
		t.Fatalf("refund after the event: %d, %d calls", code, calls.Load())
	}
}

// The memory guard keeps at most MaxEntries IDs, forgetting the oldest,
// and the handlers give it short IDs however large the notification.
func TestMemoryReplayGuardBound(t *testing.T) {
	ctx := context.Background()
	g := wechatpay.NewMemoryReplayGuard(0)
	g.MaxEntries = 100
	for i := range 1000 {
		g.MarkHandled(ctx, fmt.Sprint("id-", i))
		if g.Len() > 100 {
			t.Fatalf("%d IDs kept after %d", g.Len(), i+1)
		}
	}
	for i, want := range map[int]bool{0: false, 899: false, 900: true, 999: true} {
		if ok, _ := g.Handled(ctx, fmt.Sprint("id-", i)); ok != want {
			t.Errorf("id-%d handled: %v", i, ok)
		}
	}
	// Marked again, an old ID becomes the newest.
	g.MarkHandled(ctx, "id-900")
	for i := range 99 {
		g.MarkHandled(ctx, fmt.Sprint("new-", i))
	}
	if ok, _ := g.Handled(ctx, "id-900"); !ok {
		t.Fatal("a re-marked ID was evicted first")
	}
	// Expired IDs go.
	short := wechatpay.NewMemoryReplayGuard(time.Millisecond)
	short.MarkHandled(ctx, "a")
	time.Sleep(5 * time.Millisecond)
	short.MarkHandled(ctx, "b")
	if ok, _ := short.Handled(ctx, "a"); ok || short.Len() != 1 {
		t.Fatalf("expired ID kept: %v, %d IDs", ok, short.Len())
	}
	// The zero value works, with the defaults.
	var zero wechatpay.MemoryReplayGuard
	zero.MarkHandled(ctx, "z")
	if ok, _ := zero.Handled(ctx, "z"); !ok {
		t.Fatal("the zero guard forgot")
	}

	// Through the handlers: 300 distinct notifications, some with a 100 KB
	// ID, keep the guard within its bound and its IDs short.
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	guard := &recordingGuard{MemoryReplayGuard: wechatpay.NewMemoryReplayGuard(0)}
	guard.MaxEntries = 50
	nf.ReplayGuard = guard
	hs := httptest.NewServer(nf.Handler(func(context.Context, *wechatpay.Notification) error { return nil }))
	defer hs.Close()
	post2, _, _ := v2Receiver(t, nf)
	for i := range 300 {
		id := fmt.Sprint("EV-", i)
		if i%100 == 0 {
			id += strings.Repeat("x", 100<<10)
		}
		h, body := v3Notification(t, srv, id, "TRANSACTION.SUCCESS", map[string]string{"trade_state": "SUCCESS"}, time.Now().Unix())
		req, _ := http.NewRequest("POST", hs.URL, bytes.NewReader(body))
		req.Header = h
		res, err := http.DefaultClient.Do(req)
		if err != nil || res.StatusCode != 204 {
			t.Fatal(res, err)
		}
		res.Body.Close()
		if i%3 == 0 {
			info := fmt.Sprintf("<root><out_refund_no>R%d</out_refund_no><refund_status>SUCCESS</refund_status><pad>%s</pad></root>", i, strings.Repeat("p", i*100))
			if code, _ := post2(refundNotification(t, srv, info, nil)); code != 200 {
				t.Fatal(code)
			}
		}
		if guard.Len() > 50 {
			t.Fatalf("%d IDs kept", guard.Len())
		}
	}
	for _, id := range guard.ids {
		if len(id) > 80 {
			t.Fatalf("a %d-byte replay ID", len(id))
		}
	}
}

// A signed notification is known by its signed fields: a replay with an
// empty element added (which the sign skips) or laid out differently is
// the same notification; another genuine one is not.
func TestV2SignedNotificationReplays(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	nf := notifier(t, srv)
	nf.ReplayGuard = wechatpay.NewMemoryReplayGuard(0)
	post, calls, _ := v2Receiver(t, nf)
	paid := func(outTradeNo string) []byte {
		return v2Signed(t, srv.Secret, map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "mch_id": srv.MchID,
			"out_trade_no": outTradeNo, "transaction_id": "4200000001", "total_fee": "1", "nonce_str": "n"}, "MD5")
	}
	body := paid("O1")
	for _, replay := range [][]byte{
		body,
		bytes.Replace(body, []byte("</xml>"), []byte("<attach></attach></xml>"), 1),
		append([]byte("\n  "), bytes.ReplaceAll(body, []byte("><"), []byte(">\n<"))...),
	} {
		if code, _ := post(replay); code != 200 || calls.Load() != 1 {
			t.Fatalf("%s: %d, %d calls", replay, code, calls.Load())
		}
	}
	if code, _ := post(paid("O2")); code != 200 || calls.Load() != 2 {
		t.Fatalf("another notification: %d, %d calls", code, calls.Load())
	}
}
