package wechatpay

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wechatpay-go/wechatpay/internal/callctx"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Defaults of CertificateRefresh for a client in certificate mode.
const (
	// DefaultCertificateLease is how long the instance that downloads the
	// certificates for the others holds its lease: longer than a download
	// takes, short enough that a crashed one is soon replaced.
	DefaultCertificateLease = time.Minute
	// DefaultUnknownSerialInterval is the least time between two downloads
	// caused by answers or notifications naming a serial no certificate
	// has, whatever the number of instances sharing a store.
	DefaultUnknownSerialInterval = time.Minute
)

// certPoll is how often an instance waiting for another one's download
// reads the store again.
const certPoll = 50 * time.Millisecond

// errUnknownSerialGated: an unknown serial was not looked for, as another
// download for an unknown serial was made less than UnknownSerialInterval
// ago and did not bring it.
var errUnknownSerialGated = errors.New("wechatpay: the serial is not among the certificates downloaded lately")

// certManager keeps the platform certificates of a client in certificate
// mode: it downloads them on first use (a cold start), looks for new ones
// when an answer or a notification names a serial it does not know (a
// rotation), and checks for newer ones every Interval, sharing all of it
// through a CertificateStore, under leases, with the other clients of the
// merchant. See docs/scaling.md.
type certManager struct {
	c      *Client
	store  CertificateStore
	holder string // this client's name in leases
	cfg    CertificateRefresh
	now    func() time.Time

	nextCheck atomic.Int64 // Unix nanoseconds of the next periodic check
	keyUntil  atomic.Int64 // until when haveKey's last yes holds

	mu          sync.Mutex
	flight      *certFlight // the sync under way, which callers join
	installedAt time.Time   // Wechatpay-Timestamp of the answer installed last
	certs       []*PlatformCertificate
	added       map[string]bool // serials put into the client's keys
	lastLocal   time.Time       // the last unknown-serial download made without the store
	lastBytes   []byte          // the record read last, which verified,
	lastRecord  *openedRecord   // and what it held: read again, it is not checked again
}

// certFlight is one sync, shared by every caller that needs one while it
// runs.
type certFlight struct {
	done chan struct{}
	err  error
}

// certNeed says why a sync runs.
type certNeed struct {
	cold   bool   // the client holds no key that is valid now
	serial string // an answer or notification names this unknown serial
	// neither: the periodic check
}

func (n certNeed) periodic() bool { return !n.cold && n.serial == "" }

func newCertManager(c *Client, store CertificateStore, cfg CertificateRefresh) *certManager {
	if store == nil {
		store = NewMemoryCertificateStore()
	}
	cfg = cfg.withDefaults()
	return &certManager{c: c, store: store, holder: leaseHolder(), cfg: cfg, now: time.Now, added: map[string]bool{}}
}

// leaseHolder names this client in the store's leases: host, process and
// a random part, so that an operator reading the store sees who leads.
func leaseHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

func (m *certManager) refreshLease() string { return m.c.mchid + "/certificates/refresh" }
func (m *certManager) unknownLease() string { return m.c.mchid + "/certificates/unknown-serial" }

// verifier is the "verifier" step of a client in certificate mode. Before a
// request is sent the client must hold a key (a cold start downloads the
// certificates, or fails the call unsent with ErrNoCertificates); an
// answer naming a serial the client does not know makes it look for new
// certificates first (bounded by UnknownSerialInterval); then the answer
// is verified as middleware.Verifier does.
func (m *certManager) verifier() middleware.Middleware {
	verify := middleware.Verifier(m.c.keys)
	return func(next middleware.Handler) middleware.Handler {
		learn := middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			resp, err := next.Handle(ctx, req)
			if err == nil && resp != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
				m.learn(ctx, resp.Header.Get(middleware.HeaderSerial))
			}
			return resp, err
		})
		verified := verify(learn)
		return middleware.HandlerFunc(func(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
			if err := m.ready(ctx); err != nil {
				return nil, err
			}
			m.tick()
			return verified.Handle(ctx, req)
		})
	}
}

// ready makes sure the client holds a key that is valid now, syncing when
// it does not. The error wraps ErrNoCertificates and the cause.
func (m *certManager) ready(ctx context.Context) error {
	if m.haveKey() {
		return nil
	}
	err := m.sync(ctx, certNeed{cold: true})
	if m.haveKey() {
		return nil
	}
	if err == nil {
		err = errors.New("WeChat Pay delivered no certificate valid now")
	}
	return fmt.Errorf("%w: %w", ErrNoCertificates, err)
}

