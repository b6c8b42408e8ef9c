package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"sync"
	"time"
)

// connPool keeps idle keep-alive connections per host, for the transport,
// and bounds the connections open to each host (Options.MaxConnsPerHost).
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
	maxConns       int // open connections per host; 0: no bound

	mu     sync.Mutex
	hosts  map[poolKey]*hostConns
	closed bool
}

type poolKey struct {
	addr string // host:port
	tls  bool
	mtls bool
}

// hostConns is what the pool knows of one host: its idle connections, how
// many are open, and, under a bound, the calls waiting for one.
type hostConns struct {
	idle    []*pconn
	open    int       // idle, in use or being dialled
	waiters []*waiter // first come, first served
}

// waiter is a call queued for a connection to a host at its bound. It is
// handed an idle connection, the right to dial one (c and err nil), or
// ErrClosed.
type waiter struct {
	ch chan handoff // buffered: the pool never blocks on it
}

type handoff struct {
	c   *pconn
	err error
}

// pconn is a pooled connection. It holds no buffer while idle or while it
// waits for an answer: a call takes a writer to write its request and,
// once the first byte of the answer has arrived, a reader, from pools
// shared by every connection, so that thousands of calls in flight do not
// hold 16 KiB each.
type pconn struct {
	net.Conn
	key       poolKey
	idleSince time.Time
	br        *bufio.Reader // while an answer is read; nil otherwise
	first     firstByte
	peek      peeker // the liveness check, allocation-free after the first
}

// firstByte reads through to the connection after handing out the byte the
// call waited for.
type firstByte struct {
	conn    net.Conn
	b       [1]byte
	pending bool
}

// Read returns the byte read ahead with what the connection has after it.
func (f *firstByte) Read(p []byte) (int, error) {
	if !f.pending || len(p) == 0 {
		return f.conn.Read(p)
	}
	f.pending = false
	p[0] = f.b[0]
	// The rest of the answer usually came with its first byte: take it in
	// the same read. A server that sent one byte alone makes this wait for
	// more, which the answer needs anyway.
	n, err := f.conn.Read(p[1:])
	return n + 1, err
}

const bufSize = 8 << 10 // as fasthttp's; an answer's headers must fit

var (
	readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, bufSize) }}
	writers = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}
)

// writer returns a pooled writer onto the connection; release it with
// putWriter once flushed.
func (c *pconn) writer() *bufio.Writer {
	w := writers.Get().(*bufio.Writer)
	w.Reset(c.Conn)
	return w
}

func putWriter(w *bufio.Writer) {
	w.Reset(nil)
	writers.Put(w)
}

// waitAnswer blocks until the first byte of an answer arrives (or the read
// fails) and gives the connection a pooled reader. With eager, the reader
// is taken first and the wait is a read into it, as usual; otherwise the
// wait holds no buffer, at the cost of a one-byte read before the rest.
func (c *pconn) waitAnswer(eager bool) error {
	if eager {
		c.br = readers.Get().(*bufio.Reader)
		c.br.Reset(c.Conn)
		_, err := c.br.Peek(1)
		return err
	}
	for range 100 { // as bufio gives up on a reader that returns nothing
		n, err := c.Conn.Read(c.first.b[:])
		if n > 0 {
			c.first = firstByte{conn: c.Conn, b: c.first.b, pending: true}
			c.br = readers.Get().(*bufio.Reader)
			c.br.Reset(&c.first)
			return nil
		}
		if err != nil {
			return err
		}
	}
	return io.ErrNoProgress
}

// doneReading returns the reader to its pool. It reports whether the
// connection read no further than the answer: bytes the server sent past
// it make the connection unfit for another call.
func (c *pconn) doneReading() (clean bool) {
	if c.br == nil {
		return true
	}
	clean = c.br.Buffered() == 0 && !c.first.pending
	c.br.Reset(nil)
	readers.Put(c.br)
	c.br = nil
	c.first = firstByte{}
	return clean
}

// ErrClosed is returned for a call made after Close.
var ErrClosed = errors.New("the client is closed")

// ErrNoMerchantCert is returned for a security call when Config.Merchant is
// not set.
var ErrNoMerchantCert = errors.New("this call needs the merchant TLS certificate (Config.Merchant), which is not configured")

// get returns an idle connection for key, or dials one, waiting first for
// room under the host's bound. reused tells which.
func (p *connPool) get(ctx context.Context, key poolKey, serverName string) (c *pconn, reused bool, err error) {
	for {
		c, dial, w, err := p.take(key)
		if err != nil {
			return nil, false, err
		}
		if w != nil {
			if c, err = p.wait(ctx, key, w); err != nil {
				return nil, false, err
			}
			if c == nil {
				dial = true
			}
		}
		if dial {
			c, err = p.dialConn(ctx, key, serverName)
			if err != nil {
				p.release(key)
				return nil, false, err
			}
			return c, false, nil
		}
		// Checked on every reuse, however recent its last answer: a server
		// or proxy that closes without saying so would otherwise turn the
		// next call into a "maybe sent" failure.
		if c.alive(p.opaqueIdle) {
			return c, true, nil
		}
		// Dead: its room goes to this call, which looks again.
		c.Conn.Close()
		p.mu.Lock()
		p.hosts[key].open--
		p.mu.Unlock()
	}
}

