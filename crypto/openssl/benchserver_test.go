package openssl_test

import (
	"bufio"
	"bytes"
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto/openssl"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The whole-call benchmarks run the fake WeChat Pay (wechatpaytest) in a
// child process, this test binary started again with benchServerEnv set,
// so that the benchmark process's CPU time is the client's alone: the
// server verifies and signs with RSA too, which would otherwise double it.

const benchServerEnv = "WECHATPAY_OPENSSL_BENCH_SERVER"

// benchDetachEnv, set to 1, leaves the child running until this process
// exits (it stops when its standard input closes): under callgrind, the
// signal of a child's end (SIGCHLD) while the profiled process runs trips
// an assertion of valgrind 3.19.
const benchDetachEnv = "WECHATPAY_BENCH_DETACH"

func TestMain(m *testing.M) {
	if os.Getenv(benchServerEnv) == "1" {
		if err := serveBench(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// benchServerInfo is what the child tells the parent: enough for a Config,
// and the bare round trip's address and answer size.
type benchServerInfo struct {
	URL, MchID, Serial string
	KeyPEM             []byte
	PlatformSerial     string
	PlatformCertPEM    []byte
	// RawAddr answers each request head (up to an empty line) with
	// RawAnswerSize bytes carrying a fresh RSA signature of rawSigned
	// (see rawAnswer), as the server makes for a real answer: the I/O of
	// a call without any client code.
	RawAddr       string
	RawAnswerSize int
}

// rawBody is the body of the bare round trip's answer, and rawSigned the
// string its Wechatpay-Signature signs (timestamp, nonce, body), as in an
// APIv3 answer.
var (
	rawBody   = `{"code_url":"weixin://wxpay/bizpayurl?pr=p4lpSuKzz"}` + strings.Repeat(" ", 468)
	rawSigned = []byte("1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n" + rawBody + "\n")
)

// rawSigHead is the bare answer up to its signature: the signature is the
// 344 base64 characters at len(rawSigHead).
const rawSigHead = "HTTP/1.1 200 OK\r\nContent-Length: 520\r\nWechatpay-Signature: "

// rawSigLen is the length of an RSA-2048 signature in base64.
const rawSigLen = 344

// rawAnswer returns the bare round trip's answer carrying sig (base64),
// about the size of a signed APIv3 answer.
func rawAnswer(sig string) []byte {
	return []byte(rawSigHead + sig + "\r\n\r\n" + rawBody)
}

// serveRaw answers on ln as benchServerInfo.RawAddr says.
func serveRaw(ln net.Listener, key *rsa.PrivateKey) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			br := bufio.NewReader(c)
			for {
				for {
					line, err := br.ReadSlice('\n')
					if err != nil {
						return
					}
					if len(line) <= 2 {
						break
					}
				}
				d := sha256.Sum256(rawSigned)
				sig, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, d[:])
				if err != nil {
					return
				}
				if _, err := c.Write(rawAnswer(base64.StdEncoding.EncodeToString(sig))); err != nil {
					return
				}
			}
		}()
	}
}

// serveBench runs a server until in is closed, after writing its
// benchServerInfo as one JSON line to out.
func serveBench(in io.Reader, out io.Writer) error {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	go serveRaw(ln, srv.Platform.Key)
	err = json.NewEncoder(out).Encode(benchServerInfo{
		URL: srv.URL, MchID: srv.MchID, Serial: srv.Merchant.Serial, KeyPEM: srv.Merchant.KeyPEM(),
		PlatformSerial: srv.Platform.Serial, PlatformCertPEM: srv.Platform.CertPEM(),
		RawAddr: ln.Addr().String(), RawAnswerSize: len(rawAnswer(strings.Repeat("A", rawSigLen))),
	})
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, in)
	return err
}

// benchServer is the parent's view of the child.
type benchServer struct {
	benchServerInfo
	cmd   *exec.Cmd
	stdin io.Closer
}

// startBenchServer starts the child; it stops when the benchmark ends.
func startBenchServer(b *testing.B) *benchServer {
	b.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), benchServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	s := &benchServer{cmd: cmd, stdin: stdin}
	if os.Getenv(benchDetachEnv) == "" {
		b.Cleanup(func() {
			stdin.Close()
			cmd.Wait()
		})
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		b.Fatalf("the benchmark server did not start: %v", err)
	}
	if err := json.Unmarshal(line, &s.benchServerInfo); err != nil {
		b.Fatal(err)
	}
	return s
}

