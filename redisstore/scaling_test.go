package redisstore_test

// Many instances, one merchant, one Redis: the tests of docs/scaling.md,
// on a real redis-server, the sandbox in certificate mode, and a second
// OS process (this test binary, run again with childRole set).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/redisstore"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The environment of a child process: its role, and the path of its
// childSpec.
const (
	childRole = "WECHATPAY_REDISSTORE_CHILD"
	childSpec = "WECHATPAY_REDISSTORE_SPEC"
)

// spec is what a child needs: the sandbox's merchant, Redis, and its job.
type spec struct {
	Redis      string
	BaseURL    string
	MchID      string
	Serial     string
	PrivateKey []byte // PEM: the sandbox's test key
	APIv3Key   string
	Clients    int
	Interval   time.Duration
	Retry      time.Duration
	Duration   time.Duration
	Lease      time.Duration
}

// result is what a "clients" child reports on stdout.
type result struct {
	Calls, Failures int
	Errors          []string
}

func specFor(srv *wechatpaytest.Server, redisAddr string) spec {
	return spec{Redis: redisAddr, BaseURL: srv.URL, MchID: srv.MchID, Serial: srv.Merchant.Serial,
		PrivateKey: srv.Merchant.KeyPEM(), APIv3Key: srv.APIv3Key}
}

// config is the Config of a client in certificate mode sharing Redis.
func (sp spec) config(store *redisstore.Store, onError func(error)) wechatpay.Config {
	return wechatpay.Config{
		MchID: sp.MchID, Serial: sp.Serial, PrivateKey: sp.PrivateKey, APIv3Key: crypto.NewSecret(sp.APIv3Key),
		BaseURL: sp.BaseURL, CertificateStore: store,
		CertificateRefresh: wechatpay.CertificateRefresh{Interval: sp.Interval, RetryInterval: sp.Retry, OnError: onError},
	}
}

func newRDB(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1, DialTimeout: time.Second})
}

// startChild runs this test binary again as a child in role, and returns
// it with a reader of its stdout.
func startChild(t *testing.T, role string, sp spec) (*exec.Cmd, *bufio.Reader) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "spec.json")
	b, _ := json.Marshal(sp)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childRole+"="+role, childSpec+"="+path)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, bufio.NewReader(out)
}

// runChild is main for a child process.
func runChild(role string) int {
	b, err := os.ReadFile(os.Getenv(childSpec))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var sp spec
	if err := json.Unmarshal(b, &sp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	rdb := newRDB(sp.Redis)
	defer rdb.Close()
	store := redisstore.New(rdb)
	switch role {
	case "clients":
		return childClients(sp, store)
	case "receiver":
		return childReceiver(sp, store, rdb)
	}
	fmt.Fprintln(os.Stderr, "unknown role", role)
	return 2
}

// childClients calls the sandbox with sp.Clients clients for
// sp.Duration, and reports.
func childClients(sp spec, store *redisstore.Store) int {
	var res result
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range sp.Clients {
		c, err := wechatpay.New(sp.config(store, nil))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		defer c.Close()
		wg.Go(func() {
			calls, failures, errs := callFor(c, sp.Duration)
			mu.Lock()
			res.Calls += calls
			res.Failures += failures
			res.Errors = append(res.Errors, errs...)
			mu.Unlock()
		})
	}
	wg.Wait()
	json.NewEncoder(os.Stdout).Encode(res)
	return 0
}

// childReceiver serves notifications exactly once with Redis, prints its
// URL, and blocks in the handler after counting its start in Redis: it is
// to be killed there.
func childReceiver(sp spec, store *redisstore.Store, rdb *redis.Client) int {
	c, err := wechatpay.New(sp.config(store, nil))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	nf := c.Notifier()
	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: store, Lease: sp.Lease}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Printf("http://%s/notify\n", l.Addr())
	http.Serve(l, nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
		rdb.Incr(context.Background(), "test:started:"+n.ID)
		select {} // killed here
	}))
	return 1
}

