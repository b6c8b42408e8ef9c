package wechatpay_test

import (
	"context"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The signers below stand for a KMS or HSM key: each wraps the server's
// merchant key and misbehaves in one way.

// plainSigner is a crypto.Signer only, optionally slow or failing.
type plainSigner struct {
	key   *rsa.PrivateKey
	delay time.Duration
	err   error
}

func (s *plainSigner) Public() stdcrypto.PublicKey { return &s.key.PublicKey }

func (s *plainSigner) Sign(rand io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	time.Sleep(s.delay)
	if s.err != nil {
		return nil, s.err
	}
	return s.key.Sign(rand, digest, opts)
}

// kmsSigner is a ContextSigner that waits for its "network" answer.
type kmsSigner struct {
	plainSigner
	calls int
}

func (s *kmsSigner) SignContext(ctx context.Context, rand io.Reader, digest []byte, opts stdcrypto.SignerOpts) ([]byte, error) {
	s.calls++
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if s.err != nil {
		return nil, s.err
	}
	return s.key.Sign(rand, digest, opts)
}

// messageSigner is a MessageSigner that records what it signed.
type messageSigner struct {
	plainSigner
	mu       sync.Mutex
	messages []string
}

func (s *messageSigner) SignMessage(ctx context.Context, message []byte) ([]byte, error) {
	s.mu.Lock()
	s.messages = append(s.messages, string(message))
	s.mu.Unlock()
	digest := sha256.Sum256(message)
	return s.key.Sign(nil, digest[:], stdcrypto.SHA256)
}

func newSignerServer(t *testing.T) *wechatpaytest.Server {
	t.Helper()
	srv := wechatpaytest.NewServer()
	t.Cleanup(srv.Close)
	srv.HandleFunc("POST", "v3/pay/transactions/native", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"code_url": "weixin://wxpay/bizpayurl?pr=p4lpSuKzz"})
	})
	return srv
}

func clientWithKey(t *testing.T, srv *wechatpaytest.Server, key stdcrypto.Signer) *wechatpay.Client {
	t.Helper()
	cfg := srv.Config()
	cfg.PrivateKey = key
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func nativeOrder(ctx context.Context, c *wechatpay.Client, timeout time.Duration) (*wechatpay.Response, error) {
	return c.Chain("v3/pay/transactions/native").PostContext(ctx, wechatpay.M{
		"json":    wechatpay.M{"appid": "wxd678efh567hg6787", "description": "Image形象店-深圳腾大-QQ公仔", "out_trade_no": "1217752501201407033233368018"},
		"timeout": timeout,
	})
}

// assertNotSent checks that err is a *SignError matching want and that the
// server received nothing.
func assertNotSent(t *testing.T, srv *wechatpaytest.Server, err, want error) {
	t.Helper()
	var se *wechatpay.SignError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want a *SignError", err, err)
	}
	if !errors.Is(err, want) {
		t.Fatalf("err = %v, want it to match %v", err, want)
	}
	if n := len(srv.Received()); n != 0 {
		t.Fatalf("the server received %d requests, want none", n)
	}
}

func TestSignerKinds(t *testing.T) {
	srv := newSignerServer(t)
	plain := plainSigner{key: srv.Merchant.Key}
	for name, key := range map[string]stdcrypto.Signer{
		"rsa.PrivateKey": srv.Merchant.Key,
		"crypto.Signer":  &plain,
		"ContextSigner":  &kmsSigner{plainSigner: plain},
		"MessageSigner":  &messageSigner{plainSigner: plain},
	} {
		t.Run(name, func(t *testing.T) {
			res, err := nativeOrder(context.Background(), clientWithKey(t, srv, key), 0)
			if err != nil {
				t.Fatal(err)
			}
			if res.Get("code_url").String() == "" {
				t.Fatalf("%s", res.Body)
			}
		})
	}
}

func TestSignerPrefersContextSigner(t *testing.T) {
	srv := newSignerServer(t)
	kms := &kmsSigner{plainSigner: plainSigner{key: srv.Merchant.Key}}
	if _, err := nativeOrder(context.Background(), clientWithKey(t, srv, kms), 0); err != nil {
		t.Fatal(err)
	}
	if kms.calls != 1 {
		t.Fatalf("SignContext called %d times, want 1", kms.calls)
	}
}

