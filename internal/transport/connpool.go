package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"sync"
	"time"
)

// connPool keeps idle keep-alive connections per host, for the transport.
//
// fasthttp's own HostClient pools connections too, but it cannot abandon a
// call when a context is cancelled, and it re-sends idempotent requests on
// its own; a payment SDK must do neither behind its caller's back. So the
// transport uses fasthttp only to write requests and read answers, over
// connections this pool dials with the caller's context.
type connPool struct {
	// dial connects to addr, through the proxy chosen for it (https
	// tells the target's scheme).
	dial           func(ctx context.Context, https bool, addr string) (net.Conn, error)
	tlsConfig      *tls.Config // server authentication
	mtlsConfig     *tls.Config // the same plus the merchant certificate; nil when not configured
	connectTimeout time.Duration
	idleTimeout    time.Duration
	opaqueIdle     time.Duration // idle bound of a connection connCheck cannot see into
	maxIdle        int

	mu     sync.Mutex
	idle   map[poolKey][]*pconn
	closed bool
}

type poolKey struct {
	addr string // host:port
	tls  bool
	mtls bool
}

type pconn struct {
	net.Conn
	key       poolKey
	br        *bufio.Reader
	bw        *bufio.Writer
	idleSince time.Time
}

// ErrClosed is returned for a call made after Close.
var ErrClosed = errors.New("the client is closed")

// ErrNoMerchantCert is returned for a security call when Config.Merchant is
// not set.
var ErrNoMerchantCert = errors.New("this call needs the merchant TLS certificate (Config.Merchant), which is not configured")

// get returns an idle connection for key, or dials one. reused tells which.
func (p *connPool) get(ctx context.Context, key poolKey, serverName string) (c *pconn, reused bool, err error) {
	for {
		c, err = p.popIdle(key)
		if err != nil {
			return nil, false, err
		}
		if c == nil {
			break
		}
		if c.alive(p.opaqueIdle) {
			return c, true, nil
		}
		c.Close()
	}
	c, err = p.dialConn(ctx, key, serverName)
	return c, false, err
}

func (p *connPool) popIdle(key poolKey) (*pconn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, ErrClosed
	}
	list := p.idle[key]
	for len(list) > 0 {
		c := list[len(list)-1]
		list[len(list)-1] = nil
		list = list[:len(list)-1]
		p.idle[key] = list
		if time.Since(c.idleSince) < p.idleTimeout {
			return c, nil
		}
		go c.Close() // expired; closing may block on a TLS close_notify
	}
	return nil, nil
}

func (p *connPool) dialConn(ctx context.Context, key poolKey, serverName string) (*pconn, error) {
	if key.mtls && p.mtlsConfig == nil {
		return nil, ErrNoMerchantCert
	}
	if p.connectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, p.connectTimeout)
		defer cancel()
	}
	conn, err := p.dial(ctx, key.tls, key.addr)
	if err != nil {
		return nil, err
	}
	if key.tls {
		cfg := p.tlsConfig
		if key.mtls {
			cfg = p.mtlsConfig
		}
		cfg = cfg.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = serverName
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			if key.mtls {
				// Under TLS 1.2 the server refuses the merchant
				// certificate before the handshake ends.
				if rej := p.certRejected(err); rej != nil {
					return nil, rej
				}
			}
			return nil, err
		}
		conn = tc
	}
	return &pconn{Conn: conn, key: key, br: bufio.NewReaderSize(conn, 8<<10), bw: bufio.NewWriterSize(conn, 8<<10)}, nil
}

// certRejected returns err wrapped with ErrMerchantCertRejected when it is
// the server refusing the merchant certificate, else nil.
func (p *connPool) certRejected(err error) error {
	var leaf *x509.Certificate
	if p.mtlsConfig != nil && len(p.mtlsConfig.Certificates) > 0 {
		leaf = p.mtlsConfig.Certificates[0].Leaf
	}
	return certRejected(err, leaf)
}

// put returns c to the pool for reuse, or closes it.
func (p *connPool) put(c *pconn) {
	c.idleSince = time.Now()
	p.mu.Lock()
	if p.closed || len(p.idle[c.key]) >= p.maxIdle {
		p.mu.Unlock()
		c.Close()
		return
	}
	if p.idle == nil {
		p.idle = make(map[poolKey][]*pconn)
	}
	p.idle[c.key] = append(p.idle[c.key], c)
	p.mu.Unlock()
}

// closeIdle closes every idle connection; with final, the pool refuses
// further use.
func (p *connPool) closeIdle(final bool) {
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	if final {
		p.closed = true
	}
	p.mu.Unlock()
	for _, list := range idle {
		for _, c := range list {
			c.Close()
		}
	}
}

// alive reports whether an idle connection can still carry a request.
// Checking before reuse narrows the race in which a request is written into
// a connection the server is closing, leaving the caller unsure whether it
// was received. A connection whose socket cannot be checked is trusted only
// within opaque of its last use.
func (c *pconn) alive(opaque time.Duration) bool {
	if c.br.Buffered() > 0 {
		return false
	}
	switch connCheck(c.Conn) {
	case connAlive:
		return true
	case connUnknown:
		return time.Since(c.idleSince) < opaque
	}
	return false
}
