package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/internal/configfile"
)

// TestMain runs the command itself when the test binary is re-executed
// with WXPAY_RUN_MAIN set, so that tests can signal a real process.
func TestMain(m *testing.M) {
	if os.Getenv("WXPAY_RUN_MAIN") == "1" {
		main()
	}
	os.Exit(runTests(m))
}

// runTests runs the tests; the pkcs11 build runs them with a SoftHSM2
// token folder of their own.
var runTests = (*testing.M).Run

// `wxpay sandbox` prints its URL, writes a config that a client loads and
// uses, and stops cleanly on SIGTERM.
func TestSandbox(t *testing.T) {
	out := filepath.Join(t.TempDir(), "conf", "wxpay.json")
	cmd := exec.Command(os.Args[0], "sandbox", "--config-out", out, "--mode", "both")
	cmd.Env = append(os.Environ(), "WXPAY_RUN_MAIN=1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || !strings.HasPrefix(lines.Text(), "wechatpay sandbox listening on http://127.0.0.1:") {
		t.Fatalf("first line %q, stderr %s", lines.Text(), stderr.String())
	}
	url := strings.TrimPrefix(lines.Text(), "wechatpay sandbox listening on ")
	lines.Scan()

	cfg, err := configfile.Load(out)
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

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit: %v, stderr %s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the sandbox did not stop on SIGTERM")
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
