package openssl_test

import (
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/openssl"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Run with
//
//	go test -tags openssl -run '^$' -bench . -benchmem ./crypto/openssl/
//
// Besides ns/op (wall time), every benchmark reports cpu-µs/op: the CPU time
// of this process per operation, which on a loaded machine says more than
// wall time. The APIv3 call benchmarks run the server in a child process
// (see benchserver_test.go), so cpu-µs/op is the client's cost alone;
// server-cpu-µs/op is the child's, and x-floor is the client's cost over
// the floor, crypto/rsa's sign plus verify, measured in the same run.
// net-floor-cpu-µs is a bare round trip to the child over a kept-alive
// connection (a request head written, an answer of the same size read,
// the child signing in between as for a call), and x-floors the client's
// cost over both floors: what the client's own code adds. The bare-openssl
// rows are the least any client can do for the same call (bareCall: sign,
// write, read, verify, with OpenSSL and no HTTP library): what this
// machine's kernel and caches make of the floor, whatever the client.

// benchMessage is a typical APIv3 string to sign.
var benchMessage = []byte("POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n" +
	`{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"}}` + "\n")

// loop runs op b.N times and reports its CPU time per run, which it
// returns (0 where it is not measured).
func loop(b *testing.B, op func() error) float64 {
	b.ReportAllocs()
	start, ok := processCPU()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	return reportCPU(b, start, ok)
}

// reportCPU reports the process CPU per operation since start (when ok) as
// cpu-µs/op, and returns it.
func reportCPU(b *testing.B, start time.Duration, ok bool) float64 {
	end, _ := processCPU()
	if !ok {
		return 0
	}
	cpu := perOp(end-start, b.N)
	b.ReportMetric(cpu, "cpu-µs/op")
	return cpu
}

func perOp(d time.Duration, n int) float64 {
	return float64(d.Microseconds()) / float64(n)
}

// opensslKeys returns key in OpenSSL, or skips the benchmark in a build
// without the binding.
func opensslKeys(b *testing.B, key *rsa.PrivateKey) (*openssl.PrivateKey, *openssl.PublicKey) {
	b.Helper()
	priv, err := openssl.NewPrivateKey(key)
	if errors.Is(err, openssl.ErrUnavailable) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { priv.Close() })
	pub, err := openssl.NewPublicKey(&key.PublicKey)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pub.Close() })
	return priv, pub
}

func BenchmarkSign(b *testing.B) {
	key := testKey(b, 2048)
	digest := sha256.Sum256(benchMessage)
	b.Run("crypto-rsa", func(b *testing.B) {
		loop(b, func() error {
			_, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest[:])
			return err
		})
	})
	b.Run("openssl", func(b *testing.B) {
		priv, _ := opensslKeys(b, key)
		loop(b, func() error {
			_, err := priv.Sign(nil, digest[:], stdcrypto.SHA256)
			return err
		})
	})
	b.Run("openssl-message", func(b *testing.B) {
		priv, _ := opensslKeys(b, key)
		loop(b, func() error {
			_, err := priv.SignMessage(b.Context(), benchMessage)
			return err
		})
	})
}

func BenchmarkVerify(b *testing.B) {
	key := testKey(b, 2048)
	digest := sha256.Sum256(benchMessage)
	sig, _ := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest[:])
	b.Run("crypto-rsa", func(b *testing.B) {
		loop(b, func() error { return rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, digest[:], sig) })
	})
	b.Run("openssl", func(b *testing.B) {
		_, pub := opensslKeys(b, key)
		loop(b, func() error { return pub.Verify(digest[:], sig) })
	})
	b.Run("openssl-message", func(b *testing.B) {
		_, pub := opensslKeys(b, key)
		loop(b, func() error { return pub.VerifyMessage(benchMessage, sig) })
	})
}

// cryptoOps is how a benchmark signs a SHA-256 digest and verifies the
// signature.
type cryptoOps struct {
	sign   func(digest []byte) ([]byte, error)
	verify func(digest, sig []byte) error
}

func rsaOps(key *rsa.PrivateKey) cryptoOps {
	return cryptoOps{
		sign: func(d []byte) ([]byte, error) { return rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, d) },
		verify: func(d, sig []byte) error {
			return rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, d, sig)
		},
	}
}