// take pops an idle connection for key, or grants the right to dial one
// (dial), or, at the host's bound, queues the call (w).
func (p *connPool) take(key poolKey) (c *pconn, dial bool, w *waiter, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, false, nil, ErrClosed
	}
	h := p.hosts[key]
	if h == nil {
		if p.hosts == nil {
			p.hosts = make(map[poolKey]*hostConns)
		}
		h = &hostConns{}
		p.hosts[key] = h
	}
	for len(h.idle) > 0 {
		c := h.idle[len(h.idle)-1]
		h.idle[len(h.idle)-1] = nil
		h.idle = h.idle[:len(h.idle)-1]
		if time.Since(c.idleSince) < p.idleTimeout {
			return c, false, nil, nil
		}
		h.open--
		go c.Conn.Close() // expired; closing may block on a TLS close_notify
	}
	if p.maxConns <= 0 || h.open < p.maxConns {
		h.open++
		return nil, true, nil, nil
	}
	w = &waiter{ch: make(chan handoff, 1)}
	h.waiters = append(h.waiters, w)
	return nil, false, w, nil
}

// wait blocks a queued call until it is handed a connection (or the right
// to dial one: nil, nil), or its context ends.
func (p *connPool) wait(ctx context.Context, key poolKey, w *waiter) (*pconn, error) {
	select {
	case h := <-w.ch:
		return h.c, h.err
	case <-ctx.Done():
	}
	p.mu.Lock()
	h := p.hosts[key]
	for i, q := range h.waiters {
		if q == w {
			h.waiters = append(h.waiters[:i], h.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, ctx.Err()
		}
	}
	p.mu.Unlock()
	// Handed something just as the context ended: give it back.
	if got := <-w.ch; got.c != nil {
		p.put(got.c)
	} else if got.err == nil {
		p.release(key)
	}
	return nil, ctx.Err()
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
	return &pconn{Conn: conn, key: key}, nil
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

// put returns c, done with, to the pool: to the first call waiting for a
// connection to its host, or to the idle list, or it is closed.
func (p *connPool) put(c *pconn) {
	c.idleSince = time.Now()
	p.mu.Lock()
	h := p.hosts[c.key]
	if !p.closed && len(h.waiters) > 0 {
		w := h.waiters[0]
		h.waiters = h.waiters[1:]
		p.mu.Unlock()
		w.ch <- handoff{c: c}
		return
	}
	if p.closed || len(h.idle) >= p.maxIdle {
		h.open--
		p.mu.Unlock()
		c.Conn.Close()
		return
	}
	h.idle = append(h.idle, c)
	p.mu.Unlock()
}

// discard closes c, which cannot carry another call, and frees its room.
func (p *connPool) discard(c *pconn) {
	c.Conn.Close()
	p.release(c.key)
}

// release frees the room of a connection to key that was closed or never
// made: the first call waiting for one may dial.
func (p *connPool) release(key poolKey) {
	p.mu.Lock()
	h := p.hosts[key]
	if len(h.waiters) > 0 && !p.closed {
		w := h.waiters[0]
		h.waiters = h.waiters[1:]
		p.mu.Unlock()
		w.ch <- handoff{}
		return
	}
	h.open--
	p.mu.Unlock()
}

// closeIdle closes every idle connection; with final, the pool refuses
// further use, and the calls waiting for a connection fail with ErrClosed.
func (p *connPool) closeIdle(final bool) {
	var idle []*pconn
	var woken []*waiter
	p.mu.Lock()
	for _, h := range p.hosts {
		idle = append(idle, h.idle...)
		h.open -= len(h.idle)
		h.idle = nil
		for len(h.waiters) > 0 && (final || h.open < p.maxConns) {
			woken = append(woken, h.waiters[0])
			h.waiters = h.waiters[1:]
			if !final {
				h.open++ // the waiter dials
			}
		}
	}
	if final {
		p.closed = true
	}
	p.mu.Unlock()
	for _, w := range woken {
		if final {
			w.ch <- handoff{err: ErrClosed}
		} else {
			w.ch <- handoff{}
		}
	}
	for _, c := range idle {
		c.Conn.Close()
	}
}

// alive reports whether an idle connection can still carry a request.
// Checking before reuse narrows the race in which a request is written into
// a connection the server is closing, leaving the caller unsure whether it
// was received. A connection whose socket cannot be checked is trusted only
// within opaque of its last use.
func (c *pconn) alive(opaque time.Duration) bool {
	switch c.peek.check(c.Conn) {
	case connAlive:
		return true
	case connUnknown:
		return time.Since(c.idleSince) < opaque
	}
	return false
}
