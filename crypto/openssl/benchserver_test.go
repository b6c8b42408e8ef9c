package openssl_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
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

// benchServerInfo is what the child tells the parent: enough for a Config.
type benchServerInfo struct {
	URL, MchID, Serial string
	KeyPEM             []byte
	PlatformSerial     string
	PlatformCertPEM    []byte
}

// serveBench runs a server until in is closed, after writing its
// benchServerInfo as one JSON line to out.
func serveBench(in io.Reader, out io.Writer) error {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
	})
	err := json.NewEncoder(out).Encode(benchServerInfo{
		URL: srv.URL, MchID: srv.MchID, Serial: srv.Merchant.Serial, KeyPEM: srv.Merchant.KeyPEM(),
		PlatformSerial: srv.Platform.Serial, PlatformCertPEM: srv.Platform.CertPEM(),
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
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
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
