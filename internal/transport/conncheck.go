package transport

import (
	"net"
	"syscall"
	"time"
)

// connState is what the check of an idle connection found.
type connState int

const (
	// connUnknown: no socket could be reached under the connection's
	// wrappers, so nothing could be checked.
	connUnknown connState = iota
	connAlive
	connDead
)

// opaqueIdleTimeout is how long a keep-alive connection whose socket cannot
// be checked before reuse may sit idle and still be reused (see
// Config.DialContext). A connection the server closed while idle is then
// written into, and the call fails with TransportError.Sent true although
// nothing reached the server; servers and proxies rarely close a connection
// within seconds of its last answer, so the bound keeps that race narrow.
const opaqueIdleTimeout = 2 * time.Second

// maxWrappers bounds the unwrapping, should a wrapper return itself.
const maxWrappers = 16

// socketOf follows the wrappers around c (TLS, proxy tunnels, a
// Config.DialContext wrapper exposing NetConn() net.Conn) down to the
// connection that holds the socket. unread is true when a wrapper on the way
// holds bytes read ahead: the peer has sent something unasked.
func socketOf(c net.Conn) (sc syscall.Conn, unread bool) {
	for range maxWrappers {
		switch v := c.(type) {
		case *bufferedConn:
			if v.r.Buffered() > 0 {
				return nil, true
			}
			c = v.Conn
		case syscall.Conn:
			return v, false
		case interface{ NetConn() net.Conn }: // *tls.Conn, tunnelConn, user wrappers
			c = v.NetConn()
		default:
			return nil, false
		}
		if c == nil {
			return nil, false
		}
	}
	return nil, false
}
