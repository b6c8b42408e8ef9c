//go:build unix

package transport

import (
	"errors"
	"net"
	"syscall"
)

// connCheck reports whether an idle connection is still usable: the peer
// has not closed it and has sent nothing unasked. It peeks at the socket
// under the connection's wrappers without blocking, so a healthy connection
// costs one syscall.
func connCheck(c net.Conn) connState {
	var p peeker
	return p.check(c)
}

// peeker is connCheck for one connection, kept with it: the socket's
// RawConn and the peek function are made at the first check, so that later
// checks allocate nothing.
type peeker struct {
	rc    syscall.RawConn
	peek  func(fd uintptr) bool
	state connState
	buf   [1]byte
}

// check is connCheck(c); c must be the connection of every earlier check.
func (p *peeker) check(c net.Conn) connState {
	sc, unread := socketOf(c)
	if unread {
		return connDead
	}
	if sc == nil {
		return connUnknown
	}
	if p.rc == nil {
		rc, err := sc.SyscallConn()
		if err != nil {
			return connUnknown
		}
		p.rc, p.peek = rc, p.peekFD
	}
	p.state = connDead
	if err := p.rc.Read(p.peek); err != nil {
		return connDead
	}
	return p.state
}

// peekFD peeks at the socket fd without blocking or consuming anything.
func (p *peeker) peekFD(fd uintptr) bool {
	n, _, err := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	// EAGAIN: nothing to read, still open. 0 bytes: closed by the peer.
	// Data: the peer is talking out of turn (a TLS close_notify, say).
	if n < 0 && (errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)) {
		p.state = connAlive
	}
	return true
}
