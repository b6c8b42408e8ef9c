package wechatpay_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// deliveredCert is one entry of a v3/certificates answer.
type deliveredCert struct {
	id               *wechatpaytest.Identity
	effective, until time.Time
	serial           string // overrides id.Serial in serial_no
	algorithm        string // overrides AEAD_AES_256_GCM
}

// certificatesAnswer writes a v3/certificates answer, each certificate
// encrypted with AES-256-GCM under apiv3Key, with code of its own.
func certificatesAnswer(apiv3Key string, certs ...deliveredCert) []byte {
	block, err := aes.NewCipher([]byte(apiv3Key))
	if err != nil {
		panic(err) // the fake server's APIv3 key is 32 bytes
	}
	gcm, _ := cipher.NewGCM(block)
	var data []map[string]any
	for _, c := range certs {
		nonce := make([]byte, 12)
		rand.Read(nonce)
		for i := range nonce {
			nonce[i] = "0123456789abcdefghijklmnopqrstuvwxyz"[nonce[i]%36]
		}
		serial, alg := c.id.Serial, "AEAD_AES_256_GCM"
		if c.serial != "" {
			serial = c.serial
		}
		if c.algorithm != "" {
			alg = c.algorithm
		}
		data = append(data, map[string]any{
			"serial_no":      serial,
			"effective_time": c.effective.Format(time.RFC3339),
			"expire_time":    c.until.Format(time.RFC3339),
			"encrypt_certificate": map[string]string{
				"algorithm": alg, "nonce": string(nonce), "associated_data": "certificate",
				"ciphertext": base64.StdEncoding.EncodeToString(gcm.Seal(nil, nonce, c.id.CertPEM(), []byte("certificate"))),
			},
		})
	}
	b, _ := json.Marshal(map[string]any{"data": data})
	return b
}

// certificateServer serves v3/certificates from what set last gave it.
type certificateServer struct {
	srv   *wechatpaytest.Server
	mu    sync.Mutex
	reply func() *wechatpaytest.Answer
	hits  atomic.Int32
}

func newCertificateServer(t *testing.T) *certificateServer {
	cs := startCertificateServer()
	t.Cleanup(cs.srv.Close)
	return cs
}

// startCertificateServer is newCertificateServer for examples; close its
// srv when done.
func startCertificateServer() *certificateServer {
	cs := &certificateServer{srv: wechatpaytest.NewServer()}
	cs.srv.HandleFunc("GET", "v3/certificates", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		cs.hits.Add(1)
		if r.URL.Query().Get("algorithm_type") != "" && r.URL.Query().Get("algorithm_type") != "RSA" {
			return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", "algorithm_type")
		}
		cs.mu.Lock()
		defer cs.mu.Unlock()
		return cs.reply()
	})
	cs.srv.HandleFunc("GET", "v3/x", echo)
	return cs
}

// deliver makes the server answer with certs, signed as the server signs
// (with its platform certificate).
func (cs *certificateServer) deliver(certs ...deliveredCert) {
	body := certificatesAnswer(cs.srv.APIv3Key, certs...)
	cs.set(func() *wechatpaytest.Answer { return &wechatpaytest.Answer{Body: body} })
}

func (cs *certificateServer) set(reply func() *wechatpaytest.Answer) {
	cs.mu.Lock()
	cs.reply = reply
	cs.mu.Unlock()
}

func (cs *certificateServer) platform(effective, until time.Duration) deliveredCert {
	now := time.Now()
	return deliveredCert{id: cs.srv.Platform, effective: now.Add(effective), until: now.Add(until)}
}

