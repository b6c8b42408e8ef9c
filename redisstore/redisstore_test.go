package redisstore_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/internal/redistest"
	"github.com/wechatpay-go/wechatpay/redisstore"
)

func TestMain(m *testing.M) {
	if role := os.Getenv(childRole); role != "" {
		os.Exit(runChild(role))
	}
	os.Exit(m.Run())
}

// newRedis starts redis-server and returns a client of it.
func newRedis(t testing.TB) (*redistest.Server, *redis.Client) {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { rdb.Close() })
	return srv, rdb
}

// The certificate record and leases, on the real server: keys, expiry,
// holders.
func TestCertificateStore(t *testing.T) {
	_, rdb := newRedis(t)
	ctx := context.Background()
	s := redisstore.New(rdb, redisstore.WithPrefix("test:"))

	if b, err := s.LoadCertificates(ctx, "1900000109"); b != nil || err != nil {
		t.Fatalf("nothing saved: %q %v", b, err)
	}
	if err := s.SaveCertificates(ctx, "1900000109", []byte(`{"version":1}`)); err != nil {
		t.Fatal(err)
	}
	if b, err := s.LoadCertificates(ctx, "1900000109"); string(b) != `{"version":1}` || err != nil {
		t.Fatalf("%q %v", b, err)
	}
	if ttl := rdb.TTL(ctx, "test:certificates:1900000109").Val(); ttl != -1 {
		t.Fatalf("the record expires: %v", ttl)
	}

	const lease = "1900000109/certificates/refresh"
	if ok, err := s.AcquireLease(ctx, lease, "a", time.Second); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := s.AcquireLease(ctx, lease, "b", time.Second); ok {
		t.Fatal("b took a's lease")
	}
	if ok, _ := s.RenewLease(ctx, lease, "b", time.Minute); ok {
		t.Fatal("b renewed a's lease")
	}
	if ok, _ := s.RenewLease(ctx, lease, "a", time.Minute); !ok {
		t.Fatal("a could not renew")
	}
	if ttl := rdb.PTTL(ctx, "test:lease:"+lease).Val(); ttl < 50*time.Second {
		t.Fatalf("renewed lease expires in %v", ttl)
	}
	s.ReleaseLease(ctx, lease, "b") // not b's: nothing
	if ok, _ := s.AcquireLease(ctx, lease, "b", time.Second); ok {
		t.Fatal("b released a's lease")
	}
	s.ReleaseLease(ctx, lease, "a")
	if ok, _ := s.AcquireLease(ctx, lease, "b", 100*time.Millisecond); !ok {
		t.Fatal("a released, b could not take it")
	}
	time.Sleep(150 * time.Millisecond)
	if ok, _ := s.RenewLease(ctx, lease, "b", time.Second); ok {
		t.Fatal("a lapsed lease was renewed")
	}
	if ok, _ := s.AcquireLease(ctx, lease, "c", time.Second); !ok {
		t.Fatal("a lapsed lease was not free")
	}
}

// Notification claims on the real server, and a key holding what the
// store never writes.
func TestNotificationStore(t *testing.T) {
	_, rdb := newRedis(t)
	ctx := context.Background()
	s := redisstore.New(rdb)
	const key = "v3:id:abc"
	want := func(holder string, lease time.Duration, st wechatpay.ClaimState) {
		t.Helper()
		got, err := s.ClaimNotification(ctx, key, holder, lease)
		if got != st || err != nil {
			t.Fatalf("%s claims: %v %v, want %v", holder, got, err, st)
		}
	}
	want("h1", 100*time.Millisecond, wechatpay.ClaimAcquired)
	want("h2", time.Minute, wechatpay.ClaimInProgress)
	if ok, _ := s.ExtendClaim(ctx, key, "h2", time.Minute); ok {
		t.Fatal("h2 extended h1's claim")
	}
	time.Sleep(150 * time.Millisecond) // h1's claim lapses
	want("h2", time.Minute, wechatpay.ClaimAcquired)
	s.ReleaseClaim(ctx, key, "h1")
	want("h3", time.Minute, wechatpay.ClaimInProgress)
	if ok, _ := s.ExtendClaim(ctx, key, "h2", time.Minute); !ok {
		t.Fatal("h2 could not extend its claim")
	}
	if err := s.CompleteNotification(ctx, key, 25*time.Hour); err != nil {
		t.Fatal(err)
	}
	want("h3", time.Minute, wechatpay.ClaimCompleted)
	if ttl := rdb.TTL(ctx, "wechatpay:notification:"+key).Val(); ttl < 24*time.Hour+59*time.Minute {
		t.Fatalf("a completed notification expires in %v", ttl)
	}
	s.ReleaseClaim(ctx, key, "h2") // completed: nothing to release
	want("h3", time.Minute, wechatpay.ClaimCompleted)

	rdb.Set(ctx, "wechatpay:notification:v3:id:garbage", "\x00\xffsomething else", 0)
	if _, err := s.ClaimNotification(ctx, "v3:id:garbage", "h", time.Minute); !errors.Is(err, redisstore.ErrUnexpectedValue) {
		t.Fatalf("garbage under a key: %v", err)
	}
	rdb.Del(ctx, "wechatpay:notification:v3:id:garbage")
	rdb.HSet(ctx, "wechatpay:notification:v3:id:garbage", "a", "b")
	if _, err := s.ClaimNotification(ctx, "v3:id:garbage", "h", time.Minute); err == nil {
		t.Fatal("a hash under a key: no error")
	}
}
