//go:build pkcs11 && cgo

package pkcs11

import (
	"context"
	stdcrypto "crypto"
	"crypto/sha256"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay/internal/softhsmtest"
)

// The tests share one SoftHSM2 token folder, made for this process.
func TestMain(m *testing.M) { os.Exit(softhsmtest.Main(m)) }

// SignContext waits for a free session only as long as its context lets
// it, and Close waits for the signatures under way.
func TestSignContextWaitsForASession(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	s, err := Open(tok.URI("apiclient", "x-max-sessions=1"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	digest := sha256.Sum256([]byte("message"))

	if err := s.acquire(context.Background()); err != nil { // the only session is busy
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.SignContext(ctx, nil, digest[:], stdcrypto.SHA256); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("SignContext with every session busy: %v, want DeadlineExceeded", err)
	}
	closed := make(chan error)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Fatalf("Close returned (%v) while a session was in use", err)
	case <-time.After(50 * time.Millisecond):
	}
	if _, err := s.Sign(nil, digest[:], stdcrypto.SHA256); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sign while closing: %v, want ErrClosed", err)
	}
	s.release()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
}
