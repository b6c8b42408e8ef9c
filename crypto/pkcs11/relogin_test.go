//go:build pkcs11 && cgo

package pkcs11_test

import (
	stdcrypto "crypto"
	"crypto/rsa"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	p11 "github.com/miekg/pkcs11"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/pkcs11"
	"github.com/wechatpay-go/wechatpay/internal/softhsmtest"
)

// A token that lost the login (it restarted, a network HSM failed over):
// the Signer logs in again, once for all the goroutines signing, and their
// signatures verify.
func TestLogsInAgain(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pub := tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	s := open(t, tok, "apiclient", "x-max-sessions=4")
	sign := func(msg string) error {
		sig, err := crypto.Sign(s, []byte(msg))
		if err == nil {
			err = crypto.Verify(pub, []byte(msg), sig)
		}
		return err
	}
	if err := sign("before"); err != nil {
		t.Fatal(err)
	}
	tok.Logout(t)
	if err := sign("after a logout"); err != nil {
		t.Fatalf("after a logout: %v", err)
	}

	tok.Logout(t)
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for g := range 16 {
		wg.Go(func() {
			if err := sign(fmt.Sprint("goroutine ", g)); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("signing at once after a logout: %v", err)
	}
}

// When logging in again fails (here, the PIN was changed), the call fails
// with the login's error; calls within the next second fail at once with
// it; once the token takes the PIN again, the Signer recovers.
func TestLoggingInAgainFails(t *testing.T) {
	tok := softhsmtest.NewToken(t)
	pub := tok.GenerateRSA(t, "apiclient", []byte{1}, 2048)
	s := open(t, tok, "apiclient")
	oldPIN := tok.PIN
	tok.ChangePIN(t, "Pin-changed")
	tok.Logout(t)

	_, err := crypto.Sign(s, []byte("m"))
	var rv p11.Error
	if !errors.Is(err, pkcs11.ErrLogin) || !errors.Is(err, pkcs11.ErrToken) || !errors.As(err, &rv) || rv != p11.CKR_PIN_INCORRECT {
		t.Fatalf("%v", err)
	}
	start := time.Now()
	_, err = crypto.Sign(s, []byte("m"))
	if !errors.Is(err, pkcs11.ErrLogin) {
		t.Fatalf("within the pause: %v", err)
	}
	if _, err := s.Decrypt(nil, []byte("x"), &rsa.OAEPOptions{Hash: stdcrypto.SHA1}); !errors.Is(err, pkcs11.ErrLogin) {
		t.Fatalf("Decrypt within the pause: %v", err)
	}

	tok.ChangePIN(t, oldPIN)
	time.Sleep(time.Second - time.Since(start) + 50*time.Millisecond) // the pause between logins
	sig, err := crypto.Sign(s, []byte("m"))
	if err != nil {
		t.Fatalf("once the token takes the PIN again: %v", err)
	}
	if err := crypto.Verify(pub, []byte("m"), sig); err != nil {
		t.Fatal(err)
	}
}
