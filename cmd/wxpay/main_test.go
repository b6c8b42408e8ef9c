package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
)

// wxpayBin is the wxpay command, built once by TestMain, that the
// lifecycle tests run as a process.
var wxpayBin string

// buildFlags are given to go build: the test binary's own -race and tags,
// so that the build reuses what the test build compiled.
var buildFlags []string

// TestMain builds the command, then runs the tests.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wxpay-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	wxpayBin = filepath.Join(dir, "wxpay")
	goTool := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goTool); err != nil {
		goTool = "go"
	}
	build := exec.Command(goTool, append(append([]string{"build"}, buildFlags...), "-o", wxpayBin, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := runTests(m)
	os.RemoveAll(dir)
	os.Exit(code)
}

// runTests runs the tests; the pkcs11 build runs them with a SoftHSM2
// token folder of their own.
var runTests = (*testing.M).Run

// environ is the environment of a wxpay process: the test's, with env
// added. A -race build does not wait a second at exit (the race
// detector's default), which would double the tests' time.
func environ(env []string) []string {
	gorace := strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0")
	return append(append(os.Environ(), "GORACE="+gorace), env...)
}

// wxpay runs the built command to its end with env added to the
// environment.
func wxpay(t *testing.T, env []string, args ...string) result {
	t.Helper()
	cmd := exec.Command(wxpayBin, args...)
	cmd.Env = environ(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

// process is a long-running wxpay (sandbox, listen) whose output the test
// reads as it comes.
type process struct {
	t   *testing.T
	cmd *exec.Cmd

	mu             sync.Mutex
	stdout, stderr bytes.Buffer
	changed        chan struct{} // closed and replaced on each write
	done           chan struct{}
}

// lockedWriter appends to one of the process's buffers.
type lockedWriter struct {
	p   *process
	buf *bytes.Buffer
}

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.buf.Write(b)
	close(w.p.changed)
	w.p.changed = make(chan struct{})
	return len(b), nil
}

// start starts wxpay args; the test's cleanup stops it.
func start(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	p := &process{t: t, cmd: exec.Command(wxpayBin, args...), changed: make(chan struct{}), done: make(chan struct{})}
	p.cmd.Env = environ(env)
	p.cmd.Stdout, p.cmd.Stderr = lockedWriter{p, &p.stdout}, lockedWriter{p, &p.stderr}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() { p.stop() })
	return p
}

// output returns what the process printed so far.
func (p *process) output() (stdout, stderr string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stdout.String(), p.stderr.String()
}

// waitFor waits until the process's standard output (or error, with
// stderr) holds want, and returns the line that holds it.
func (p *process) waitFor(stderr bool, want string) string {
	p.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		p.mu.Lock()
		out := p.stdout.String()
		if stderr {
			out = p.stderr.String()
		}
		changed := p.changed
		p.mu.Unlock()
		if i := strings.Index(out, want); i >= 0 {
			start := strings.LastIndexByte(out[:i], '\n') + 1
			end := strings.IndexByte(out[i:], '\n')
			if end < 0 {
				end = len(out) - i
			}
			return out[start : i+end]
		}
		select {
		case <-changed:
		case <-p.done:
			o, e := p.output()
			p.t.Fatalf("wxpay %q ended (%v) before printing %q\nstdout %s\nstderr %s", p.cmd.Args[1:], p.cmd.ProcessState, want, o, e)
		case <-deadline:
			o, e := p.output()
			p.t.Fatalf("wxpay %q did not print %q\nstdout %s\nstderr %s", p.cmd.Args[1:], want, o, e)
		}
	}
}

// stop sends SIGTERM and waits for the process to end; it fails the test
// unless it ends at once with status 0.
func (p *process) stop() {
	p.t.Helper()
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if !p.cmd.ProcessState.Success() {
			o, e := p.output()
			p.t.Errorf("wxpay %q: %v\nstdout %s\nstderr %s", p.cmd.Args[1:], p.cmd.ProcessState, o, e)
		}
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		p.t.Errorf("wxpay %q did not stop on SIGTERM", p.cmd.Args[1:])
	}
}

