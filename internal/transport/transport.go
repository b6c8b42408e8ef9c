// Package transport sends a client's requests: it is the terminal handler
// of both middleware stacks. It dials (directly, through a proxy, with or
// without the merchant TLS certificate), keeps idle connections and checks
// them before reuse, moves a call that cannot connect to the backup domain,
// and writes and reads HTTP/1.1 with fasthttp's codec.
//
// It is internal: users configure it through wechatpay.Config, which
// builder.go turns into Options.
package transport

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/wechatpay-go/wechatpay/internal/callctx"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Options configure a Transport. Zero durations and sizes mean no bound:
// the client applies its defaults before.
type Options struct {
	// Dial makes the TCP connections (to the proxy, when Proxy is set);
	// nil: a net.Dialer with a 30 s keep-alive.
	Dial DialFunc
	// Proxy, from ParseProxy, tunnels every connection; nil: none, or
	// those EnvProxy chooses.
	Proxy *Proxy
	// EnvProxy, from ProxyFromEnvironment, chooses a proxy for each host
	// called, when Proxy is nil; nil: none.
	EnvProxy *EnvProxy
	// TLSConfig is the base TLS configuration; it is cloned, and its
	// MinVersion raised to TLS 1.2 when unset. nil: the defaults.
	TLSConfig *tls.Config
	// MerchantCert is the client certificate of security calls; nil when
	// not configured.
	MerchantCert *tls.Certificate
	// Backups is where a call goes when its host cannot be reached; nil:
	// nowhere.
	Backups Backups

	ConnectTimeout  time.Duration // TCP connect, proxy and TLS handshakes
	IdleConnTimeout time.Duration // how long an idle connection is kept
	WriteTimeout    time.Duration // to write a request; 0: only the call's deadline
	ReadTimeout     time.Duration // to read an answer; 0: only the call's deadline
	MaxIdleConns    int           // idle connections kept per host
	MaxConnsPerHost int           // connections open per host, calls queue beyond; 0: no bound
	MaxBodySize     int64         // largest answer body held in memory
}

// Transport is the terminal handler of both stacks: it sends a Request over
// HTTP/1.1 and reads the answer. It is safe for concurrent use.
type Transport struct {
	pool         *connPool
	backups      Backups       // where a call goes when its host cannot be reached
	maxBody      int64         // largest answer body held in memory
	writeTimeout time.Duration // to write the request; 0: only the call's deadline
	readTimeout  time.Duration // to read the answer; 0: only the call's deadline
	eagerWaits   atomic.Int64  // calls waiting for an answer with a reader in hand
	lastAddr     atomic.Pointer[hostAddr]
}

// hostAddr is the dial address of a URL's scheme and host.
type hostAddr struct{ scheme, host, addr string }

// addrOf returns hostPort(u), remembering the last one: a client calls one
// host nearly always.
func (t *Transport) addrOf(u *url.URL) string {
	if a := t.lastAddr.Load(); a != nil && a.host == u.Host && a.scheme == u.Scheme {
		return a.addr
	}
	a := &hostAddr{scheme: u.Scheme, host: u.Host, addr: hostPort(u)}
	t.lastAddr.Store(a)
	return a.addr
}

// maxEagerWaits is how many calls may wait for their answer holding a
// reader (8 KiB each); the others wait without one.
const maxEagerWaits = 64

// New builds a Transport. It fails only when the proxy's dialer cannot be
// made.
func New(o Options) (*Transport, error) {
	tlsConfig := o.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{}
	}
	tlsConfig = tlsConfig.Clone()
	if tlsConfig.MinVersion == 0 {
		tlsConfig.MinVersion = tls.VersionTLS12
	}
	var mtlsConfig *tls.Config
	if o.MerchantCert != nil {
		mtlsConfig = merchantTLS(tlsConfig, *o.MerchantCert)
	}
	direct := o.Dial
	if direct == nil {
		direct = (&net.Dialer{KeepAlive: 30 * time.Second}).DialContext
	}
	dial, err := routes(direct, o.Proxy, o.EnvProxy, tlsConfig)
	if err != nil {
		return nil, err
	}
	return &Transport{
		backups:      o.Backups,
		maxBody:      o.MaxBodySize,
		writeTimeout: o.WriteTimeout,
		readTimeout:  o.ReadTimeout,
		pool: &connPool{
			dial:           dial,
			tlsConfig:      tlsConfig,
			mtlsConfig:     mtlsConfig,
			connectTimeout: o.ConnectTimeout,
			idleTimeout:    o.IdleConnTimeout,
			opaqueIdle:     opaqueIdleTimeout,
			maxIdle:        o.MaxIdleConns,
			maxConns:       o.MaxConnsPerHost,
		},
	}, nil
}

