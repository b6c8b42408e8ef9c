package wechatpay_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// coldConfig is the sandbox's Config in certificate mode: the APIv3 key and
// no platform certificate.
func coldConfig(srv *wechatpaytest.Server) wechatpay.Config {
	cfg := srv.ConfigFor(wechatpaytest.CertificateMode)
	cfg.Certs = nil
	return cfg
}

// pingRoute answers "GET v3/x" with a signed {"ok":true}.
func pingRoute(srv *wechatpaytest.Server) {
	srv.HandleFunc("GET", "v3/x", func(*wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"ok": true})
	})
}

// receiver serves h on 127.0.0.1 until the test ends and returns its URL.
func receiver(t testing.TB, h http.Handler) string {
	t.Helper()
	hs := httptest.NewServer(h)
	t.Cleanup(hs.Close)
	return hs.URL + "/notify"
}

func mustNew(t testing.TB, cfg wechatpay.Config) *wechatpay.Client {
	t.Helper()
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// errorLog collects what OnError reports.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	l.errs = append(l.errs, err)
	l.mu.Unlock()
}

func (l *errorLog) all() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// A client without platform certificates but with the APIv3 key downloads
// them on first use, once however many goroutines call at once, and
// verifies every answer with them.
func TestCertificateModeColdStart(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	c := mustNew(t, coldConfig(srv))
	if c.Keys().Len() != 0 {
		t.Fatalf("keys before the first call: %v", c.Keys().Serials())
	}
	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			res, err := c.Chain("v3/x").Get()
			if err == nil && !res.Get("ok").Bool() {
				err = errors.New(string(res.Body))
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := srv.Count("GET v3/certificates"); n != 1 {
		t.Fatalf("%d downloads for 32 concurrent first calls, want 1", n)
	}
	if _, ok := c.Keys().Lookup(srv.Platform.Serial); !ok {
		t.Fatalf("keys %v lack the platform certificate %s", c.Keys().Serials(), srv.Platform.Serial)
	}
	// An answer signed by another key still fails: the certificates
	// delivered verify, nothing else.
	srv.Fault("GET v3/x", wechatpaytest.BadSignature().Once())
	if _, err := c.Chain("v3/x").Get(); !errors.Is(err, middleware.ErrBadSignature) {
		t.Fatalf("a bad signature: %v", err)
	}
}

// A download that fails leaves the call unsent, with an error wrapping
// ErrNoCertificates and the cause; the next call tries again.
func TestCertificateModeColdStartFailure(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)

	cfg := coldConfig(srv)
	cfg.APIv3Key = crypto.NewSecret(strings.Repeat("k", 32)) // not the merchant's
	c := mustNew(t, cfg)
	_, err := c.Chain("v3/x").Get()
	var ce *wechatpay.CertificateError
	if !errors.Is(err, wechatpay.ErrNoCertificates) || !errors.As(err, &ce) || !errors.Is(err, crypto.ErrCiphertext) {
		t.Fatalf("a wrong APIv3 key: %v", err)
	}

	c = mustNew(t, coldConfig(srv))
	srv.Fault("GET v3/certificates", wechatpaytest.BadSignature().Once())
	_, err = c.Chain("v3/x").Get()
	var ve *wechatpay.VerifyError
	if !errors.Is(err, wechatpay.ErrNoCertificates) || !errors.As(err, &ve) {
		t.Fatalf("a download with a bad signature: %v", err)
	}
	srv.Fault("GET v3/certificates", wechatpaytest.ServerError(500).Once())
	_, err = c.Chain("v3/x").Get()
	var ae *wechatpay.APIError
	if !errors.Is(err, wechatpay.ErrNoCertificates) || !errors.As(err, &ae) || ae.StatusCode != 500 {
		t.Fatalf("a download answered 500: %v", err)
	}
	if n := srv.Count("GET v3/x"); n != 0 {
		t.Fatalf("%d calls sent without a certificate to verify their answer", n)
	}
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatalf("once WeChat Pay answers: %v", err)
	}
	if n := srv.Count("GET v3/certificates"); n != 4 {
		t.Fatalf("%d downloads, want 4", n)
	}
}