// `wxpay sandbox` prints its URL, writes a config that a client loads and
// uses, and stops cleanly on SIGTERM.
func TestSandbox(t *testing.T) {
	out := filepath.Join(t.TempDir(), "conf", "wxpay.json")
	p := start(t, nil, "sandbox", "--config-out", out, "--mode", "both")
	first := p.waitFor(false, "wechatpay sandbox listening on ")
	if !strings.HasPrefix(first, "wechatpay sandbox listening on http://127.0.0.1:") {
		t.Fatalf("first line %q", first)
	}
	url := strings.TrimPrefix(first, "wechatpay sandbox listening on ")
	p.waitFor(false, "Try: ")

	cfg, err := wechatpay.LoadConfig(out)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != url || len(cfg.Certs) != 2 {
		t.Fatalf("config %v for %s", cfg, url)
	}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Chain("v3/pay/transactions/out-trade-no/{out_trade_no}").Get(wechatpay.M{"out_trade_no": "T1", "query": wechatpay.M{"mchid": cfg.MchID}})
	if err != nil || res.Get("out_trade_no").String() != "T1" {
		t.Fatalf("%v", err)
	}
	if _, err := c.Chain("v2/pay/closeorder").Post(wechatpay.M{"xml": wechatpay.M{"appid": "wx1", "mch_id": cfg.MchID, "out_trade_no": "T1"}}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// A line per request on standard error, with whether its signature
	// verified.
	if line := p.waitFor(true, "/v3/pay/transactions/out-trade-no/T1"); !strings.Contains(line, " GET ") || !strings.HasSuffix(line, " 200 signature verified") {
		t.Errorf("log line %q", line)
	}
	p.waitFor(true, "POST   /pay/closeorder ")
	p.stop()
	// The config it printed has its keys redacted.
	o, e := p.output()
	data, _ := os.ReadFile(out)
	secret, apiv3Key := jsonField(data, "secret"), jsonField(data, "apiv3_key")
	if len(secret) != 32 || len(apiv3Key) != 32 || strings.Contains(o+e, secret) || strings.Contains(o+e, apiv3Key) ||
		!strings.Contains(o, "secret       [REDACTED]") {
		t.Errorf("the keys are printed, or not in the file:\n%s", o)
	}
	if !strings.HasSuffix(o, "wechatpay sandbox stopped\n") {
		t.Errorf("stdout %s", o)
	}
	for _, name := range []string{"apiclient_key.pem", "apiclient_cert.pem", "pub_key.pem"} {
		if _, err := os.Stat(filepath.Join(filepath.Dir(out), name)); err != nil {
			t.Error(err)
		}
	}
}

func TestUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	ctx := context.Background()
	if code := run(ctx, nil, &env{stdout: &stdout, stderr: &stderr}); code != 2 || !strings.Contains(stderr.String(), "sandbox") {
		t.Fatalf("no command: %d %s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(ctx, []string{"nope"}, &env{stdout: &stdout, stderr: &stderr}); code != 2 || !strings.Contains(stderr.String(), `unknown command "nope"`) {
		t.Fatalf("unknown command: %d %s", code, stderr.String())
	}
	for _, args := range [][]string{{"sandbox", "--mode", "x"}, {"sandbox", "extra"}, {"sandbox", "--listen", "256.0.0.1:0"}} {
		stderr.Reset()
		if code := run(ctx, args, &env{stdout: &stdout, stderr: &stderr}); code == 0 || stderr.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	// help and -h print the usage on standard output and exit 0.
	for _, args := range [][]string{{"help"}, {"-h"}, {"sandbox", "-h"}, {"notify", "--help"}, {"help", "trigger"}} {
		stdout.Reset()
		if code := run(ctx, args, &env{stdout: &stdout, stderr: &stderr}); code != 0 || !strings.Contains(stdout.String(), "Usage:") {
			t.Errorf("%v: exit %d, stdout %q", args, code, stdout.String())
		}
	}
}

// Every command's help is made the same way: a usage line, the flags,
// and -c/--config among the global flags (today's sandbox and notify
// helps were written by hand and differed from the rest).
func TestHelpIsConsistent(t *testing.T) {
	root := newRoot(&env{stdout: io.Discard, stderr: io.Discard})
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" {
			continue
		}
		var stdout bytes.Buffer
		code := run(context.Background(), []string{c.Name(), "-h"}, &env{stdout: &stdout, stderr: io.Discard})
		h := stdout.String()
		if code != 0 || !strings.Contains(h, "Usage:\n  wxpay "+c.Name()) || !strings.Contains(h, "-h, --help") {
			t.Errorf("%s -h: exit %d\n%s", c.Name(), code, h)
		}
		if c.Name() != "completion" && !strings.Contains(h, "Global Flags:\n  -c, --config FILE") {
			t.Errorf("%s -h lacks the global -c:\n%s", c.Name(), h)
		}
	}
}

// The sandbox also stops when its context ends, in process.
func TestSandboxInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr bytes.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"sandbox", "--listen", "127.0.0.1:0"}, &env{stdout: &stdout, stderr: &stderr})
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	if code := <-done; code != 0 || !strings.Contains(stdout.String(), "stopped") {
		t.Fatalf("exit %d: %s %s", code, stdout.String(), stderr.String())
	}
}

// --version prints wechatpay.Version, the one source of the version, and
// the Go toolchain.
func TestVersion(t *testing.T) {
	for _, r := range []result{wxpay(t, nil, "--version"), wxpay(t, nil, "-v")} {
		if r.code != 0 || !strings.HasPrefix(r.stdout, "wxpay version "+wechatpay.Version+" ("+runtime.Version()) {
			t.Fatalf("%+v", r)
		}
	}
}

// jsonField is a string field of a JSON object.
func jsonField(data []byte, name string) string {
	var m map[string]any
	json.Unmarshal(data, &m)
	s, _ := m[name].(string)
	return s
}