// callFor calls v3/x with c until d has passed, every 100 ms.
func callFor(c *wechatpay.Client, d time.Duration) (calls, failures int, errs []string) {
	end := time.Now().Add(d)
	for time.Now().Before(end) {
		calls++
		res, err := c.Chain("v3/x").Get()
		if err == nil && !res.Get("ok").Bool() {
			err = fmt.Errorf("answer %s", res.Body)
		}
		if err != nil {
			failures++
			if len(errs) < 3 {
				errs = append(errs, err.Error())
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return calls, failures, errs
}

func pingRoute(srv *wechatpaytest.Server) {
	srv.HandleFunc("GET", "v3/x", func(*wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"ok": true})
	})
}

// 16 clients of one merchant in two processes share their platform
// certificates through one Redis: one download per refresh period, not
// sixteen; the sandbox rotates its certificate and no call fails; Redis is
// killed and restarted mid-run, empty, and the clients go on with what
// they hold and fill it again.
func TestSharedCertificates(t *testing.T) {
	began := time.Now()
	rs, rdb := newRedis(t)
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)

	const (
		interval = 2 * time.Second
		run      = 12 * time.Second
	)
	sp := specFor(srv, rs.Addr)
	sp.Clients, sp.Interval, sp.Retry, sp.Duration = 8, interval, 200*time.Millisecond, run
	child, out := startChild(t, "clients", sp)

	var storeErrs atomic.Int32
	var clients []*wechatpay.Client
	for range 8 {
		// Each its own Redis connection pool, as separate instances.
		store := redisstore.New(newRDB(rs.Addr))
		c, err := wechatpay.New(sp.config(store, func(err error) {
			if errors.Is(err, wechatpay.ErrCertificateStore) {
				storeErrs.Add(1)
			} else {
				t.Errorf("reported: %v", err)
			}
		}))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients = append(clients, c)
	}
	var calls, failures atomic.Int32
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Go(func() {
			n, f, errs := callFor(c, run)
			calls.Add(int32(n))
			failures.Add(int32(f))
			for _, e := range errs {
				t.Errorf("a call failed: %s", e)
			}
		})
	}

	time.Sleep(3 * time.Second)
	old := srv.Platform.Serial
	rotated, err := srv.RotatePlatformCertificate()
	if err != nil {
		t.Fatal(err)
	}
	atRotation := srv.Count("GET v3/certificates")
	time.Sleep(2500 * time.Millisecond)
	rs.Kill()
	killed := time.Now()
	beforeOutage := srv.Count("GET v3/certificates")
	time.Sleep(interval + 500*time.Millisecond) // past every client's next check
	duringOutage := srv.Count("GET v3/certificates") - beforeOutage
	rs.Restart(t)
	outage := time.Since(killed)
	wg.Wait()

	var res result
	if err := json.NewDecoder(out).Decode(&res); err != nil {
		t.Fatalf("the child process: %v", err)
	}
	child.Wait()
	for _, e := range res.Errors {
		t.Errorf("a call of the child process failed: %s", e)
	}
	downloads := srv.Count("GET v3/certificates")
	periods := float64(run) / float64(interval)
	t.Logf("16 clients in 2 processes, %v: %d + %d calls, %d + %d failed; %d downloads in %.1f refresh periods (%d before the rotation, %d during a %v Redis outage); %d store errors reported; %v in all",
		run, calls.Load(), res.Calls, failures.Load(), res.Failures, downloads, periods, atRotation, duringOutage, outage.Round(time.Millisecond), storeErrs.Load(), time.Since(began).Round(time.Millisecond))
	if failures.Load() != 0 || res.Failures != 0 || calls.Load() < 200 || res.Calls < 200 {
		t.Fatalf("calls: %d (%d failed) and %d (%d failed) in the child", calls.Load(), failures.Load(), res.Calls, res.Failures)
	}
	// One first download, one per period after, one for the rotation, one
	// to fill the restarted Redis; the timestamps' one-second steps may add
	// one.
	if max := int(periods) + 4; downloads > max || downloads < int(periods) {
		t.Fatalf("%d downloads for 16 clients in %.1f refresh periods, want %d to %d", downloads, periods, int(periods), max)
	}
	if duringOutage != 0 {
		t.Fatalf("%d downloads while Redis was down: the clients hold valid certificates", duringOutage)
	}
	if storeErrs.Load() == 0 {
		t.Fatal("the Redis outage was not reported")
	}
	for _, c := range clients {
		if _, ok := c.Keys().Lookup(rotated.Serial); !ok {
			t.Fatalf("a client lacks the new certificate: %v", c.Keys().Serials())
		}
		if _, ok := c.Keys().Lookup(old); !ok {
			t.Fatalf("a client dropped the old certificate before it expired: %v", c.Keys().Serials())
		}
	}
	if b, err := rdb.Get(context.Background(), "wechatpay:certificates:"+srv.MchID).Bytes(); err != nil || !bytes.Contains(b, []byte(`"version":1`)) {
		t.Fatalf("the restarted Redis was not filled again: %v", err)
	}
}