// A rotation: the answer names a serial the client does not know, which
// makes it download the certificates again; the old one stays beside the
// new. Unknown serials cause at most one download per
// UnknownSerialInterval.
func TestCertificateModeRotation(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	cfg := coldConfig(srv)
	var reported errorLog
	cfg.CertificateRefresh = wechatpay.CertificateRefresh{UnknownSerialInterval: time.Hour, OnError: reported.add}
	c := mustNew(t, cfg)
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	old := srv.Platform.Serial
	if _, err := srv.RotatePlatformCertificate(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatalf("after a rotation: %v", err)
	}
	if _, ok := c.Keys().Lookup(old); !ok || c.Keys().Len() != 2 {
		t.Fatalf("keys %v: the old certificate %s should stay beside the new", c.Keys().Serials(), old)
	}
	if n := srv.Count("GET v3/certificates"); n != 2 {
		t.Fatalf("%d downloads, want 2", n)
	}

	// Serials nobody has: one download per interval, here none more.
	for range 2 {
		srv.Fault("GET v3/x", wechatpaytest.UnknownSerial().Once())
		if _, err := c.Chain("v3/x").Get(); !errors.Is(err, middleware.ErrUnknownSerial) {
			t.Fatalf("an unknown serial: %v", err)
		}
	}
	if n := srv.Count("GET v3/certificates"); n != 2 {
		t.Fatalf("%d downloads after unknown serials within the interval, want 2", n)
	}
	if errs := reported.all(); len(errs) != 0 {
		t.Fatalf("reported: %v", errs)
	}
}

// With a short UnknownSerialInterval each unknown serial past it makes one
// download, and a rotation right after a download is picked up at once.
func TestCertificateModeUnknownSerialInterval(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	cfg := coldConfig(srv)
	cfg.CertificateRefresh.UnknownSerialInterval = 100 * time.Millisecond
	c := mustNew(t, cfg)
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	srv.Fault("GET v3/x", wechatpaytest.UnknownSerial().Once())
	if _, err := c.Chain("v3/x").Get(); !errors.Is(err, middleware.ErrUnknownSerial) {
		t.Fatalf("an unknown serial: %v", err)
	}
	if _, err := srv.RotatePlatformCertificate(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(150 * time.Millisecond)
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatalf("a rotation after the interval: %v", err)
	}
	if n := srv.Count("GET v3/certificates"); n != 3 {
		t.Fatalf("%d downloads, want 3: the first, the unknown serial's, the rotation's", n)
	}
}

