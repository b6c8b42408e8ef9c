package wechatpay_test

import (
	"bufio"
	"bytes"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// A server (or proxy) that closes a keep-alive connection right after its
// answer, without "Connection: close", costs the next call nothing, however
// soon it comes: the idle connection is checked before every reuse, found
// closed, and a new one is dialled. Skipping the check for a connection
// that answered moments ago would send the next call into the closed
// socket, and it would fail as "maybe sent".
func TestConnectionClosedSilentlyIsNotReused(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	answer := slowAnswer(srv)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			go func() {
				defer c.Close() // after one answer, whatever the request said
				br := bufio.NewReader(c)
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if len(bytes.TrimSpace(line)) == 0 {
						break
					}
				}
				c.Write(answer)
			}()
		}
	}()
	cfg := srv.Config()
	cfg.BaseURL = "http://" + ln.Addr().String() + "/"
	cfg.NoBackup = true
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const calls = 5
	for i := range calls {
		res, err := riskCall(c).Get()
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if res.Get("risk_type").String() != "FRAUD" {
			t.Fatalf("call %d: %s", i, res.Body)
		}
		time.Sleep(time.Millisecond) // the server's FIN arrives; well within any "fresh" window
	}
	if n := accepted.Load(); n != calls {
		t.Errorf("%d connections for %d calls to a server that closes after each answer", n, calls)
	}
}