// A record someone wrote into Redis that is not WeChat Pay's is refused
// and reported; the client downloads and writes a good one.
func TestUntrustedRecordInRedis(t *testing.T) {
	rs, rdb := newRedis(t)
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	pingRoute(srv)
	ctx := context.Background()
	key := "wechatpay:certificates:" + srv.MchID
	for _, garbage := range []string{"\x00\x01garbage", `{"version":1,"header":{"Wechatpay-Timestamp":"1"},"body":"e30="}`} {
		rdb.Set(ctx, key, garbage, 0)
		var reported []error
		var mu sync.Mutex
		c, err := wechatpay.New(specFor(srv, rs.Addr).config(redisstore.New(rdb), func(err error) {
			mu.Lock()
			reported = append(reported, err)
			mu.Unlock()
		}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Chain("v3/x").Get(); err != nil {
			t.Fatal(err)
		}
		c.Close()
		if len(reported) == 0 || !errors.Is(reported[0], wechatpay.ErrCertificateRecord) {
			t.Fatalf("%q: reported %v", garbage, reported)
		}
		if b, _ := rdb.Get(ctx, key).Bytes(); string(b) == garbage {
			t.Fatalf("%q stayed", garbage)
		}
	}
}

// router stands for what sits between WeChat Pay and the receivers: each
// delivery goes to the receivers pick names for its attempt (all at once,
// as a load balancer at its worst), and is answered 2xx only when every
// one did.
func router(t *testing.T, pick func(attempt int) []string) string {
	var n atomic.Int32
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		urls := pick(int(n.Add(1)))
		statuses := make([]int, len(urls))
		var wg sync.WaitGroup
		for i, u := range urls {
			wg.Go(func() {
				req, _ := http.NewRequestWithContext(r.Context(), http.MethodPost, u, bytes.NewReader(body))
				req.Header = r.Header.Clone()
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					statuses[i] = http.StatusBadGateway
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				statuses[i] = resp.StatusCode
			})
		}
		wg.Wait()
		for _, s := range statuses {
			if s < 200 || s > 299 {
				w.WriteHeader(s)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hs.Close)
	return hs.URL + "/notify"
}

// receivers are instances receiving one merchant's notifications, each
// with its own client and Redis connection, exactly once through Redis.
// Their function counts its runs and its effect (an INCR) in Redis, after
// work long enough for duplicates to overlap, and fails on the first run
// of the notifications fail names.
func receivers(t *testing.T, srv *wechatpaytest.Server, redisAddr string, n int, fail func(id string) bool) []string {
	var urls []string
	for range n {
		rdb := newRDB(redisAddr)
		t.Cleanup(func() { rdb.Close() })
		store := redisstore.New(rdb)
		c, err := wechatpay.New(specFor(srv, redisAddr).config(store, nil))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		nf := c.Notifier()
		nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: store, Lease: time.Second}
		hs := httptest.NewServer(nf.Handler(func(ctx context.Context, n *wechatpay.Notification) error {
			if rdb.Incr(ctx, "test:runs:"+n.ID).Val() == 1 && fail(n.ID) {
				return errors.New("failed on its first run")
			}
			time.Sleep(30 * time.Millisecond)
			return rdb.Incr(ctx, "test:effects:"+n.ID).Err()
		}))
		t.Cleanup(hs.Close)
		urls = append(urls, hs.URL+"/notify")
	}
	return urls
}

// 20 notifications, each delivered to 4 receivers at once and retried by
// WeChat Pay until all 4 acknowledge: each has its effect exactly once,
// including the ones whose first run fails.
func TestExactlyOnceAcrossInstances(t *testing.T) {
	began := time.Now()
	rs, rdb := newRedis(t)
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	failing := func(id string) bool { return strings.HasSuffix(id, "0") || strings.HasSuffix(id, "5") }
	urls := receivers(t, srv, rs.Addr, 4, failing)
	to := router(t, func(int) []string { return urls })

	const notifications = 20
	var wg sync.WaitGroup
	var deliveries, attempts atomic.Int32
	ids := make([]string, notifications)
	for i := range notifications {
		ids[i] = fmt.Sprintf("5e9a1c2b-0000-4000-8000-%012d", i)
		wg.Go(func() {
			d, err := srv.Notify(context.Background(), to, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS", ID: ids[i]}, wechatpaytest.TimeScale(0.01))
			if err != nil {
				t.Errorf("%s: %v", ids[i], err)
				return
			}
			attempts.Add(int32(len(d.Attempts)))
			deliveries.Add(int32(4 * len(d.Attempts)))
		})
	}
	wg.Wait()
	ctx := context.Background()
	effects, runs := 0, 0
	for _, id := range ids {
		e, _ := rdb.Get(ctx, "test:effects:"+id).Int()
		r, _ := rdb.Get(ctx, "test:runs:"+id).Int()
		if e != 1 {
			t.Errorf("%s: %d effects", id, e)
		}
		if want := 1 + btoi(failing(id)); r != want {
			t.Errorf("%s: %d runs, want %d", id, r, want)
		}
		effects += e
		runs += r
	}
	t.Logf("%d notifications, %d attempts, %d deliveries to receivers, %d runs (4 failing their first), %d effects; %v",
		notifications, attempts.Load(), deliveries.Load(), runs, effects, time.Since(began).Round(time.Millisecond))

	// Redis down: nothing runs, the notification is answered 503; WeChat
	// Pay's retry after the restart runs it once.
	rs.Kill()
	id := "5e9a1c2b-0000-4000-8000-outage000001"
	done := make(chan error, 1)
	var statuses []int
	var mu sync.Mutex
	go func() {
		_, err := srv.Notify(context.Background(), to, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS", ID: id}, wechatpaytest.TimeScale(0.01),
			wechatpaytest.OnAttempt(func(a wechatpaytest.Attempt) { mu.Lock(); statuses = append(statuses, a.Status); mu.Unlock() }))
		done <- err
	}()
	time.Sleep(time.Second)
	rs.Restart(t)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if e, _ := rdb.Get(ctx, "test:effects:"+id).Int(); e != 1 || statuses[0] != http.StatusServiceUnavailable {
		t.Fatalf("across a Redis restart: %d effects, attempts %v", e, statuses)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A receiver killed (SIGKILL, another process) while its function runs
// loses nothing: its claim lapses after the lease, and WeChat Pay's retry
// runs the function on another instance, once.
func TestKilledReceiver(t *testing.T) {
	rs, rdb := newRedis(t)
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	sp := specFor(srv, rs.Addr)
	sp.Lease = time.Second
	child, out := startChild(t, "receiver", sp)
	line, err := out.ReadString('\n')
	if err != nil {
		t.Fatalf("the child receiver: %v", err)
	}
	childURL := strings.TrimSpace(line)
	urls := receivers(t, srv, rs.Addr, 2, func(string) bool { return false })
	to := router(t, func(attempt int) []string {
		if attempt == 1 {
			return []string{childURL}
		}
		return urls
	})

	const id = "5e9a1c2b-0000-4000-8000-killed000001"
	ctx := context.Background()
	go func() {
		for rdb.Get(ctx, "test:started:"+id).Val() != "1" {
			time.Sleep(10 * time.Millisecond)
		}
		child.Process.Kill()
	}()
	start := time.Now()
	d, err := srv.Notify(ctx, to, wechatpaytest.Notification{Webhook: "v3/TRANSACTION.SUCCESS", ID: id}, wechatpaytest.TimeScale(0.01))
	if err != nil {
		t.Fatal(err)
	}
	e, _ := rdb.Get(ctx, "test:effects:"+id).Int()
	r, _ := rdb.Get(ctx, "test:runs:"+id).Int()
	var statuses []int
	for _, a := range d.Attempts {
		statuses = append(statuses, a.Status)
	}
	t.Logf("attempts %v, %d runs after the kill, %d effects, delivered after %v", statuses, r, e, time.Since(start).Round(time.Millisecond))
	if e != 1 || r != 1 || d.Attempts[0].Status != http.StatusBadGateway {
		t.Fatalf("%d effects, %d runs; attempts %v", e, r, statuses)
	}
	if time.Since(start) < sp.Lease {
		t.Fatalf("delivered after %v, before the killed receiver's lease lapsed", time.Since(start))
	}
}
