//go:build pkcs11 && cgo && unix

package pkcs11_test

import (
	stdcrypto "crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"syscall"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay/internal/softhsmtest"
)

// The cost of one APIv3 signature (SHA256-RSA2048) made in SoftHSM2, as
// docs/signing.md reports it, against crypto/rsa with the key in memory:
//
//	go test -tags pkcs11 -run '^$' -bench . -benchmem -cpu 1,2 ./crypto/pkcs11/
//
// The token's figure includes the check of each signature with the public
// key; "parallel" signs from GOMAXPROCS goroutines at once. cpu-µs/op is
// the process's CPU time (user + system) per signature: SoftHSM2 signs in
// the process, so it is the whole cost, and on a shared machine it says
// more than the wall time (ns/op).
func BenchmarkSign(b *testing.B) {
	tok := softhsmtest.NewToken(b)
	tok.GenerateRSA(b, "apiclient", []byte{1}, 2048)
	hsm := open(b, tok, "apiclient")
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256([]byte("POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n{}\n"))
	for _, bc := range []struct {
		name   string
		signer stdcrypto.Signer
	}{{"softhsm2", hsm}, {"crypto-rsa", key}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			for b.Loop() {
				if _, err := bc.signer.Sign(rand.Reader, digest[:], stdcrypto.SHA256); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op")
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			start := processCPU()
			defer func() { b.ReportMetric(float64((processCPU()-start).Microseconds())/float64(b.N), "cpu-µs/op") }()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.signer.Sign(rand.Reader, digest[:], stdcrypto.SHA256); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// processCPU returns the CPU time (user and system) this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
