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
	sc, unread := socketOf(c)
	if unread {
		return connDead
	}
	if sc == nil {
		return connUnknown
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return connUnknown
	}
	state := connDead
	err = rc.Read(func(fd uintptr) bool {
		var buf [1]byte
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: nothing to read, still open. 0 bytes: closed by the peer.
		// Data: the peer is talking out of turn (a TLS close_notify, say).
		if n < 0 && (errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK)) {
			state = connAlive
		}
		return true
	})
	if err != nil {
		return connDead
	}
	return state
}