// CloseIdleConnections closes the connections kept for reuse; the
// transport stays usable.
func (t *Transport) CloseIdleConnections() { t.pool.closeIdle(false) }

// Close closes the idle connections and makes later calls fail with
// ErrClosed. Calls in flight finish.
func (t *Transport) Close() { t.pool.closeIdle(true) }

// SetOpaqueIdleTimeout changes how long an idle connection whose socket
// cannot be checked is reused, so that a test need not wait seconds. Call
// it before the first call.
func (t *Transport) SetOpaqueIdleTimeout(d time.Duration) { t.pool.opaqueIdle = d }

// ErrBodyTooLarge is returned when an answer body exceeds Config.MaxResponseSize.
var ErrBodyTooLarge = errors.New("the answer body is larger than Config.MaxResponseSize")

// ErrNeedsHTTPS is returned for a security call to an http:// URL.
var ErrNeedsHTTPS = errors.New("security calls need an https URL")

// Permanent lists the failures another attempt of the same call would meet
// again, for the client's "retry" step.
var Permanent = []error{ErrClosed, ErrNoMerchantCert, ErrMerchantCertRejected, ErrNeedsHTTPS, ErrBodyTooLarge}

var aLongTimeAgo = time.Unix(1, 0)

// alertWait bounds the look for a TLS alert after a write failed: one the
// server sent is already there, so this only keeps a silent connection from
// holding the call.
const alertWait = 200 * time.Millisecond

