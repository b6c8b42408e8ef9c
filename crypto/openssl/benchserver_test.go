package openssl_test

import (
	"bufio"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
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
	// RawAnswerSize bytes, after an RSA signature, as the server makes
	// for a real answer: the I/O of a call without any client code.
	RawAddr       string
	RawAnswerSize int
}

// rawAnswer is the bare round trip's answer: the size of a signed APIv3
// answer.
var rawAnswer = []byte("HTTP/1.1 200 OK\r\nContent-Length: 520\r\n\r\n" + strings.Repeat("a", 360) + strings.Repeat("b", 520))

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
				d := sha256.Sum256(rawAnswer)
				if _, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, d[:]); err != nil {
					return
				}
				if _, err := c.Write(rawAnswer); err != nil {
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
		RawAddr: ln.Addr().String(), RawAnswerSize: len(rawAnswer),
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
