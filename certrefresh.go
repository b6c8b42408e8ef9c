package wechatpay

import (
	"context"
	"crypto/rsa"
	"sync"
	"time"

	"github.com/wechatpay-go/wechatpay/middleware"
)

// Defaults of CertificateRefresh.
const (
	DefaultCertificateRefreshInterval = 12 * time.Hour
	DefaultCertificateRetryInterval   = time.Minute
)

// CertificateRefresh configures StartCertificateRefresh.
type CertificateRefresh struct {
	// Interval is the time between two fetches;
	// DefaultCertificateRefreshInterval when zero.
	Interval time.Duration
	// RetryInterval is the time before another try after a failed fetch;
	// DefaultCertificateRetryInterval when zero, and never more than
	// Interval.
	RetryInterval time.Duration
	// OnError, when set, is called with each failed background fetch.
	OnError func(error)
	// OnUpdate, when set, is called with the certificates of each
	// successful fetch, the first included.
	//
	// Both run on the refresh's goroutine: they must not call Stop or
	// Client.Close, which wait for that goroutine to end.
	OnUpdate func([]*PlatformCertificate)
}

// CertificateRefresher keeps a client's platform certificates current: see
// StartCertificateRefresh.
type CertificateRefresher struct {
	c      *Client
	cfg    CertificateRefresh
	cancel context.CancelFunc
	done   chan struct{}

	mu    sync.Mutex
	certs []*PlatformCertificate
	err   error
	added map[string]bool // serials this refresher put into the client's keys
}

// StartCertificateRefresh fetches the platform certificates (平台证书) now
// and then every cfg.Interval, and puts them into the client's Keys, so
// that answers signed with a new certificate verify and sensitive fields
// can be encrypted for it. It is opt-in: merchants using the WeChat Pay
// public key (PUB_KEY_ID_…) need none of it, and both kinds of key may be
// mixed, as during a migration.
//
// During a rotation WeChat Pay delivers the old and the new certificate
// side by side, and both are kept; a certificate is removed once it has
// expired (one put in Config.Certs stays). Keys is copy-on-write, so calls
// in flight are never blocked by an update.
//
// The first fetch is made before StartCertificateRefresh returns, and its
// error is returned. Later failures are retried after cfg.RetryInterval and
// reported to cfg.OnError; the certificates already installed stay. The
// refresh stops when ctx is done, when Stop is called or when the client is
// closed; Client.Close waits for it to end.
func (c *Client) StartCertificateRefresh(ctx context.Context, cfg CertificateRefresh) (*CertificateRefresher, error) {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultCertificateRefreshInterval
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultCertificateRetryInterval
	}
	cfg.RetryInterval = min(cfg.RetryInterval, cfg.Interval)
	r := &CertificateRefresher{c: c, cfg: cfg, done: make(chan struct{}), added: map[string]bool{}}
	if err := r.Refresh(ctx); err != nil {
		return nil, err
	}
	loopCtx, cancel := context.WithCancel(ctx)
	r.cancel = cancel
	err := c.goBackground(func(life context.Context) {
		defer close(r.done)
		defer cancel()
		stop := context.AfterFunc(life, cancel)
		defer stop()
		r.loop(loopCtx)
	})
	if err != nil {
		cancel()
		return nil, err
	}
	return r, nil
}

func (r *CertificateRefresher) loop(ctx context.Context) {
	timer := time.NewTimer(r.cfg.Interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		next := r.cfg.Interval
		if err := r.Refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			next = r.cfg.RetryInterval
			if r.cfg.OnError != nil {
				r.cfg.OnError(err)
			}
		}
		timer.Reset(next)
	}
}

// Refresh fetches the certificates now and installs them.
func (r *CertificateRefresher) Refresh(ctx context.Context) error {
	certs, err := r.c.FetchCertificates(ctx)
	r.mu.Lock()
	if err != nil {
		r.err = err
		r.mu.Unlock()
		return err
	}
	r.install(certs, time.Now())
	r.certs, r.err = certs, nil
	r.mu.Unlock()
	if r.cfg.OnUpdate != nil {
		r.cfg.OnUpdate(certs)
	}
	return nil
}

// install puts the certificates that have not expired into the client's
// keys, in one update, and removes those it put there before that have
// expired since.
func (r *CertificateRefresher) install(certs []*PlatformCertificate, now time.Time) {
	keys := r.c.keys
	var set []middleware.KeyInfo
	delivered, expired := map[string]bool{}, map[string]bool{}
	for _, pc := range certs {
		if now.After(pc.NotAfter()) {
			expired[pc.Serial] = true
			continue
		}
		delivered[pc.Serial] = true
		if _, known := keys.Lookup(pc.Serial); !known {
			r.added[pc.Serial] = true
		}
		set = append(set, middleware.KeyInfo{Serial: pc.Serial, PublicKey: pc.Certificate.PublicKey.(*rsa.PublicKey),
			NotBefore: pc.NotBefore(), NotAfter: pc.NotAfter()})
	}
	var del []string
	for serial := range r.added {
		if delivered[serial] {
			continue
		}
		if info, ok := keys.Lookup(serial); ok && !expired[serial] && !now.After(info.NotAfter) {
			continue // no longer delivered but still valid: kept until it expires
		}
		del = append(del, serial)
		delete(r.added, serial)
	}
	keys.Update(set, del...)
}

// Certificates returns the certificates of the last successful fetch,
// newest first.
func (r *CertificateRefresher) Certificates() []*PlatformCertificate {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*PlatformCertificate(nil), r.certs...)
}

// Err returns the error of the last fetch, or nil when it succeeded.
func (r *CertificateRefresher) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Stop ends the refresh and waits for it to end. The certificates stay in
// the client's keys.
func (r *CertificateRefresher) Stop() {
	r.cancel()
	<-r.done
}

// Done is closed when the refresh has ended.
func (r *CertificateRefresher) Done() <-chan struct{} { return r.done }