// Clients sharing a MemoryCertificateStore make one download between them.
func TestCertificateModeSharedMemoryStore(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	store := wechatpay.NewMemoryCertificateStore()
	var clients []*wechatpay.Client
	for range 8 {
		cfg := coldConfig(srv)
		cfg.CertificateStore = store
		clients = append(clients, mustNew(t, cfg))
	}
	var wg sync.WaitGroup
	var failed atomic.Int32
	for _, c := range clients {
		wg.Go(func() {
			for range 5 {
				if _, err := c.Chain("v3/x").Get(); err != nil {
					t.Error(err)
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if n := srv.Count("GET v3/certificates"); n != 1 {
		t.Fatalf("%d downloads for 8 clients sharing a store, want 1", n)
	}
}

// A client in certificate mode checks every Interval: when the shared
// record is older, one client downloads for all.
func TestCertificateModePeriodicRefresh(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	store := wechatpay.NewMemoryCertificateStore()
	var clients []*wechatpay.Client
	for range 4 {
		cfg := coldConfig(srv)
		cfg.CertificateStore = store
		cfg.CertificateRefresh = wechatpay.CertificateRefresh{Interval: time.Second, RetryInterval: 100 * time.Millisecond}
		clients = append(clients, mustNew(t, cfg))
	}
	start := time.Now()
	for time.Since(start) < 3500*time.Millisecond {
		for _, c := range clients {
			if _, err := c.Chain("v3/x").Get(); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Wechatpay-Timestamp counts seconds: a record is a second younger or
	// older than it is, so 3.5 s make 3 or 4 refreshes after the first.
	if n := srv.Count("GET v3/certificates"); n < 3 || n > 5 {
		t.Fatalf("%d downloads in 3.5 s with a 1 s interval and 4 clients, want 3 to 5", n)
	}
}

// A store that holds garbage, or a record that does not decrypt or verify,
// is reported and not used: the client downloads the certificates itself,
// and puts a good record back.
func TestCertificateModeUntrustedRecord(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	other := wechatpaytest.NewServer(wechatpaytest.WithMchID(srv.MchID))
	defer other.Close()

	// A record from a merchant with another APIv3 key, and one whose
	// signature was altered.
	foreign := wechatpay.NewMemoryCertificateStore()
	ocfg := coldConfig(other)
	ocfg.CertificateStore = foreign
	if _, err := mustNew(t, ocfg).FetchCertificates(context.Background()); err != nil {
		t.Fatal(err)
	}
	pingRoute(other)
	if _, err := mustNew(t, ocfg).Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	foreignRecord, _ := foreign.LoadCertificates(context.Background(), srv.MchID)
	if len(foreignRecord) == 0 {
		t.Fatal("no record saved")
	}
	good := wechatpay.NewMemoryCertificateStore()
	gcfg := coldConfig(srv)
	gcfg.CertificateStore = good
	if _, err := mustNew(t, gcfg).Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	goodRecord, _ := good.LoadCertificates(context.Background(), srv.MchID)
	var rec map[string]any
	if err := json.Unmarshal(goodRecord, &rec); err != nil {
		t.Fatal(err)
	}
	rec["header"].(map[string]any)[middleware.HeaderSignature] = strings.Repeat("A", 344)
	forged, _ := json.Marshal(rec)

	cases := []struct {
		name   string
		record []byte
		check  func(error) bool
	}{
		{"garbage", []byte("\x00not json"), func(err error) bool { var se *json.SyntaxError; return errors.As(err, &se) }},
		{"another merchant's", foreignRecord, func(err error) bool { return errors.Is(err, crypto.ErrCiphertext) }},
		{"a forged signature", forged, func(err error) bool { return errors.Is(err, middleware.ErrBadSignature) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			store := wechatpay.NewMemoryCertificateStore()
			store.SaveCertificates(context.Background(), srv.MchID, tc.record)
			var reported errorLog
			cfg := coldConfig(srv)
			cfg.CertificateStore = store
			cfg.CertificateRefresh.OnError = reported.add
			before := srv.Count("GET v3/certificates")
			c := mustNew(t, cfg)
			if _, err := c.Chain("v3/x").Get(); err != nil {
				t.Fatal(err)
			}
			if n := srv.Count("GET v3/certificates") - before; n != 1 {
				t.Fatalf("%d downloads, want 1", n)
			}
			errs := reported.all()
			var se *wechatpay.CertificateStoreError
			if len(errs) == 0 || !errors.As(errs[0], &se) || se.Op != "load" || !errors.Is(errs[0], wechatpay.ErrCertificateRecord) ||
				!errors.Is(errs[0], wechatpay.ErrCertificateStore) || !tc.check(errs[0]) {
				t.Fatalf("reported %v", errs)
			}
			// The client put a good record back.
			b, _ := store.LoadCertificates(context.Background(), srv.MchID)
			check := coldConfig(srv)
			check.CertificateStore = store
			c2 := mustNew(t, check)
			before = srv.Count("GET v3/certificates")
			if _, err := c2.Chain("v3/x").Get(); err != nil || srv.Count("GET v3/certificates") != before || string(b) == string(tc.record) {
				t.Fatalf("the store was not healed: %v", err)
			}
		})
	}
}

// An older record never replaces what a client holds: a replayed record
// cannot take back a rotation.
func TestCertificateModeOlderRecordIgnored(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	store := wechatpay.NewMemoryCertificateStore()
	cfg := coldConfig(srv)
	cfg.CertificateStore = store
	cfg.CertificateRefresh = wechatpay.CertificateRefresh{Interval: time.Hour, UnknownSerialInterval: time.Millisecond}
	var updates atomic.Int32
	cfg.CertificateRefresh.OnUpdate = func([]*wechatpay.PlatformCertificate) { updates.Add(1) }
	c := mustNew(t, cfg)
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	first, _ := store.LoadCertificates(context.Background(), srv.MchID)
	time.Sleep(1100 * time.Millisecond) // a later Wechatpay-Timestamp
	srv.RotatePlatformCertificate()
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	store.SaveCertificates(context.Background(), srv.MchID, first)
	r, err := c.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r.Stop()
	if got := r.Certificates(); len(got) != 2 || updates.Load() != 2 {
		t.Fatalf("after an older record: %d certificates, %d updates", len(got), updates.Load())
	}
}

// An instance that took the refresh lease and died: the others wait for
// the lease to lapse, then one of them downloads.
func TestCertificateModeStuckLease(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	store := wechatpay.NewMemoryCertificateStore()
	ok, _ := store.AcquireLease(context.Background(), srv.MchID+"/certificates/refresh", "dead", 400*time.Millisecond)
	if !ok {
		t.Fatal("no lease")
	}
	cfg := coldConfig(srv)
	cfg.CertificateStore = store
	cfg.CertificateRefresh.Lease = 2 * time.Second
	c := mustNew(t, cfg)
	start := time.Now()
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 350*time.Millisecond {
		t.Fatalf("the call took %v: it did not wait for the lease", d)
	}
	if n := srv.Count("GET v3/certificates"); n != 1 {
		t.Fatalf("%d downloads", n)
	}
}

// Cross-border merchants list their certificates at v3/global/certificates:
// by Config.CertificatesPath, and by default on apihk.mch.weixin.qq.com.
func TestCertificateModeGlobal(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)

	cfg := coldConfig(srv)
	cfg.CertificatesPath = "v3/global/certificates"
	if _, err := mustNew(t, cfg).Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	if g, d := srv.Count("GET v3/global/certificates"), srv.Count("GET v3/certificates"); g != 1 || d != 0 {
		t.Fatalf("%d global and %d domestic downloads", g, d)
	}

	// apihk.mch.weixin.qq.com, reached at the sandbox.
	cfg = coldConfig(srv)
	cfg.BaseURL = "http://apihk.mch.weixin.qq.com/"
	cfg.NoBackup = true
	addr := strings.TrimSuffix(strings.TrimPrefix(srv.URL, "http://"), "/")
	cfg.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}
	c := mustNew(t, cfg)
	if _, err := c.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.FetchCertificates(context.Background()); err != nil {
		t.Fatal(err)
	}
	if g := srv.Count("GET v3/global/certificates"); g != 3 {
		t.Fatalf("%d global downloads, want 3", g)
	}
}

// A Notifier of a client in certificate mode downloads the certificates on
// the first notification, and again when one names a new serial.
func TestCertificateModeNotifier(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := mustNew(t, coldConfig(srv))
	var got atomic.Int32
	h := c.Notifier().Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		got.Add(1)
		return nil
	})
	url := receiver(t, h)
	for i := range 2 {
		if i == 1 {
			if _, err := srv.RotatePlatformCertificate(); err != nil {
				t.Fatal(err)
			}
		}
		d, err := srv.Notify(context.Background(), url, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS"}, wechatpaytest.WithSchedule())
		if err != nil || !d.Delivered {
			t.Fatalf("notification %d: %v %+v", i+1, err, d)
		}
	}
	if got.Load() != 2 || srv.Count("GET v3/certificates") != 2 {
		t.Fatalf("%d handled, %d downloads", got.Load(), srv.Count("GET v3/certificates"))
	}
}

// BenchmarkV3GetCertificateMode is BenchmarkV3Get for a client in
// certificate mode, its certificates downloaded: what the certificate
// manager adds to a call.
func BenchmarkV3GetCertificateMode(b *testing.B) {
	srv, static := benchServer(b)
	defer srv.Close()
	static.Close()
	c, err := wechatpay.New(coldConfig(srv))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ch := c.Chain("v3/merchant-risk-manage/trade-risk-information")
	opts := wechatpay.M{"query": wechatpay.M{"sub_mchid": "1900009231", "out_trade_no": "1217752501201407033233368018"}}
	if _, err := ch.Get(opts); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ch.Get(opts); err != nil {
			b.Fatal(err)
		}
	}
}