// Handle sends req and reads its answer. A failure is a
// *middleware.TransportError; its Sent tells whether the request may have
// reached the server.
func (t *Transport) Handle(ctx context.Context, req *middleware.Request) (*middleware.Response, error) {
	u := req.URL
	key := poolKey{addr: t.addrOf(u), tls: u.Scheme == "https", mtls: req.Security}
	deadline, _ := ctx.Deadline()
	terr := func(op string, sent bool, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		} else if isTimeout(err) && !deadline.IsZero() && !time.Now().Before(deadline) {
			// The connection's deadline is the context's; its timer may
			// simply not have fired yet.
			err = context.DeadlineExceeded
		}
		return &middleware.TransportError{Op: op, Addr: u.Scheme + "://" + u.Host, Sent: sent, Err: err}
	}
	if req.Security && !key.tls {
		return nil, terr("dial", false, fmt.Errorf("%w: the base URL is %s://%s", ErrNeedsHTTPS, u.Scheme, u.Host))
	}
	if err := ctx.Err(); err != nil {
		return nil, terr("dial", false, err)
	}
	c, reused, err := t.pool.get(ctx, key, u.Hostname())
	if err != nil && ctx.Err() == nil && !errors.Is(err, ErrClosed) && !errors.Is(err, ErrNoMerchantCert) && !errors.Is(err, ErrMerchantCertRejected) {
		// Nothing was sent: the call may move, once, to the backup domain.
		if alt := t.backups.backupFor(u); alt != nil {
			first := fmt.Errorf("%s://%s: %w", u.Scheme, u.Host, err)
			u, req.URL = alt, alt
			key = poolKey{addr: hostPort(u), tls: u.Scheme == "https", mtls: req.Security}
			if req.Security && !key.tls {
				return nil, terr("dial", false, fmt.Errorf("%w: the backup URL is %s://%s", ErrNeedsHTTPS, u.Scheme, u.Host))
			}
			if c, reused, err = t.pool.get(ctx, key, u.Hostname()); err != nil {
				err = fmt.Errorf("%w (the backup domain was tried after %w)", err, first)
			}
		}
	}
	if err != nil {
		return nil, terr("dial", false, err)
	}

	freq := fasthttp.AcquireRequest()
	writeRequest(freq, req)

	// A cancelled context interrupts whatever the connection is doing. A
	// call's own deadline needs no watch: it is the connection's deadline.
	var stop func() bool
	if !callctx.DeadlineOnly(ctx) {
		stop = context.AfterFunc(ctx, func() { c.SetDeadline(aLongTimeAgo) })
	}
	reusable := false
	defer func() {
		clean := c.doneReading()
		if (stop == nil || stop()) && reusable && clean {
			c.SetDeadline(time.Time{})
			t.pool.put(c)
			return
		}
		t.pool.discard(c)
	}()

	if err := armDeadline(ctx, c.SetWriteDeadline, deadline, t.writeTimeout); err != nil {
		fasthttp.ReleaseRequest(freq)
		return nil, terr("write", false, err)
	}
	writeFailed := func(err error) error {
		if !reused && key.mtls {
			// Under TLS 1.3 a server refusing the merchant certificate
			// closes the connection while a large request is being written:
			// its alert, sent before, is waiting to be read.
			c.SetReadDeadline(time.Now().Add(alertWait))
			if perr := c.waitAnswer(false); perr != nil {
				if rej := t.pool.certRejected(perr); rej != nil {
					return terr("dial", false, rej)
				}
			}
		}
		return terr("write", true, err)
	}
	bw := c.writer()
	err = write(freq, req, bw)
	if err == nil {
		err = bw.Flush()
	}
	putWriter(bw)
	fasthttp.ReleaseRequest(freq)
	if err != nil {
		return nil, writeFailed(err)
	}

	if err := armDeadline(ctx, c.SetReadDeadline, deadline, t.readTimeout); err != nil {
		return nil, terr("read", true, err)
	}
	// The first byte is read here rather than by fasthttp, which reports
	// any failure to read it as io.EOF, hiding the cause. A few calls wait
	// for it with a reader in hand, saving a system call; past them, a
	// call waits without one, so that many calls in flight hold no
	// buffers.
	eager := t.eagerWaits.Add(1) <= maxEagerWaits
	if !eager {
		t.eagerWaits.Add(-1)
	}
	err = c.waitAnswer(eager)
	if eager {
		t.eagerWaits.Add(-1)
	}
	if err != nil {
		if !reused && key.mtls {
			// Under TLS 1.3 the server judges the merchant certificate
			// after the client has finished its handshake and sent the
			// request: its refusal arrives here, and means the request
			// was never processed.
			if rej := t.pool.certRejected(err); rej != nil {
				return nil, terr("dial", false, rej)
			}
		}
		return nil, terr("read", true, err)
	}
	// Taken only now, as the reader: a call waiting for its answer holds
	// neither.
	fresp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(fresp)
	fresp.StreamBody = req.Sink != nil
	if err := fresp.ReadLimitBody(c.br, int(t.maxBody)); err != nil {
		if errors.Is(err, fasthttp.ErrBodyTooLarge) {
			err = ErrBodyTooLarge
		}
		return nil, terr("read", true, err)
	}
	resp := &middleware.Response{StatusCode: fresp.StatusCode(), Header: copyHeader(&fresp.Header), Request: req}
	gzipped := bytes.EqualFold(fresp.Header.ContentEncoding(), []byte("gzip"))
	if gzipped {
		resp.Header.Del("Content-Encoding")
		resp.Header.Del("Content-Length")
	}

	var body io.Reader
	if fresp.StreamBody {
		if s := fresp.BodyStream(); s != nil {
			body = s
			defer fresp.CloseBodyStream()
		}
	} else if gzipped {
		body = bytes.NewReader(fresp.Body())
	} else {
		// Held in memory already, within MaxBodySize: one copy, which the
		// Response keeps after fresp goes back to its pool.
		b := fresp.Body()
		if t.maxBody > 0 && int64(len(b)) > t.maxBody {
			return nil, terr("read", true, ErrBodyTooLarge)
		}
		resp.Body = make([]byte, len(b))
		copy(resp.Body, b)
	}
	if body != nil && gzipped {
		zr, err := gzip.NewReader(body)
		if err != nil && err != io.EOF {
			return nil, terr("read", true, fmt.Errorf("gzip answer: %w", err))
		}
		if err == nil {
			defer zr.Close()
			body = zr
		} else {
			body = nil
		}
	}
	if body != nil {
		if req.Sink != nil && resp.StatusCode >= 200 && resp.StatusCode <= 299 {
			if s, ok := req.Sink.(interface{ ExpectSize(int64) }); ok {
				n := int64(fresp.Header.ContentLength())
				if n < 0 || gzipped {
					n = -1
				}
				s.ExpectSize(n)
			}
			resp.Written, err = io.Copy(req.Sink, body)
		} else {
			resp.Body, err = readLimited(body, t.maxBody)
		}
		if err != nil {
			return nil, terr("read", true, err)
		}
	}
	// Reuse the connection only after a fully read, length-delimited answer.
	reusable = !fresp.ConnectionClose() && (!fresp.StreamBody || fresp.Header.ContentLength() >= 0 && !gzipped)
	return resp, nil
}

