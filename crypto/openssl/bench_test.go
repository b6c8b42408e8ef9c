package openssl_test

import (
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/crypto/openssl"
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

// benchMessage is a typical APIv3 string to sign.
var benchMessage = []byte("POST\n/v3/pay/transactions/native\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n" +
	`{"appid":"wxd678efh567hg6787","mchid":"1230000109","description":"Image形象店-深圳腾大-QQ公仔","out_trade_no":"1217752501201407033233368018","notify_url":"https://www.weixin.qq.com/wxpay/pay.php","amount":{"total":100,"currency":"CNY"}}` + "\n")

// loop runs op b.N times and reports its CPU time per run.
func loop(b *testing.B, op func() error) {
	b.ReportAllocs()
	start, ok := processCPU()
	for b.Loop() {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	if end, _ := processCPU(); ok {
		b.ReportMetric(perOp(end-start, b.N), "cpu-µs/op")
	}
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

// floorCPU measures crypto/rsa's sign plus verify of a 2048-bit key, in CPU
// time per pair: what an APIv3 call cannot cost less than in pure Go.
func floorCPU(b *testing.B, key *rsa.PrivateKey) (time.Duration, bool) {
	const n = 200
	start, ok := processCPU()
	for range n {
		digest := sha256.Sum256(benchMessage)
		sig, err := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest[:])
		if err == nil {
			err = rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, digest[:], sig)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	end, _ := processCPU()
	return (end - start) / n, ok
}

func BenchmarkAPIv3Call(b *testing.B) {
	srv := startBenchServer(b)
	key, err := crypto.ParsePrivateKey(srv.KeyPEM)
	if err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, signer stdcrypto.Signer) {
		cfg := srv.config()
		cfg.PrivateKey = signer
		client, err := wechatpay.New(cfg)
		if err != nil {
			b.Fatal(err)
		}
		defer client.Close()
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
		floor, floorOK := floorCPU(b, key)
		serverStart, serverOK := srv.cpuTime()
		loop(b, call)
		if serverEnd, _ := srv.cpuTime(); serverOK {
			b.ReportMetric(perOp(serverEnd-serverStart, b.N), "server-cpu-µs/op")
		}
		if floorOK {
			b.ReportMetric(float64(floor.Microseconds()), "floor-cpu-µs")
		}
	}
	b.Run("crypto-rsa", func(b *testing.B) { run(b, key) })
	b.Run("openssl", func(b *testing.B) {
		priv, _ := opensslKeys(b, key)
		run(b, priv)
	})
}
