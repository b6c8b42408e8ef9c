//go:build !unix

package transport

import "net"

// connCheck cannot peek at a socket without blocking here: every idle
// connection is unknown, and is reused only within the short
// opaqueIdleTimeout.
func connCheck(c net.Conn) connState {
	var p peeker
	return p.check(c)
}

// peeker is connCheck for one connection, kept with it.
type peeker struct{}

// check is connCheck(c).
func (*peeker) check(c net.Conn) connState {
	if _, unread := socketOf(c); unread {
		return connDead
	}
	return connUnknown
}