// floorCPU measures one sign plus one verify with ops, in CPU time: what
// an APIv3 call cannot cost less than.
func floorCPU(b *testing.B, ops cryptoOps) (time.Duration, bool) {
	const n = 300
	start, ok := processCPU()
	for range n {
		digest := sha256.Sum256(benchMessage)
		sig, err := ops.sign(digest[:])
		if err == nil {
			err = ops.verify(digest[:], sig)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	end, _ := processCPU()
	return (end - start) / n, ok
}

// BenchmarkAPIv3Call makes whole APIv3 calls (POST, JSON body, signed,
// answer verified) to wechatpaytest in a child process: with crypto/rsa,
// with OpenSSL signing only, and with OpenSSL signing and verifying. The
// floor, measured just before and after the calls, is the same library's
// sign plus verify.
func BenchmarkAPIv3Call(b *testing.B) {
	srv := startBenchServer(b)
	key, err := crypto.ParsePrivateKey(srv.KeyPEM)
	if err != nil {
		b.Fatal(err)
	}
	// run makes call, inFlight at a time.
	run := func(b *testing.B, call func() error, floor cryptoOps, inFlight int) {
		floorBefore, floorOK := floorCPU(b, floor)
		netBefore, _ := srv.netFloorCPU(b)
		serverStart, serverOK := srv.cpuTime()
		var cpu float64
		if inFlight > 1 {
			cpu = loopParallel(b, inFlight, call)
		} else {
			cpu = loop(b, call)
		}
		serverEnd, _ := srv.cpuTime()
		floorAfter, _ := floorCPU(b, floor)
		netAfter, _ := srv.netFloorCPU(b)
		if serverOK {
			b.ReportMetric(perOp(serverEnd-serverStart, b.N), "server-cpu-µs/op")
		}
		if floorOK {
			f := (floorBefore + floorAfter) / 2
			nf := (netBefore + netAfter) / 2
			b.ReportMetric(float64(f.Microseconds()), "floor-cpu-µs")
			b.ReportMetric(cpu/float64(f.Microseconds()), "x-floor")
			// The bare round trip: the system calls and wake-ups every
			// call pays on this machine, whatever the client.
			b.ReportMetric(float64(nf.Microseconds()), "net-floor-cpu-µs")
			b.ReportMetric(cpu/float64((f+nf).Microseconds()), "x-floors")
		}
	}
	b.Run("crypto-rsa", func(b *testing.B) { run(b, nativeCall(b, srv, key, false), rsaOps(key), 1) })
	b.Run("openssl-sign", func(b *testing.B) {
		priv, _ := opensslKeys(b, key)
		run(b, nativeCall(b, srv, priv, false), cryptoOps{sign: opensslSign(priv), verify: rsaOps(key).verify}, 1)
	})
	b.Run("openssl", func(b *testing.B) {
		priv, pub := opensslKeys(b, key)
		run(b, nativeCall(b, srv, priv, true), opensslOps(priv, pub), 1)
	})
	// The least a client can do, with OpenSSL: see bareCall.
	b.Run("bare-openssl", func(b *testing.B) {
		call, floor := srv.bare(b, key)
		run(b, call, floor, 1)
	})
	// Eight calls in flight at once, each from its own goroutine: the
	// client's CPU per call against the same sequential floor.
	b.Run("crypto-rsa-8", func(b *testing.B) { run(b, nativeCall(b, srv, key, false), rsaOps(key), 8) })
	b.Run("openssl-8", func(b *testing.B) {
		priv, pub := opensslKeys(b, key)
		run(b, nativeCall(b, srv, priv, true), opensslOps(priv, pub), 8)
	})
	b.Run("bare-openssl-8", func(b *testing.B) {
		call, floor := srv.bare(b, key)
		run(b, call, floor, 8)
	})
}

// loopParallel is loop with n goroutines making the calls at once.
func loopParallel(b *testing.B, n int, op func() error) float64 {
	b.ReportAllocs()
	b.ResetTimer() // b.Loop does this for loop; RunParallel does not
	start, ok := processCPU()
	b.SetParallelism((n + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := op(); err != nil {
				b.Error(err)
				return
			}
		}
	})
	return reportCPU(b, start, ok)
}

// opensslOps signs and verifies with OpenSSL.
func opensslOps(priv *openssl.PrivateKey, pub *openssl.PublicKey) cryptoOps {
	return cryptoOps{sign: opensslSign(priv), verify: pub.Verify}
}

func opensslSign(k *openssl.PrivateKey) func([]byte) ([]byte, error) {
	return func(d []byte) ([]byte, error) { return k.Sign(nil, d, stdcrypto.SHA256) }
}

// BenchmarkSignVerify is the floor alone, one sign and one verify per
// operation, and BenchmarkAPIv3CallOnly the calls alone, without the floor
// measured around them: for instruction counts under callgrind, where the
// cost of one operation is the difference between two runs of different
// lengths divided by the difference in length (see docs/performance.md).
func BenchmarkSignVerify(b *testing.B) {
	key := testKey(b, 2048)
	run := func(b *testing.B, ops cryptoOps) {
		loop(b, func() error {
			digest := sha256.Sum256(benchMessage)
			sig, err := ops.sign(digest[:])
			if err == nil {
				err = ops.verify(digest[:], sig)
			}
			return err
		})
	}
	b.Run("crypto-rsa", func(b *testing.B) { run(b, rsaOps(key)) })
	b.Run("openssl", func(b *testing.B) {
		priv, pub := opensslKeys(b, key)
		run(b, opensslOps(priv, pub))
	})
}

func BenchmarkAPIv3CallOnly(b *testing.B) {
	srv := startBenchServer(b)
	key, err := crypto.ParsePrivateKey(srv.KeyPEM)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, signer stdcrypto.Signer, opensslVerify bool) {
		call := nativeCall(b, srv, signer, opensslVerify)
		loop(b, call)
	}
	b.Run("crypto-rsa", func(b *testing.B) { run(b, key, false) })
	b.Run("openssl", func(b *testing.B) {
		priv, _ := opensslKeys(b, key)
		run(b, priv, true)
	})
	b.Run("bare-openssl", func(b *testing.B) {
		call, _ := srv.bare(b, key)
		loop(b, call)
	})
}