// A client that trusts only the WeChat Pay public key, talking to a server
// that signs with its platform certificate, downloads and trusts the
// certificates the answer delivers.
func TestFetchCertificates(t *testing.T) {
	cs := newCertificateServer(t)
	newer, _ := wechatpaytest.NewIdentity("wechatpay platform 2")
	now := time.Now().Truncate(time.Second)
	cs.deliver(cs.platform(-time.Hour, 24*time.Hour), deliveredCert{id: newer, effective: now.Add(time.Hour), until: now.Add(48 * time.Hour)})
	c, err := wechatpay.New(cs.srv.ConfigFor(wechatpaytest.PublicKeyMode))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Chain("v3/x").Get(); !errors.Is(err, wechatpay.ErrUnknownSerial) {
		t.Fatalf("the client should not know the platform certificate yet: %v", err)
	}
	certs, err := c.FetchCertificates(context.Background(), wechatpay.M{"query": wechatpay.M{"algorithm_type": "RSA"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(certs) != 2 || certs[0].Serial != newer.Serial || certs[1].Serial != cs.srv.Platform.Serial {
		t.Fatalf("%+v", certs)
	}
	got := certs[0]
	if !got.EffectiveTime.Equal(now.Add(time.Hour)) || !got.ExpireTime.Equal(now.Add(48*time.Hour)) ||
		!got.Certificate.Equal(newer.Cert) || string(got.PEM) != string(newer.CertPEM()) ||
		!got.NotBefore().Equal(now.Add(time.Hour)) || !got.NotAfter().Equal(now.Add(48*time.Hour)) ||
		got.ValidAt(time.Now()) || !certs[1].ValidAt(time.Now()) {
		t.Fatalf("%+v", got)
	}
	// Fetching does not change what the client trusts.
	if len(c.Keys().Serials()) != 1 {
		t.Fatal(c.Keys().Serials())
	}
}

func TestFetchCertificatesFailures(t *testing.T) {
	cs := newCertificateServer(t)
	other, _ := wechatpaytest.NewIdentity("not wechatpay")
	good := certificatesAnswer(cs.srv.APIv3Key, cs.platform(-time.Hour, time.Hour))
	c, _ := wechatpay.New(cs.srv.ConfigFor(wechatpaytest.PublicKeyMode))
	defer c.Close()
	signedBy := func(id *wechatpaytest.Identity, serial string, signed, sent []byte) func() *wechatpaytest.Answer {
		return func() *wechatpaytest.Answer {
			return &wechatpaytest.Answer{Body: sent, Unsigned: true, Header: signedHeaders(t, id.Key, serial, time.Now().Unix(), string(signed))}
		}
	}
	for _, tc := range []struct {
		name  string
		reply func() *wechatpaytest.Answer
		check func(error) bool
	}{
		{"signed by a certificate not delivered", signedBy(other, other.Serial, good, good), func(err error) bool {
			return errors.Is(err, wechatpay.ErrUnknownSerial)
		}},
		{"signature over another body", signedBy(cs.srv.Platform, cs.srv.Platform.Serial, []byte(`{"data":[]}`), good), func(err error) bool {
			var ve *wechatpay.VerifyError
			return errors.As(err, &ve) && errors.Is(err, wechatpay.ErrBadSignature)
		}},
		{"wrong APIv3 key", func() *wechatpaytest.Answer {
			return &wechatpaytest.Answer{Body: certificatesAnswer(strings.Repeat("k", 32), cs.platform(-time.Hour, time.Hour))}
		}, func(err error) bool {
			var ce *wechatpay.CertificateError
			return errors.As(err, &ce) && ce.Serial == cs.srv.Platform.Serial && errors.Is(err, crypto.ErrCiphertext) &&
				!strings.Contains(err.Error(), cs.srv.APIv3Key)
		}},
		{"serial not the certificate's", func() *wechatpaytest.Answer {
			d := cs.platform(-time.Hour, time.Hour)
			d.serial = other.Serial
			return &wechatpaytest.Answer{Body: certificatesAnswer(cs.srv.APIv3Key, d)}
		}, func(err error) bool { return strings.Contains(err.Error(), "the certificate's own serial is") }},
		{"SM4", func() *wechatpaytest.Answer {
			d := cs.platform(-time.Hour, time.Hour)
			d.algorithm = "AEAD_SM4_GCM"
			return &wechatpaytest.Answer{Body: certificatesAnswer(cs.srv.APIv3Key, d)}
		}, func(err error) bool { return strings.Contains(err.Error(), "only AEAD_AES_256_GCM") }},
		{"no certificate", func() *wechatpaytest.Answer { return &wechatpaytest.Answer{Body: []byte(`{"data":[]}`)} },
			func(err error) bool { return strings.Contains(err.Error(), "no certificate") }},
		{"not JSON", func() *wechatpaytest.Answer { return &wechatpaytest.Answer{Body: []byte(`<html>`)} },
			func(err error) bool { return strings.Contains(err.Error(), "not the JSON") }},
		{"server error", func() *wechatpaytest.Answer { return wechatpaytest.ErrorJSON(500, "SYSTEM_ERROR", "系统错误") },
			func(err error) bool {
				var ae *wechatpay.APIError
				return errors.As(err, &ae) && ae.Code == "SYSTEM_ERROR"
			}},
	} {
		cs.set(tc.reply)
		certs, err := c.FetchCertificates(context.Background())
		if certs != nil || !tc.check(err) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	cfg := cs.srv.Config()
	cfg.APIv3Key = crypto.Secret{}
	noKey, _ := wechatpay.New(cfg)
	defer noKey.Close()
	if _, err := noKey.FetchCertificates(context.Background()); !errors.Is(err, wechatpay.ErrAPIv3KeyNotConfigured) {
		t.Fatal(err)
	}
	cfg = cs.srv.Config()
	cfg.Serial, cfg.PrivateKey, cfg.Certs = "", nil, nil
	v2only, _ := wechatpay.New(cfg)
	defer v2only.Close()
	if _, err := v2only.FetchCertificates(context.Background()); !errors.Is(err, wechatpay.ErrAPIv3NotConfigured) {
		t.Fatal(err)
	}
}

// eventually polls cond until it holds or a few seconds pass.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The refresh installs certificates beside the public key, keeps the old
// and the new through a rotation, drops an expired one, survives failures,
// and never blocks the calls going on meanwhile.
func TestCertificateRefresh(t *testing.T) {
	cs := newCertificateServer(t)
	newer, _ := wechatpaytest.NewIdentity("wechatpay platform 2")
	cs.deliver(cs.platform(-time.Hour, 24*time.Hour))
	c, err := wechatpay.New(cs.srv.ConfigFor(wechatpaytest.PublicKeyMode))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var errs atomic.Int32
	var updates atomic.Int32
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := c.StartCertificateRefresh(ctx, wechatpay.CertificateRefresh{
		Interval: 20 * time.Millisecond, RetryInterval: 10 * time.Millisecond,
		OnError:  func(error) { errs.Add(1) },
		OnUpdate: func([]*wechatpay.PlatformCertificate) { updates.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	has := func(serials ...string) func() bool {
		sort.Strings(serials)
		return func() bool { return strings.Join(c.Keys().Serials(), ",") == strings.Join(serials, ",") }
	}
	platform, pubKeyID := cs.srv.Platform.Serial, cs.srv.PublicKeyID
	if !has(platform, pubKeyID)() || updates.Load() != 1 || len(r.Certificates()) != 1 {
		t.Fatalf("after the first fetch: %v", c.Keys().Serials())
	}
	if info, _ := c.Keys().Lookup(platform); !info.HasValidity() || info.IsPublicKey() {
		t.Fatalf("%+v", info)
	}

	// Calls go on, verified with the installed certificate, while the
	// certificates change under them.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var callErr atomic.Value
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := c.Chain("v3/x").Get(); err != nil {
				callErr.Store(err)
			}
		}
	}()

	// Rotation: old and new side by side; then only the new is delivered,
	// and the old stays while it is valid.
	cs.deliver(cs.platform(-time.Hour, 24*time.Hour), deliveredCert{id: newer, effective: time.Now(), until: time.Now().Add(48 * time.Hour)})
	eventually(t, "the new certificate", has(platform, pubKeyID, newer.Serial))
	cs.deliver(deliveredCert{id: newer, effective: time.Now(), until: time.Now().Add(48 * time.Hour)})
	n := cs.hits.Load()
	eventually(t, "two more fetches", func() bool { return cs.hits.Load() >= n+2 })
	if !has(platform, pubKeyID, newer.Serial)() {
		t.Fatalf("the old certificate was dropped while valid: %v", c.Keys().Serials())
	}
	close(stop)
	wg.Wait()
	if err, _ := callErr.Load().(error); err != nil {
		t.Fatalf("a call failed during the rotation: %v", err)
	}

	// Failures are reported and retried; what is installed stays.
	cs.set(func() *wechatpaytest.Answer { return wechatpaytest.ErrorJSON(500, "SYSTEM_ERROR", "系统错误") })
	eventually(t, "errors", func() bool { return errs.Load() >= 2 })
	if r.Err() == nil || !has(platform, pubKeyID, newer.Serial)() {
		t.Fatal(r.Err(), c.Keys().Serials())
	}

	// An expired certificate goes.
	cs.deliver(cs.platform(-48*time.Hour, -time.Hour), deliveredCert{id: newer, effective: time.Now(), until: time.Now().Add(48 * time.Hour)})
	eventually(t, "the expired certificate to go", has(pubKeyID, newer.Serial))
	eventually(t, "a successful fetch", func() bool { return r.Err() == nil })

	// The context stops it.
	cancel()
	select {
	case <-r.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the refresh did not stop with its context")
	}
	r.Stop() // harmless after the end
}

// refreshGoroutines counts the goroutines of certificate refreshes.
func refreshGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "wechatpay.(*CertificateRefresher)") || strings.Contains(g, "wechatpay.(*Client).goBackground") {
			n++
		}
	}
	return n
}

// Close stops the refresh and waits for it; a refresh cannot start on a
// closed client; a failing first fetch starts nothing.
func TestCertificateRefreshLifetime(t *testing.T) {
	cs := newCertificateServer(t)
	cs.deliver(cs.platform(-time.Hour, 24*time.Hour))
	c, _ := wechatpay.New(cs.srv.Config())
	r, err := c.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{Interval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := c.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{Interval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n := refreshGoroutines(); n != 2 {
		t.Fatalf("%d refresh goroutines running, want 2", n)
	}
	c.Close()
	for _, x := range []*wechatpay.CertificateRefresher{r, r2} {
		select {
		case <-x.Done():
		default:
			t.Fatal("Close returned before the refresh ended")
		}
	}
	// Close returns once each refresh has called the WaitGroup's Done,
	// which it does on its way out: give the goroutine the moment it needs
	// to leave.
	for deadline := time.Now().Add(2 * time.Second); refreshGoroutines() != 0 && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	if n := refreshGoroutines(); n != 0 {
		t.Fatalf("%d refresh goroutine(s) left after Close", n)
	}
	if _, err := c.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{}); err == nil {
		t.Fatal("a refresh started on a closed client")
	}
	c.Close() // again: harmless

	c2, _ := wechatpay.New(cs.srv.Config())
	defer c2.Close()
	cs.set(func() *wechatpaytest.Answer { return wechatpaytest.ErrorJSON(500, "SYSTEM_ERROR", "系统错误") })
	if _, err := c2.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{}); err == nil {
		t.Fatal("a failing first fetch started a refresh")
	}
	// Stop ends one refresh and leaves the client usable.
	cs.deliver(cs.platform(-time.Hour, 24*time.Hour))
	r3, err := c2.StartCertificateRefresh(context.Background(), wechatpay.CertificateRefresh{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	r3.Stop()
	if _, err := c2.Chain("v3/x").Get(); err != nil {
		t.Fatal(err)
	}
}