func TestSignerMessageSignerSeesTheStringToSign(t *testing.T) {
	srv := newSignerServer(t)
	ms := &messageSigner{plainSigner: plainSigner{key: srv.Merchant.Key}}
	if _, err := nativeOrder(context.Background(), clientWithKey(t, srv, ms), 0); err != nil {
		t.Fatal(err)
	}
	got := srv.Received()[0]
	if len(ms.messages) != 1 {
		t.Fatalf("SignMessage called %d times", len(ms.messages))
	}
	lines := strings.Split(ms.messages[0], "\n")
	if len(lines) != 6 || lines[0] != "POST" || lines[1] != got.Target || lines[4] != string(got.Body) || lines[5] != "" {
		t.Fatalf("signed %q for %s %s", ms.messages[0], got.Method, got.Target)
	}
	if auth := got.Header.Get("Authorization"); !strings.Contains(auth, `timestamp="`+lines[2]+`"`) || !strings.Contains(auth, `nonce_str="`+lines[3]+`"`) {
		t.Fatalf("Authorization %q does not name the signed timestamp and nonce", auth)
	}
}

func TestSignerFailureSendsNothing(t *testing.T) {
	cause := errors.New("kms: key disabled")
	srv := newSignerServer(t)
	for name, key := range map[string]stdcrypto.Signer{
		"crypto.Signer": &plainSigner{key: srv.Merchant.Key, err: cause},
		"ContextSigner": &kmsSigner{plainSigner: plainSigner{key: srv.Merchant.Key, err: cause}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := nativeOrder(context.Background(), clientWithKey(t, srv, key), 0)
			assertNotSent(t, srv, err, cause)
		})
	}
}

func TestSignerTimeoutSendsNothing(t *testing.T) {
	srv := newSignerServer(t)
	slow := plainSigner{key: srv.Merchant.Key, delay: 300 * time.Millisecond}
	t.Run("ContextSigner", func(t *testing.T) {
		c := clientWithKey(t, srv, &kmsSigner{plainSigner: slow})
		start := time.Now()
		_, err := nativeOrder(context.Background(), c, 50*time.Millisecond)
		assertNotSent(t, srv, err, context.DeadlineExceeded)
		if d := time.Since(start); d >= slow.delay {
			t.Fatalf("the call took %v: SignContext was not bounded by the call's timeout", d)
		}
	})
	t.Run("crypto.Signer", func(t *testing.T) {
		// A plain signer cannot be interrupted; its late signature is
		// not used.
		_, err := nativeOrder(context.Background(), clientWithKey(t, srv, &slow), 50*time.Millisecond)
		assertNotSent(t, srv, err, context.DeadlineExceeded)
	})
	t.Run("caller's context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := nativeOrder(ctx, clientWithKey(t, srv, &kmsSigner{plainSigner: slow}), 0)
		assertNotSent(t, srv, err, context.DeadlineExceeded)
	})
	t.Run("cancelled before signing", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := nativeOrder(ctx, clientWithKey(t, srv, srv.Merchant.Key), 0)
		assertNotSent(t, srv, err, context.Canceled)
	})
}

// emptySigner returns no signature and no error.
type emptySigner struct{ plainSigner }

func (*emptySigner) Sign(io.Reader, []byte, stdcrypto.SignerOpts) ([]byte, error) { return nil, nil }

func TestSignerEmptySignatureSendsNothing(t *testing.T) {
	srv := newSignerServer(t)
	_, err := nativeOrder(context.Background(), clientWithKey(t, srv, &emptySigner{plainSigner{key: srv.Merchant.Key}}), 0)
	var se *wechatpay.SignError
	if !errors.As(err, &se) || !strings.Contains(err.Error(), "empty signature") {
		t.Fatalf("err = %v", err)
	}
	if len(srv.Received()) != 0 {
		t.Fatal("the server received a request")
	}
}