// bare returns the bare call (bareCall) to s with OpenSSL keys, connected
// already, and its floor: the same library's sign plus verify with key.
func (s *benchServer) bare(b *testing.B, key *rsa.PrivateKey) (func() error, cryptoOps) {
	b.Helper()
	platform, err := crypto.ParseCertificate(s.PlatformCertPEM)
	if err != nil {
		b.Fatal(err)
	}
	priv, floorPub := opensslKeys(b, key)
	pub, err := openssl.NewPublicKey(platform.PublicKey.(*rsa.PublicKey))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { pub.Close() })
	call := s.bareCall(b, priv, pub)
	if err := call(); err != nil { // connect first
		b.Fatal(err)
	}
	return call, opensslOps(priv, floorPub)
}

// nativeCall returns one APIv3 call to srv, made by a client signing with
// signer (closed when b ends), connected already; with opensslVerify, the
// "verifier" step checks answers with OpenSSL.
func nativeCall(b *testing.B, srv *benchServer, signer stdcrypto.Signer, opensslVerify bool) func() error {
	b.Helper()
	cfg := srv.config()
	cfg.PrivateKey = signer
	client, err := wechatpay.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { client.Close() })
	if opensslVerify {
		keys, err := openssl.NewKeyStore(client.Keys())
		if err != nil {
			b.Fatal(err)
		}
		if err := client.Stack(wechatpay.APIv3).Replace("verifier", middleware.Verifier(keys)); err != nil {
			b.Fatal(err)
		}
	}
	call := func() error {
		res, err := client.Chain("v3/pay/transactions/native").Post(wechatpay.M{"json": wechatpay.M{
			"appid": "wxd678efh567hg6787", "mchid": srv.MchID, "description": "Image形象店-深圳腾大-QQ公仔",
			"out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
			"amount": wechatpay.M{"total": 100, "currency": "CNY"},
		}})
		if err == nil && res.Get("code_url").String() == "" {
			err = errors.New("no code_url in the answer")
		}
		return err
	}
	if err := call(); err != nil { // connect first
		b.Fatal(err)
	}
	return call
}