// learn looks for the certificate of serial when the client does not know
// it. A public key ID is never looked for: those are not downloaded. What
// fails is reported to OnError; the verifier then refuses the answer
// (ErrUnknownSerial).
func (m *certManager) learn(ctx context.Context, serial string) {
	if serial == "" || strings.HasPrefix(serial, middleware.PublicKeyIDPrefix) || len(serial) > 64 {
		return
	}
	if _, ok := m.c.keys.Lookup(serial); ok {
		return
	}
	if err := m.sync(ctx, certNeed{serial: serial}); err != nil && !errors.Is(err, errUnknownSerialGated) {
		m.report(err)
	}
}

// tick starts the periodic check in the background when it is due.
func (m *certManager) tick() {
	if m.now().UnixNano() < m.nextCheck.Load() {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.flight != nil || m.now().UnixNano() < m.nextCheck.Load() {
		return
	}
	m.setNextCheck(m.now().Add(m.cfg.RetryInterval)) // until the check says better
	m.startLocked(certNeed{})
}

// haveKey reports whether the client holds a key valid now. A yes is
// remembered for a second (at most until the key expires), so that a call
// does not copy and sort the keys.
func (m *certManager) haveKey() bool {
	now := m.now()
	if now.UnixNano() < m.keyUntil.Load() {
		return true
	}
	for _, k := range m.c.keys.All() {
		if k.ValidAt(now) {
			until := now.Add(time.Second)
			if !k.NotAfter.IsZero() && k.NotAfter.Before(until) {
				until = k.NotAfter
			}
			m.keyUntil.Store(until.UnixNano())
			return true
		}
	}
	return false
}

func (m *certManager) satisfied(need certNeed) bool {
	switch {
	case need.cold:
		return m.haveKey()
	case need.serial != "":
		_, ok := m.c.keys.Lookup(need.serial)
		return ok
	}
	return false
}

// sync runs a sync for need, or joins the one under way, and waits for it
// within ctx. The sync itself runs under the client's lifetime, so a caller
// giving up does not cut it short for the others.
func (m *certManager) sync(ctx context.Context, need certNeed) error {
	var last error
	for range 2 {
		if m.satisfied(need) {
			return nil
		}
		m.mu.Lock()
		f, joined := m.flight, m.flight != nil
		if !joined {
			var err error
			if f, err = m.startLocked(need); err != nil {
				m.mu.Unlock()
				return err
			}
		}
		m.mu.Unlock()
		select {
		case <-f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if !joined || need.periodic() {
			return f.err
		}
		// A sync for another need ended: ours may still be unmet.
		last = f.err
	}
	switch {
	case m.satisfied(need):
		return nil
	case last != nil:
		return last
	case need.serial != "":
		return errUnknownSerialGated
	}
	return errors.New("wechatpay: the platform certificates could not be synced")
}

// startLocked starts a sync; m.mu is held.
func (m *certManager) startLocked(need certNeed) (*certFlight, error) {
	f := &certFlight{done: make(chan struct{})}
	bound := m.cfg.Lease + 2*m.c.timeout
	err := m.c.goBackground(func(life context.Context) {
		ctx, cancel := context.WithTimeout(life, bound)
		defer cancel()
		err := m.run(ctx, need)
		m.mu.Lock()
		m.flight = nil
		m.mu.Unlock()
		f.err = err
		close(f.done)
	})
	if err != nil {
		return nil, err
	}
	m.flight = f
	return f, nil
}

// run is one sync: read the store (installing a newer record), and
// download the certificates when need calls for it, under the refresh
// lease, or wait for the instance that has the lease to do so.
func (m *certManager) run(ctx context.Context, need certNeed) error {
	rec, storeErr := m.load(ctx)
	if m.satisfied(need) {
		return nil
	}
	if need.periodic() {
		if m.fresh(rec) {
			m.setNextCheck(rec.at.Add(m.cfg.Interval + jitter(m.cfg.Interval/10)))
			return nil
		}
		if storeErr != nil {
			return storeErr // held certificates stay; checked again after RetryInterval
		}
	}
	if need.serial != "" && storeErr == nil {
		// At most one download per UnknownSerialInterval for unknown
		// serials, across every instance: anyone may send a notification
		// naming any serial. Each try has a name of its own, as this
		// instance's last try may hold the lease.
		ok, err := m.store.AcquireLease(ctx, m.unknownLease(), m.holder+"/"+claimHolder(), m.cfg.UnknownSerialInterval)
		switch {
		case err != nil:
			storeErr = m.storeError("lease", err)
			m.report(storeErr)
		case !ok:
			return m.awaitDownload(ctx, need)
		}
	}
	if storeErr != nil {
		// The store is down: download for this instance alone, as it
		// needs the certificates now, unknown serials still bounded.
		if need.serial != "" && !m.localGate() {
			return errUnknownSerialGated
		}
		return m.fetch(ctx, noSave)
	}
	start := m.now()
	for {
		ok, err := m.store.AcquireLease(ctx, m.refreshLease(), m.holder, m.cfg.Lease)
		if err != nil {
			err = m.storeError("lease", err)
			m.report(err)
			if need.periodic() {
				return err
			}
			return m.fetch(ctx, noSave)
		}
		if ok {
			// Another instance may have saved between the read and the
			// lease.
			rec, _ = m.load(ctx)
			if m.satisfied(need) || need.periodic() && m.fresh(rec) {
				m.release(ctx)
				return nil
			}
			err := m.fetch(ctx, saveLeased)
			if err == nil {
				m.release(ctx)
			}
			// A failed download keeps the lease until it lapses, so that
			// the instances retry once per lease rather than each.
			return err
		}
		// Another instance is downloading.
		if need.periodic() {
			return nil // checked again after RetryInterval
		}
		if m.now().Sub(start) > m.cfg.Lease {
			// Its lease should have ended by now: it is stuck, or the
			// store is being tampered with.
			return m.fetch(ctx, saveUnleased)
		}
		if err := callctx.Sleep(ctx, certPoll); err != nil {
			return err
		}
		if m.load(ctx); m.satisfied(need) {
			return nil
		}
	}
}

// downloadGrace is how long an instance that lost the race for an
// unknown serial's download waits for the winner to take the refresh
// lease.
const downloadGrace = time.Second

// awaitDownload waits for the download another instance makes for an
// unknown serial: until the store brings the serial, or the refresh lease
// is free past downloadGrace and the store still lacks it.
func (m *certManager) awaitDownload(ctx context.Context, need certNeed) error {
	start := m.now()
	for {
		if err := callctx.Sleep(ctx, certPoll); err != nil {
			return err
		}
		if m.load(ctx); m.satisfied(need) {
			return nil
		}
		waited := m.now().Sub(start)
		if waited < downloadGrace {
			continue
		}
		ok, err := m.store.AcquireLease(ctx, m.refreshLease(), m.holder, m.cfg.Lease)
		if err != nil || waited > m.cfg.Lease {
			return errUnknownSerialGated
		}
		if ok {
			m.release(ctx)
			// The download may have been saved just before its lease
			// ended.
			if m.load(ctx); m.satisfied(need) {
				return nil
			}
			return errUnknownSerialGated
		}
	}
}

// localGate bounds the downloads for unknown serials of this instance
// alone, while the store is down.
func (m *certManager) localGate() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.lastLocal.IsZero() && m.now().Sub(m.lastLocal) < m.cfg.UnknownSerialInterval {
		return false
	}
	m.lastLocal = m.now()
	return true
}

// fresh reports whether a record is younger than Interval.
func (m *certManager) fresh(rec *openedRecord) bool {
	return rec != nil && m.now().Sub(rec.at) < m.cfg.Interval
}

// load reads the store and installs its record when it is newer than what
// the client holds. A record that cannot be trusted is reported and
// treated as absent; a store that fails returns the error.
func (m *certManager) load(ctx context.Context) (*openedRecord, error) {
	b, err := m.store.LoadCertificates(ctx, m.c.mchid)
	if err != nil {
		err = m.storeError("load", err)
		m.report(err)
		return nil, err
	}
	if len(b) == 0 {
		return nil, nil
	}
	m.mu.Lock()
	rec := m.lastRecord
	if rec != nil && !bytes.Equal(b, m.lastBytes) {
		rec = nil
	}
	m.mu.Unlock()
	if rec == nil {
		if rec, err = openCertificateRecord(b, m.c.apiv3Key, m.c.keys, m.now()); err != nil {
			m.report(m.storeError("load", err))
			return nil, nil
		}
		m.mu.Lock()
		m.lastBytes, m.lastRecord = b, rec
		m.mu.Unlock()
	}
	m.install(rec.certs, rec.at)
	return rec, nil
}

// How fetch saves what it downloaded.
const (
	noSave       = iota // the store is down
	saveLeased          // while the refresh lease is still this instance's
	saveUnleased        // the lease is stuck with another holder
)

// fetch downloads the certificates, installs them and saves them to the
// store as save says.
func (m *certManager) fetch(ctx context.Context, save int) error {
	certs, resp, err := m.c.fetchCertificates(ctx)
	if err != nil {
		m.report(err)
		return err
	}
	ts, _ := strconv.ParseInt(resp.Header.Get(middleware.HeaderTimestamp), 10, 64)
	at := time.Unix(ts, 0)
	m.install(certs, at)
	m.setNextCheck(at.Add(m.cfg.Interval + jitter(m.cfg.Interval/10)))
	if save == noSave {
		return nil
	}
	rec, err := encodeCertificateRecord(m.c.certPath, resp)
	if err != nil {
		return nil // a verified answer always encodes
	}
	if save == saveLeased {
		ok, err := m.store.RenewLease(ctx, m.refreshLease(), m.holder, m.cfg.Lease)
		if err != nil {
			m.report(m.storeError("lease", err))
		}
		if err != nil || !ok {
			// The download outlasted the lease and another instance
			// leads now, or the store failed: its copy will do.
			return nil
		}
	}
	if err := m.store.SaveCertificates(ctx, m.c.mchid, rec); err != nil {
		m.report(m.storeError("save", err))
	}
	return nil
}

func (m *certManager) release(ctx context.Context) {
	if err := m.store.ReleaseLease(ctx, m.refreshLease(), m.holder); err != nil {
		m.report(m.storeError("release", err))
	}
}

// install puts the certificates valid now into the client's keys, in one
// update, unless the client holds those of a later answer already, and
// removes those it put there before that have expired since. A
// certificate no longer delivered stays until it expires, as during a
// rotation; one given in Config.Certs stays.
func (m *certManager) install(certs []*PlatformCertificate, at time.Time) {
	m.mu.Lock()
	// Timestamps are in seconds: an answer of the same second may differ
	// (a rotation), the same record read again does not.
	if at.Before(m.installedAt) || at.Equal(m.installedAt) && sameSerials(certs, m.certs) {
		m.mu.Unlock()
		return
	}
	m.installedAt = at
	m.certs = certs
	installCertificates(m.c.keys, certs, m.added, m.now())
	m.mu.Unlock()
	if m.cfg.OnUpdate != nil {
		m.cfg.OnUpdate(certs)
	}
}

func sameSerials(a, b []*PlatformCertificate) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Serial != b[i].Serial || !a[i].NotAfter().Equal(b[i].NotAfter()) {
			return false
		}
	}
	return true
}

