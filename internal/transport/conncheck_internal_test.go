package transport

import (
	"net"
	"testing"
)

// layer is a wrapper exposing the connection it wraps.
type layer struct{ net.Conn }

func (l layer) NetConn() net.Conn { return l.Conn }

// The check of an idle connection, under three wrappers: one peek at the
// socket.
func BenchmarkConnCheck(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err == nil {
			defer c.Close()
			c.Read(make([]byte, 1)) // hold it open
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var c net.Conn = &tunnelConn{Conn: layer{raw}, under: layer{layer{raw}}}
	b.ReportAllocs()
	var p peeker
	for b.Loop() {
		if p.check(c) != connAlive {
			b.Fatal("not alive")
		}
	}
}
