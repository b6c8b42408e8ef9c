package openssl_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// testKeySizes are the sizes of the keys in testdata/.
var testKeySizes = []int{1024, 2048, 2050, 3072, 4096}

// testKey reads testdata/rsaBITS.pem.
func testKey(tb testing.TB, bits int) *rsa.PrivateKey {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "rsa"+strconv.Itoa(bits)+".pem"))
	if err != nil {
		tb.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		tb.Fatalf("rsa%d.pem: no PEM block", bits)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		tb.Fatal(err)
	}
	key, ok := k.(*rsa.PrivateKey)
	if !ok || key.N.BitLen() != bits {
		tb.Fatalf("rsa%d.pem: not an RSA-%d key", bits, bits)
	}
	return key
}
