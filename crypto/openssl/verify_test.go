//go:build openssl && cgo

package openssl_test

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"math/big"
	"strconv"
	"testing"

	"github.com/wechatpay-go/wechatpay/crypto/openssl"
)

func newPublicKey(t testing.TB, pub *rsa.PublicKey) *openssl.PublicKey {
	t.Helper()
	k, err := openssl.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	return k
}

// The DER prefixes of PKCS#1 v1.5 DigestInfo (RFC 8017, 9.2).
var (
	sha256Prefix       = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20}
	sha256PrefixNoNull = []byte{0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20}
	sha512OIDPrefix    = []byte{0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x20}
)

// rawSign applies the private key to em, a k-byte encoded message, with no
// padding: it forges signatures of well- and badly-formed encodings.
func rawSign(key *rsa.PrivateKey, em []byte) []byte {
	s := new(big.Int).Exp(new(big.Int).SetBytes(em), key.D, key.N)
	return s.FillBytes(make([]byte, (key.N.BitLen()+7)/8))
}

// encode builds 00 || bt || PS || 00 || T, k bytes long when PS fills the
// rest, with PS made of the byte ps.
func encode(k int, bt, ps byte, t []byte) []byte {
	em := make([]byte, k)
	em[1] = bt
	n := k - 3 - len(t)
	for i := range n {
		em[2+i] = ps
	}
	copy(em[3+n:], t)
	return em
}

func concat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// verifyCases returns signatures to check over digest: valid and damaged,
// and with forged, forged ones (slow to make: a raw RSA operation each).
func verifyCases(key, other *rsa.PrivateKey, digest []byte, forged bool) map[string][]byte {
	good, _ := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest)
	otherDigest := sha256.Sum256([]byte("another message"))
	ofOther, _ := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, otherDigest[:])
	byOther, _ := rsa.SignPKCS1v15(nil, other, stdcrypto.SHA256, digest)
	k := len(good)
	t := concat(sha256Prefix, digest)
	flip := func(i int) []byte {
		s := bytes.Clone(good)
		s[i] ^= 0x01
		return s
	}
	trailing := encode(k, 1, 0xff, concat(t, []byte{0, 0, 0, 0}))
	zeroInPS := encode(k, 1, 0xff, t)
	zeroInPS[5] = 0
	cases := map[string][]byte{
		"valid":               good,
		"first byte flipped":  flip(0),
		"middle byte flipped": flip(k / 2),
		"last byte flipped":   flip(k - 1),
		"truncated":           good[:k-1],
		"leading zero added":  concat([]byte{0}, good),
		"trailing zero added": concat(good, []byte{0}),
		"empty":               {},
		"all zeros":           make([]byte, k),
		"one":                 new(big.Int).SetInt64(1).FillBytes(make([]byte, k)),
		"modulus":             key.N.FillBytes(make([]byte, k)),
		"above modulus":       bytes.Repeat([]byte{0xff}, k),
		"signature + modulus": new(big.Int).Add(new(big.Int).SetBytes(good), key.N).FillBytes(make([]byte, k+1))[1:],
		"of another message":  ofOther,
		"by another key":      byOther,
	}
	if !forged {
		return cases
	}
	cases["forged valid"] = rawSign(key, encode(k, 1, 0xff, t))
	cases["block type 2"] = rawSign(key, encode(k, 2, 0xff, t))
	cases["block type 0"] = rawSign(key, encode(k, 0, 0xff, t))
	cases["padding not 0xff"] = rawSign(key, encode(k, 1, 0xfe, t))
	cases["zero inside padding"] = rawSign(key, zeroInPS)
	cases["DigestInfo without NULL"] = rawSign(key, encode(k, 1, 0xff, concat(sha256PrefixNoNull, digest)))
	cases["SHA-512 OID"] = rawSign(key, encode(k, 1, 0xff, concat(sha512OIDPrefix, digest)))
	cases["bare digest"] = rawSign(key, encode(k, 1, 0xff, digest))
	cases["trailing garbage"] = rawSign(key, trailing)
	cases["first byte 1"] = rawSign(key, concat([]byte{1}, encode(k, 1, 0xff, t)[1:]))
	return cases
}

func TestVerifyMatchesCryptoRSA(t *testing.T) {
	msgs := testMessages(t)[:20]
	for i, bits := range testKeySizes {
		t.Run("RSA-"+strconv.Itoa(bits), func(t *testing.T) {
			key := testKey(t, bits)
			other := testKey(t, testKeySizes[(i+1)%len(testKeySizes)])
			pub := newPublicKey(t, &key.PublicKey)
			for j, msg := range msgs {
				digest := sha256.Sum256(msg)
				for name, sig := range verifyCases(key, other, digest[:], j < 3) {
					want := rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, digest[:], sig)
					got := pub.Verify(digest[:], sig)
					gotMsg := pub.VerifyMessage(msg, sig)
					if (want == nil) != (got == nil) || (want == nil) != (gotMsg == nil) {
						t.Fatalf("message %d, %s: crypto/rsa says %v, Verify %v, VerifyMessage %v", j, name, want, got, gotMsg)
					}
					if got != nil && !errors.Is(got, rsa.ErrVerification) {
						t.Fatalf("message %d, %s: Verify error %v is not rsa.ErrVerification", j, name, got)
					}
					if name == "valid" && got != nil {
						t.Fatalf("message %d: a valid signature fails: %v", j, got)
					}
				}
			}
		})
	}
}

func TestVerifyDigestLength(t *testing.T) {
	key := testKey(t, 2048)
	pub := newPublicKey(t, &key.PublicKey)
	digest := sha256.Sum256([]byte("x"))
	sig, _ := rsa.SignPKCS1v15(nil, key, stdcrypto.SHA256, digest[:])
	for _, d := range [][]byte{nil, digest[:31], append(digest[:], 0)} {
		want := rsa.VerifyPKCS1v15(&key.PublicKey, stdcrypto.SHA256, d, sig)
		if got := pub.Verify(d, sig); (got == nil) != (want == nil) {
			t.Fatalf("%d-byte digest: crypto/rsa says %v, Verify %v", len(d), want, got)
		}
	}
}

func TestPublicKeyClose(t *testing.T) {
	key := testKey(t, 2048)
	pub, err := openssl.NewPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	if !pub.Key().Equal(&key.PublicKey) {
		t.Fatal("Key() differs")
	}
	pub.Close()
	pub.Close()
	if err := pub.VerifyMessage([]byte("x"), []byte("y")); !errors.Is(err, openssl.ErrClosed) {
		t.Fatalf("VerifyMessage after Close: %v", err)
	}
}

func TestNewPublicKeyRefusesBadKeys(t *testing.T) {
	for name, pub := range map[string]*rsa.PublicKey{
		"nil":        nil,
		"no modulus": {E: 65537},
		"negative":   {N: big.NewInt(-7), E: 65537},
		"exponent 0": {N: testKey(t, 2048).N, E: 0},
	} {
		if k, err := openssl.NewPublicKey(pub); err == nil {
			k.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}
