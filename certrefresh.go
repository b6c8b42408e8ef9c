package wechatpay

import (
	"context"
	"sync"
	"time"
)

// Defaults of CertificateRefresh.
const (
	DefaultCertificateRefreshInterval = 12 * time.Hour
	DefaultCertificateRetryInterval   = time.Minute
)

// CertificateRefresh configures StartCertificateRefresh, and, as
// Config.CertificateRefresh, how a client in certificate mode keeps its
// platform certificates current (docs/scaling.md).
type CertificateRefresh struct {
	// Interval is the time between two fetches;
	// DefaultCertificateRefreshInterval when zero. In certificate mode it is
	// the age past which the certificates shared in the store are
	// downloaded again, by one instance for all.
	Interval time.Duration
	// RetryInterval is the time before another try after a failed fetch;
	// DefaultCertificateRetryInterval when zero, and never more than
	// Interval.
	RetryInterval time.Duration
	// Lease is how long the instance downloading the certificates for
	// the others holds the store's refresh lease, in certificate mode:
	// longer than a download (Config.Timeout); DefaultCertificateLease when
	// zero.
	Lease time.Duration
	// UnknownSerialInterval is the least time between two downloads caused
	// by answers or notifications naming a serial no certificate has, in
	// certificate mode, across the instances sharing a store;
	// DefaultUnknownSerialInterval when zero.
	UnknownSerialInterval time.Duration
	// OnError, when set, is called with each failed background fetch and,
	// in certificate mode, each *CertificateStoreError.
	OnError func(error)
	// OnUpdate, when set, is called with the certificates of each
	// successful fetch, the first included (in certificate mode, of each
	// newer set installed, downloaded or read from the store).
	//
	// Both run on the refresh's goroutine: they must not call Stop or
	// Client.Close, which wait for that goroutine to end.
	OnUpdate func([]*PlatformCertificate)
}

// withDefaults fills the zero durations.
func (cfg CertificateRefresh) withDefaults() CertificateRefresh {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultCertificateRefreshInterval
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = DefaultCertificateRetryInterval
	}
	cfg.RetryInterval = min(cfg.RetryInterval, cfg.Interval)
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultCertificateLease
	}
	if cfg.UnknownSerialInterval <= 0 {
		cfg.UnknownSerialInterval = DefaultUnknownSerialInterval
	}
	return cfg
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
//
// A client in certificate mode (see Config.Certs) keeps its certificates
// current without it, checking on use; with it, each fetch becomes a sync
// with Config.CertificateStore: a newer set saved there is installed, and
// the certificates are downloaded only when the set there is older than
// Config.CertificateRefresh.Interval, by one instance for all.
func (c *Client) StartCertificateRefresh(ctx context.Context, cfg CertificateRefresh) (*CertificateRefresher, error) {
	cfg = cfg.withDefaults()
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

// Refresh fetches the certificates now and installs them; in certificate
// mode it syncs with the store instead (see StartCertificateRefresh).
func (r *CertificateRefresher) Refresh(ctx context.Context) error {
	var certs []*PlatformCertificate
	var err error
	if m := r.c.certs; m != nil {
		if err = m.sync(ctx, certNeed{}); err == nil {
			certs = m.current()
		}
	} else {
		certs, err = r.c.FetchCertificates(ctx)
	}
	r.mu.Lock()
	if err != nil {
		r.err = err
		r.mu.Unlock()
		return err
	}
	if r.c.certs == nil {
		installCertificates(r.c.keys, certs, r.added, time.Now())
	}
	r.certs, r.err = certs, nil
	r.mu.Unlock()
	if r.cfg.OnUpdate != nil {
		r.cfg.OnUpdate(certs)
	}
	return nil
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