// config returns a client Config for the child server.
func (s *benchServer) config() wechatpay.Config {
	return wechatpay.Config{
		MchID:      s.MchID,
		Serial:     s.Serial,
		PrivateKey: s.KeyPEM,
		Certs:      map[string]any{s.PlatformSerial: s.PlatformCertPEM},
		BaseURL:    s.URL,
	}
}

// cpuTime returns the CPU time (user and system) the child has used, read
// from /proc; ok is false where /proc is not there.
func (s *benchServer) cpuTime() (d time.Duration, ok bool) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(s.cmd.Process.Pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// The fields after the command name, which is in parentheses:
	// utime and stime are the 14th and 15th fields of the line.
	i := strings.LastIndexByte(string(data), ')')
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	const ticksPerSecond = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticksPerSecond, true
}

// netFloorCPU measures the client CPU of a bare round trip to RawAddr on
// one kept-alive connection: a 600-byte request head written, the answer
// read. What an APIv3 call costs beyond its crypto and this is the
// client's own code.
func (s *benchServer) netFloorCPU(b *testing.B) (time.Duration, bool) {
	c, err := net.Dial("tcp", s.RawAddr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	req := []byte("POST /v3/pay/transactions/native HTTP/1.1\r\nHost: api.mch.weixin.qq.com\r\nX-Pad: " + strings.Repeat("p", 520) + "\r\n\r\n")
	br := bufio.NewReaderSize(c, 8<<10)
	answer := make([]byte, s.RawAnswerSize)
	const n = 100
	start, ok := processCPU()
	for range n {
		if _, err := c.Write(req); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(br, answer); err != nil {
			b.Fatal(err)
		}
	}
	end, _ := processCPU()
	return (end - start) / n, ok
}

// bareCall returns the least a client can do for an APIv3 call to RawAddr,
// with OpenSSL and no HTTP library: sign the string to sign, write a
// request head carrying the signature, read the answer and verify its
// signature. It is the reference for what the SDK adds; safe for
// concurrent use (each caller takes a connection of its own).
func (s *benchServer) bareCall(b *testing.B, priv *openssl.PrivateKey, pub *openssl.PublicKey) func() error {
	b.Helper()
	const authHead = "POST /v3/pay/transactions/native HTTP/1.1\r\nHost: api.mch.weixin.qq.com\r\n" +
		`Authorization: WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="593BEC0C930BF1AFEB40B4A08C8FB242",timestamp="1554208460",serial_no="5157F09EFDC096DE15EBE81A47057A7232F1B8E1",signature="`
	type conn struct {
		c      net.Conn
		req    []byte
		answer []byte
		sig    [256]byte
	}
	pool := make(chan *conn, 64)
	b.Cleanup(func() {
		close(pool)
		for c := range pool {
			c.c.Close()
		}
	})
	ctx := b.Context()
	return func() error {
		var c *conn
		select {
		case c = <-pool:
		default:
			nc, err := net.Dial("tcp", s.RawAddr)
			if err != nil {
				return err
			}
			req := []byte(authHead + strings.Repeat("A", rawSigLen) + "\"\r\nX-Body: " + string(benchMessage[bytes.IndexByte(benchMessage, '{'):len(benchMessage)-1]) + "\r\n\r\n")
			c = &conn{c: nc, req: req, answer: make([]byte, s.RawAnswerSize)}
		}
		if err := bareRoundTrip(ctx, c.c, c.req, c.answer, c.sig[:], priv, pub, len(authHead)); err != nil {
			c.c.Close()
			return err
		}
		pool <- c
		return nil
	}
}

// bareRoundTrip is one bare call on c: req is the request head with room
// for the signature at sigAt, answer and sig the buffers for the answer and
// its decoded signature.
func bareRoundTrip(ctx context.Context, c net.Conn, req, answer, sig []byte, priv *openssl.PrivateKey, pub *openssl.PublicKey, sigAt int) error {
	s, err := priv.SignMessage(ctx, benchMessage)
	if err != nil {
		return err
	}
	base64.StdEncoding.Encode(req[sigAt:sigAt+rawSigLen], s)
	if _, err := c.Write(req); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, answer); err != nil {
		return err
	}
	n, err := base64.StdEncoding.Decode(sig, answer[len(rawSigHead):len(rawSigHead)+rawSigLen])
	if err != nil {
		return err
	}
	return pub.VerifyMessage(rawSigned, sig[:n])
}