// armDeadline sets the earlier of the call's deadline and now+d. Checking
// ctx afterwards keeps a cancellation that fired just before from being
// undone by the new deadline.
func armDeadline(ctx context.Context, set func(time.Time) error, deadline time.Time, d time.Duration) error {
	if d > 0 {
		if t := time.Now().Add(d); deadline.IsZero() || t.Before(deadline) {
			deadline = t
		}
	}
	if err := set(deadline); err != nil {
		return err
	}
	return ctx.Err()
}

func writeRequest(freq *fasthttp.Request, req *middleware.Request) {
	h := &freq.Header
	h.SetNoDefaultContentType(true)
	h.SetMethod(req.Method)
	// Setting the host and request URI on the header, and never touching
	// freq.URI(), makes fasthttp write the target exactly as signed.
	h.SetHost(req.URL.Host)
	h.SetRequestURI(req.Target())
	for k, vs := range req.Header {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	switch {
	case req.Stream != nil:
		freq.SetBodyStream(req.Stream, int(req.StreamSize))
	case len(req.Body) > 0:
		freq.SetBodyRaw(req.Body)
	}
}

// write writes the request. A DELETE without a body goes out without
// Content-Length, as wechatpay-php (curl) and the Node SDK send it, where
// fasthttp would write "Content-Length: 0": the header alone is the whole
// request, its Host and target set already.
func write(freq *fasthttp.Request, req *middleware.Request, w *bufio.Writer) error {
	if req.Method == http.MethodDelete && req.Stream == nil && len(req.Body) == 0 {
		return freq.Header.Write(w)
	}
	return freq.Write(w)
}

// copyHeader copies the answer's headers out of fasthttp's buffers, which
// go back to their pool: every name and value into one string, every value
// into one slice, so that a dozen headers cost a few allocations rather
// than three each.
func copyHeader(h *fasthttp.ResponseHeader) http.Header {
	n, size := 0, 0
	for k, v := range h.All() {
		n++
		size += len(k) + len(v)
	}
	var b strings.Builder
	b.Grow(size)
	for k, v := range h.All() {
		b.Write(k)
		b.Write(v)
	}
	all := b.String()
	values := make([]string, n)
	out := make(http.Header, n)
	i, off := 0, 0
	for k, v := range h.All() {
		key := http.CanonicalHeaderKey(all[off : off+len(k)])
		off += len(k)
		values[i] = all[off : off+len(v)]
		off += len(v)
		if old, ok := out[key]; ok {
			out[key] = append(old, values[i])
		} else {
			out[key] = values[i : i+1 : i+1]
		}
		i++
	}
	return out
}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		return io.ReadAll(r)
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrBodyTooLarge
	}
	return b, nil
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
