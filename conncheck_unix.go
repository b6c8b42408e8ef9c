//go:build unix

package wechatpay

import (
	"crypto/tls"
	"errors"
	"net"
	"syscall"
)

// connCheck reports whether an idle connection is still usable: the peer
// has not closed it and has sent nothing unasked. It peeks at the socket
// without blocking, so a healthy connection costs one syscall.
func connCheck(c net.Conn) bool {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	err = rc.Read(func(fd uintptr) bool {
		var buf [1]byte
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: nothing to read, still open. 0 bytes: closed by the peer.
		// Data: the peer is talking out of turn (a TLS close_notify, say).
		alive = n < 0 && (errors.Is(err, syscall.EAGAIN) || errors.Is(err, syscall.EWOULDBLOCK))
		return true
	})
	return err == nil && alive
}