// current returns the certificates installed last, newest first.
func (m *certManager) current() []*PlatformCertificate {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*PlatformCertificate(nil), m.certs...)
}

// installCertificates puts the certificates that have not expired into
// keys, in one update, and removes those of added (the serials put there
// before, kept up to date) that are neither delivered nor valid any more.
func installCertificates(keys *middleware.Keys, certs []*PlatformCertificate, added map[string]bool, now time.Time) {
	var set []middleware.KeyInfo
	delivered, expired := map[string]bool{}, map[string]bool{}
	for _, pc := range certs {
		if now.After(pc.NotAfter()) {
			expired[pc.Serial] = true
			continue
		}
		delivered[pc.Serial] = true
		if _, known := keys.Lookup(pc.Serial); !known {
			added[pc.Serial] = true
		}
		set = append(set, middleware.KeyInfo{Serial: pc.Serial, PublicKey: pc.Certificate.PublicKey.(*rsa.PublicKey),
			NotBefore: pc.NotBefore(), NotAfter: pc.NotAfter()})
	}
	var del []string
	for serial := range added {
		if delivered[serial] {
			continue
		}
		if info, ok := keys.Lookup(serial); ok && !expired[serial] && !now.After(info.NotAfter) {
			continue // no longer delivered but still valid: kept until it expires
		}
		del = append(del, serial)
		delete(added, serial)
	}
	keys.Update(set, del...)
}

func (m *certManager) setNextCheck(t time.Time) { m.nextCheck.Store(t.UnixNano()) }

func (m *certManager) storeError(op string, err error) error {
	var se *CertificateStoreError
	if errors.As(err, &se) {
		return err
	}
	return &CertificateStoreError{Op: op, Err: err}
}

func (m *certManager) report(err error) {
	if m.cfg.OnError != nil && err != nil {
		m.cfg.OnError(err)
	}
}

// jitter returns a random duration in [0, d), spreading the instances'
// checks.
func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	n, err := rand.Int(rand.Reader, big.NewInt(int64(d)))
	if err != nil {
		return 0
	}
	return time.Duration(n.Int64())
}
