// Package redisstore keeps, in Redis, what the instances of a merchant's
// back end share: the platform certificates and their refresh lease
// (wechatpay.CertificateStore) and the claims of notifications being
// handled (wechatpay.NotificationStore). One Store serves both, for any
// number of merchants:
//
//	rdb := redis.NewClient(&redis.Options{Addr: "10.0.0.5:6379"})
//	store := redisstore.New(rdb)
//	client, err := wechatpay.New(wechatpay.Config{…, APIv3Key: key, CertificateStore: store})
//	nf := client.Notifier()
//	nf.ExactlyOnce = &wechatpay.ExactlyOnce{Store: store}
//
// Keys, under the prefix ("wechatpay:" by default):
//
//	wechatpay:certificates:{mchid}     the v3/certificates answer, signed (no expiry)
//	wechatpay:lease:{name}             a lease: its holder, expiring (PX) with it
//	wechatpay:notification:{key}       "claim:{holder}" while handled (PX lease), then "done" (EX 25 h)
//
// Each operation touches one key, atomically (a Lua script where it reads
// before it writes), so the store works on Redis Cluster too. What it reads
// is not trusted: the client verifies a certificate record as if it had
// downloaded it, and a key holding garbage makes an error, not a
// decision. See docs/scaling.md.
package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/wechatpay-go/wechatpay"
)

// DefaultPrefix starts every key a Store writes.
const DefaultPrefix = "wechatpay:"

// Store is a wechatpay.CertificateStore and a wechatpay.NotificationStore
// in Redis. It is safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	prefix string
}

// Option configures New.
type Option func(*Store)

// WithPrefix starts the Store's keys with prefix instead of DefaultPrefix,
// e.g. to share a Redis between environments.
func WithPrefix(prefix string) Option { return func(s *Store) { s.prefix = prefix } }

// New returns a Store keeping its keys in rdb: a *redis.Client, a
// *redis.ClusterClient, a failover client… It does not close rdb.
func New(rdb redis.UniversalClient, opts ...Option) *Store {
	s := &Store{rdb: rdb, prefix: DefaultPrefix}
	for _, o := range opts {
		o(s)
	}
	return s
}

// The interfaces it serves.
var (
	_ wechatpay.CertificateStore  = (*Store)(nil)
	_ wechatpay.NotificationStore = (*Store)(nil)
)

// ErrUnexpectedValue: a key holds what the Store never writes there, as
// when something else writes the same keys; the Store reports it rather
// than act on it.
var ErrUnexpectedValue = errors.New("redisstore: unexpected value")

func (s *Store) certificatesKey(mchid string) string { return s.prefix + "certificates:" + mchid }
func (s *Store) leaseKey(name string) string         { return s.prefix + "lease:" + name }
func (s *Store) notificationKey(key string) string   { return s.prefix + "notification:" + key }

// LoadCertificates returns the merchant's record, or nil when there is
// none.
func (s *Store) LoadCertificates(ctx context.Context, mchid string) ([]byte, error) {
	b, err := s.rdb.Get(ctx, s.certificatesKey(mchid)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	return b, err
}

// SaveCertificates saves the merchant's record, without expiry: platform
// certificates last years, and the clients tell a stale record by the
// time WeChat Pay signed it.
func (s *Store) SaveCertificates(ctx context.Context, mchid string, record []byte) error {
	return s.rdb.Set(ctx, s.certificatesKey(mchid), record, 0).Err()
}

// acquireLease: SET NX PX, or extend the holder's own lease.
var acquireLease = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`)

// renewLease extends the lease only while holder has it.
var renewLease = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`)

// releaseIf deletes the key only while it holds ARGV[1].
var releaseIf = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// AcquireLease gives holder the lease name for ttl when it is free or
// already holder's.
func (s *Store) AcquireLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := acquireLease.Run(ctx, s.rdb, []string{s.leaseKey(name)}, holder, millis(ttl)).Int()
	return n == 1, err
}

// RenewLease extends holder's lease.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	n, err := renewLease.Run(ctx, s.rdb, []string{s.leaseKey(name)}, holder, millis(ttl)).Int()
	return n == 1, err
}

// ReleaseLease ends holder's lease.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	return releaseIf.Run(ctx, s.rdb, []string{s.leaseKey(name)}, holder).Err()
}

// The values of a notification key.
const (
	claimPrefix = "claim:"
	doneValue   = "done"
)

// claimNotification: 1 acquired (or already holder's), 2 claimed by
// another, 3 done; the value when it is none of these.
var claimNotification = redis.NewScript(`
if redis.call('SET', KEYS[1], 'claim:' .. ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
local v = redis.call('GET', KEYS[1])
if not v then
  redis.call('SET', KEYS[1], 'claim:' .. ARGV[1], 'PX', ARGV[2])
  return 1
end
if v == 'done' then return 3 end
if v == 'claim:' .. ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if string.sub(v, 1, 6) == 'claim:' then return 2 end
return v`)

// ClaimNotification claims key for holder unless another holder has it or
// it is done. A key holding anything else is an error wrapping
// ErrUnexpectedValue.
func (s *Store) ClaimNotification(ctx context.Context, key, holder string, lease time.Duration) (wechatpay.ClaimState, error) {
	v, err := claimNotification.Run(ctx, s.rdb, []string{s.notificationKey(key)}, holder, millis(lease)).Result()
	if err != nil {
		return 0, err
	}
	switch v {
	case int64(1):
		return wechatpay.ClaimAcquired, nil
	case int64(2):
		return wechatpay.ClaimInProgress, nil
	case int64(3):
		return wechatpay.ClaimCompleted, nil
	}
	return 0, fmt.Errorf("%w under %s: %.40q", ErrUnexpectedValue, s.notificationKey(key), fmt.Sprint(v))
}

// ExtendClaim extends holder's claim.
func (s *Store) ExtendClaim(ctx context.Context, key, holder string, lease time.Duration) (bool, error) {
	n, err := renewLease.Run(ctx, s.rdb, []string{s.notificationKey(key)}, claimPrefix+holder, millis(lease)).Int()
	return n == 1, err
}

// CompleteNotification records key as done for ttl.
func (s *Store) CompleteNotification(ctx context.Context, key string, ttl time.Duration) error {
	return s.rdb.Set(ctx, s.notificationKey(key), doneValue, ttl).Err()
}

// ReleaseClaim ends holder's claim.
func (s *Store) ReleaseClaim(ctx context.Context, key, holder string) error {
	return releaseIf.Run(ctx, s.rdb, []string{s.notificationKey(key)}, claimPrefix+holder).Err()
}

// millis writes d for PX, at least a millisecond.
func millis(d time.Duration) int64 { return max(d.Milliseconds(), 1) }

// String names the store without its connection's secrets.
func (s *Store) String() string {
	return "redisstore.Store{prefix:" + fmt.Sprintf("%q", s.prefix) + "}"
}
