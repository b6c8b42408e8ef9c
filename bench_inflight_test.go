package wechatpay_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// Many calls in flight at once: 10,000 GetAsync futures against a slow
// loopback server that runs in a child process (this test binary started
// again with slowServerEnv set), so that the heap measured is the client's
// alone and neither process runs out of file descriptors. Run with
//
//	go test -run '^$' -bench 'InFlight' -benchtime 1x -benchmem .
//
// peak-heap-MB is the highest heap seen above the heap before the calls,
// sampled every millisecond; goroutines-left and fds-left are what is
// still there after every future ended and the client was closed.

const slowServerEnv = "WECHATPAY_SLOW_SERVER"

func TestMain(m *testing.M) {
	if os.Getenv(slowServerEnv) == "1" {
		if err := serveSlow(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// slowServerSpec is what the parent tells the child, as one JSON line.
type slowServerSpec struct {
	// Answer is the whole HTTP answer written to every request.
	Answer []byte
	// Gate holds requests until that many are waiting, then answers them
	// all; 0: no gate.
	Gate int
	// Hold is the longest a request waits for its answer.
	Hold time.Duration
}

// serveSlow answers every request with the spec's answer, late, until in
// is closed. It prints its address as the first line of out.
func serveSlow(in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	var spec slowServerSpec
	if err := json.Unmarshal(line, &spec); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	var mu sync.Mutex
	waiting, gate := 0, make(chan struct{})
	wait := func() {
		mu.Lock()
		ch := gate
		if waiting++; spec.Gate > 0 && waiting == spec.Gate {
			close(gate)
			waiting, gate = 0, make(chan struct{})
		}
		mu.Unlock()
		t := time.NewTimer(spec.Hold)
		select {
		case <-ch:
		case <-t.C:
			mu.Lock()
			if ch == gate {
				waiting--
			}
			mu.Unlock()
		}
		t.Stop()
	}
	serve := func(c net.Conn) {
		defer c.Close()
		br := bufio.NewReaderSize(c, 1024)
		for {
			length := 0
			for {
				l, err := br.ReadSlice('\n')
				if err != nil {
					return
				}
				if len(bytes.TrimSpace(l)) == 0 {
					break
				}
				if k, v, ok := bytes.Cut(l, []byte(":")); ok && strings.EqualFold(string(k), "Content-Length") {
					length, _ = strconv.Atoi(string(bytes.TrimSpace(v)))
				}
			}
			if _, err := br.Discard(length); err != nil {
				return
			}
			wait()
			if _, err := c.Write(spec.Answer); err != nil {
				return
			}
		}
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(c)
		}
	}()
	if _, err := fmt.Fprintln(out, ln.Addr().String()); err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, r)
	return err
}

// startSlowServer starts the child; it stops when the benchmark ends. It
// returns the base URL to call.
func startSlowServer(tb testing.TB, spec slowServerSpec) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), slowServerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, _ := json.Marshal(spec)
	if _, err := stdin.Write(append(line, '\n')); err != nil {
		tb.Fatal(err)
	}
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		tb.Fatalf("the slow server did not start: %v", err)
	}
	return "http://" + strings.TrimSpace(addr) + "/"
}

// slowAnswer is a signed APIv3 answer, as raw HTTP.
func slowAnswer(srv *wechatpaytest.Server) []byte {
	body := []byte(`{"risk_score":87.5,"risk_type":"FRAUD","punish_type":"OTHER_PUNISH","punish_description":"商户存在违规"}`)
	h := signAnswer(srv.Platform.Key, srv.Platform.Serial, body)
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Request-ID", "08F78BB5AF0610D302839A2F12345678")
	h.Set("Server", "nginx")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&b)
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// openFDs counts this process's open file descriptors; -1 where /proc is
// not there.
func openFDs() int {
	d, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(d)
}

// inFlight makes n GetAsync calls at once through a client made with cfg
// and waits for them all; every call must succeed.
func inFlight(tb testing.TB, c *wechatpay.Client, n int) {
	ch := c.Chain("v3/merchant-risk-manage/trade-risk-information")
	opts := wechatpay.M{"query": wechatpay.M{"sub_mchid": "1900009231", "out_trade_no": "1217752501201407033233368018"}}
	fs := make([]*wechatpay.Future[*wechatpay.Response], n)
	for i := range fs {
		fs[i] = ch.GetAsync(opts)
	}
	for i, f := range fs {
		res, err := f.Wait()
		if err != nil {
			tb.Fatalf("call %d: %v", i, err)
		}
		if res.Get("risk_type").String() != "FRAUD" {
			tb.Fatalf("call %d: %s", i, res.Body)
		}
	}
}

// benchInFlight runs n calls at once, against a server that holds every
// request until all n are waiting (maxConns 0), or holds each for hold
// (a bound on connections: all n can never wait at once).
func benchInFlight(b *testing.B, n, maxConns int, hold time.Duration) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	spec := slowServerSpec{Answer: slowAnswer(srv), Hold: hold}
	if maxConns == 0 {
		spec.Gate, spec.Hold = n, time.Minute
	}
	cfg := srv.Config()
	cfg.BaseURL = startSlowServer(b, spec)
	cfg.Timeout = 5 * time.Minute
	setMaxConnsPerHost(b, &cfg, maxConns)
	goroutines, fds := runtime.NumGoroutine(), openFDs()
	b.ReportAllocs()
	b.ResetTimer()
	var use memoryUse
	for b.Loop() {
		c, err := wechatpay.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		use = measureMemory(func() { inFlight(b, c, n) })
		c.Close()
	}
	b.StopTimer()
	b.ReportMetric(float64(use.Peak)/1e6, "peak-heap-MB")
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/call")
	// What is left once every call ended and the client was closed.
	left, fdsLeft := 0, 0
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left, fdsLeft = runtime.NumGoroutine()-goroutines, openFDs()-fds
		if left <= 0 && fdsLeft <= 0 || time.Now().After(deadline) {
			break
		}
	}
	b.ReportMetric(float64(max(left, 0)), "goroutines-left")
	b.ReportMetric(float64(max(fdsLeft, 0)), "fds-left")
}

// BenchmarkInFlight10000: 10,000 calls in flight on as many connections.
func BenchmarkInFlight10000(b *testing.B) { benchInFlight(b, 10000, 0, 0) }

// BenchmarkInFlight10000Bound64: the same 10,000 calls under
// Config.MaxConnsPerHost 64, against a server that answers each request
// 20 ms after it arrived.
func BenchmarkInFlight10000Bound64(b *testing.B) {
	benchInFlight(b, 10000, 64, 20*time.Millisecond)
}

// setMaxConnsPerHost sets the bound of a benchmark's client.
func setMaxConnsPerHost(_ *testing.B, cfg *wechatpay.Config, n int) { cfg.MaxConnsPerHost = n }
