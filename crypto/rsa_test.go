package crypto

import (
	stdcrypto "crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"testing"
)

// Values recorded from the Node SDK (wechatpay-axios-plugin 0.9.6) with the
// Node fixtures apiclient_key.pem / apiserver_cert.pem. PKCS#1 v1.5
// signatures are deterministic, so Go must produce them byte for byte.
const (
	nodeAPIv3Message = "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n"
	// Rsa.sign('', key)
	nodeSignEmpty = "Ry7lJdMIHAbOEc8Nlw/sMJoWLBjZbFVbxthL2SvwBP/fosK3xXORj5vG6Un3Rp1dPzVy7/dY+d9GA4rLmVzjnZFDPh9Uq7E7vyqFA+/ecHJ9oEk+Jmf0d0d5IgVX8ex3N5Xzv+GQUKlleyXqqvXdF7oalk23Vfx9zsnLweDrHs1akrcqtv6417mU6Ip/ovexyT16eFUgAaPkUUTr0DHkcyNafUA2Hr6j7YK//hTBXIzfBGcj5zCD2Nekzm+bYFdZQTgmAmNltyoETfFFG5WwvWOvaTNdlNQP7/G9zHCrc1BwH1OUfCb/rL5gh6O6BElJOPztjHi4N2hxYYaHLECR+g=="
	// Rsa.sign(nodeAPIv3Message, key)
	nodeSignAPIv3 = "u8uM2mC0zsTcBldpNkf9eIRFnxwxl9OBzFzrBp9C+ygDbqKfjfbr9GTZrvPw3wqpfhn7npKzSVHf4lbD9T3RZpwq8yGBJAtW3YNoB4WR6ieFAp9fNX8LbRTfcbqOrcX/JuG9bZ1cvlQr9BljgM474p2L6MAtULc1za3tCXI/SkssirhLqE9VH4LXClbussMImgsg0zUFHIWl8RIWkEfhKjDUNgZLyGnT+arHLJKf/2csGKE6fS0t0ofTbSwcaVgNbK3UySD7iORerwwdcYlGIVn1zKgIbLl3GM518roWPd59nNct0D3SXESsbpeyzuWT7kx9DPfp0f0UHJWdMKYCZw=="
	// Rsa.sign('hello wechatpay 你好 微信支付', key)
	nodeSignUTF8 = "Vo0US2QdKSQjPDjstgnmI6A/6aDgRq/1M1gxCYmAxEKhybOHXfS2bbcrvrydkGdQ4weQpOuh22tGp1Tat8PB80Lj0wF64W5NbSnpljzJQLJGyj5oEvXplrIJXAWNivHyYk0Rg5Jmc3X9/0bo5D2aXY4AYbW4lk0IeHoWplZa/DyweLT93kQmQAWRlpU7+nBcvIP/ZH06CKml4S/67BeUrpBf9k8/Age5qG9kZzena9PHK9UUzZ86Ud3EioS9MhW25uLaK3omMBv10bKnpjOUw0FRXBCtaQtkUWoTv84kigPt5qxbWnyFyHUw9n9qq+fPZsBrdqbd1OWDDz/ZPXtFDQ=="
	// Rsa.encrypt('hello wechatpay 你好 微信支付', apiserver_cert)
	nodeOAEP       = "GdSrGwC+w8BHScV4pLuylF1UNoq94i2hMOLZwNqaMassXIjUBwkBCJu5hhN6YyH7P25p3UmZDR1wLckEnd0kOv9GnRsMsRI3Udfz2anuXl0ADdr5+xDpHunZDWcOLIMTRNY8W60GY9wv7YLWujoDUmP0p9a+mYZlHCpXr+X4sqowBZm68C3xTyd5cy6No4GUj0845X7tIzcKcsAibwYx3QW2AQJMXqe+cZDJIS1f4Fsd37JW+WIm+RFmbCwb4AVC6JlwHzfwH4yQRuQaJ4nFnHlwGt6HGQyU5qRlrwkC7XyhLRIq+n4SPAuvdQYBdY/eeQAb5wTq2YWZwtW+bHYZ8w=="
	helloWeChatPay = "hello wechatpay 你好 微信支付"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		t.Fatal(err)
	}
	return b
}

// roundTrip runs the PHP suite's testEncrypt/testDecrypt/testSign/testVerify
// on one (plaintext, public key, private key) row.
func roundTrip(t *testing.T, plaintext []byte, pub *rsa.PublicKey, priv *rsa.PrivateKey) {
	t.Helper()
	ct, err := EncryptOAEP(pub, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if ct == string(plaintext) || !base64Pattern.MatchString(ct) {
		t.Fatalf("ciphertext %q is not base64", ct)
	}
	pt, err := DecryptOAEP(priv, ct)
	if err != nil || string(pt) != string(plaintext) {
		t.Fatalf("DecryptOAEP: %q, %v", pt, err)
	}
	sig, err := Sign(priv, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if sig == string(plaintext) || !base64Pattern.MatchString(sig) {
		t.Fatalf("signature %q is not base64", sig)
	}
	if err := Verify(pub, plaintext, sig); err != nil {
		t.Fatal(err)
	}
}

// TestRSAKeysProvider ports the PHP keysProvider: the explicit scheme rows,
// then every public source against every private source, each with random
// plaintext of the PHP lengths.
func TestRSAKeysProvider(t *testing.T) {
	pkcs1, pkcs8 := SchemePrivatePKCS1+bareBase64(t, "mock.pkcs1.key"), SchemePrivatePKCS8+bareBase64(t, "mock.pkcs8.key")
	spki, pubPKCS1 := SchemePublicSPKI+bareBase64(t, "mock.spki.pem"), SchemePublicPKCS1+bareBase64(t, "mock.pkcs1.pem")
	pkcs1Content := readFixture(t, "mock.pkcs1.pem")
	rows := []struct {
		n         int
		pub, priv string
	}{
		{8, spki, pkcs1}, {16, spki, pkcs8}, {24, pubPKCS1, pkcs1}, {32, pubPKCS1, pkcs8},
		{40, pkcs1Content, pkcs1}, {48, pkcs1Content, pkcs8},
		{64, SchemeFile + fixture("mock.spki.pem"), SchemeFile + fixture("mock.pkcs1.key")},
		{72, readFixture(t, "mock.spki.pem"), readFixture(t, "mock.pkcs1.key")},
	}
	for _, pub := range publicSources(t) {
		for _, priv := range privateSources(t) {
			rows = append(rows, struct {
				n         int
				pub, priv string
			}{56, pub, priv})
		}
	}
	for i, r := range rows {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			pub, err := LoadPublicKey(r.pub)
			if err != nil {
				t.Fatal(err)
			}
			priv, err := LoadPrivateKey(r.priv)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, randomBytes(t, r.n), pub, priv)
		})
	}
}

// TestRSAGeneratedKey ports the first PHP RsaTest, which generated a 2048-bit
// key at run time.
func TestRSAGeneratedKey(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, []byte(helloWeChatPay), &key.PublicKey, key)
	roundTrip(t, []byte("hello wechatpay"), &key.PublicKey, key)
}

// TestRSACrossPadding ports testCrossEncryptDecryptWithDifferentPadding: only
// OAEP to OAEP decrypts; there is no PKCS#1 v1.5 decryption at all.
func TestRSACrossPadding(t *testing.T) {
	priv := mustPrivate(t, "mock.pkcs8.key")
	pub := mustPublic(t, "mock.spki.pem")
	plaintext := randomBytes(t, 32)

	oaep, err := EncryptOAEP(pub, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := DecryptOAEP(priv, oaep); err != nil || string(pt) != string(plaintext) {
		t.Fatalf("OAEP -> OAEP: %v", err)
	}
	legacy, err := LegacyEncryptPKCS1v15(pub, plaintext)
	if err != nil {
		t.Fatal(err)
	}
	_, err = DecryptOAEP(priv, legacy)
	wantErr(t, err, ErrCiphertext, string(plaintext))

	// The legacy ciphertext is genuine PKCS#1 v1.5 (checked with the
	// standard library, which this package deliberately does not expose),
	// and OAEP ciphertext is not.
	raw, _ := base64.StdEncoding.DecodeString(legacy)
	if pt, err := rsa.DecryptPKCS1v15(nil, priv, raw); err != nil || string(pt) != string(plaintext) {
		t.Fatalf("PKCS1v15 -> PKCS1v15: %v", err)
	}
	raw, _ = base64.StdEncoding.DecodeString(oaep)
	if _, err := rsa.DecryptPKCS1v15(nil, priv, raw); err == nil {
		t.Fatal("OAEP ciphertext decrypted as PKCS#1 v1.5")
	}
}

// TestRSANode ports the Node rsa.test.js cases and checks the recorded Node
// signatures and ciphertext.
func TestRSANode(t *testing.T) {
	priv := mustPrivate(t, "apiclient_key.pem")
	privFromText, err := LoadPrivateKey(readFixture(t, "apiclient_key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	cert := mustPublic(t, "apiserver_cert.pem")
	certFromText, err := LoadPublicKey(readFixture(t, "apiserver_cert.pem"))
	if err != nil {
		t.Fatal(err)
	}

	// encrypt('' , cert) is a non-empty string; decrypt gives '' back.
	for _, pub := range []*rsa.PublicKey{cert, certFromText} {
		ct, err := EncryptOAEP(pub, nil)
		if err != nil || ct == "" {
			t.Fatalf("EncryptOAEP(''): %q, %v", ct, err)
		}
		for _, k := range []*rsa.PrivateKey{priv, privFromText} {
			if pt, err := DecryptOAEP(k, ct); err != nil || len(pt) != 0 {
				t.Fatalf("DecryptOAEP: %q, %v", pt, err)
			}
		}
	}
	// decrypt('', key) throws.
	_, err = DecryptOAEP(priv, "")
	wantErr(t, err, ErrCiphertext)
	// sign('', key) is a non-empty string; verify('', '', cert) is false;
	// verify('', sign(''), cert) is true.
	for _, k := range []*rsa.PrivateKey{priv, privFromText} {
		sig, err := Sign(k, nil)
		if err != nil || sig != nodeSignEmpty {
			t.Fatalf("Sign(''): %q, %v", sig, err)
		}
		for _, pub := range []*rsa.PublicKey{cert, certFromText} {
			if err := Verify(pub, []byte(""), sig); err != nil {
				t.Fatal(err)
			}
			wantErr(t, Verify(pub, []byte(""), ""), ErrVerification)
		}
	}
	for msg, want := range map[string]string{nodeAPIv3Message: nodeSignAPIv3, helloWeChatPay: nodeSignUTF8} {
		sig, err := Sign(priv, []byte(msg))
		if err != nil || sig != want {
			t.Fatalf("Sign(%q) = %q, %v; want the Node signature", msg, sig, err)
		}
		if err := Verify(cert, []byte(msg), want); err != nil {
			t.Fatal(err)
		}
	}
	if pt, err := DecryptOAEP(priv, nodeOAEP); err != nil || string(pt) != helloWeChatPay {
		t.Fatalf("DecryptOAEP(Node ciphertext) = %q, %v", pt, err)
	}
	// Missing keys: Node throws TypeError; here they are typed errors.
	_, err = Sign(nil, nil)
	wantErr(t, err, ErrInvalidKey)
	_, err = Sign((*rsa.PrivateKey)(nil), nil)
	wantErr(t, err, ErrInvalidKey)
	_, err = EncryptOAEP(nil, nil)
	wantErr(t, err, ErrInvalidKey)
	_, err = LegacyEncryptPKCS1v15(nil, nil)
	wantErr(t, err, ErrInvalidKey)
	_, err = DecryptOAEP(nil, nodeOAEP)
	wantErr(t, err, ErrInvalidKey)
	_, err = DecryptOAEP((*rsa.PrivateKey)(nil), nodeOAEP)
	wantErr(t, err, ErrInvalidKey)
	wantErr(t, Verify(nil, nil, nodeSignEmpty), ErrInvalidKey)
}

// opaqueSigner stands in for a KMS or HSM: it signs and decrypts without
// being an *rsa.PrivateKey.
type opaqueSigner struct{ k *rsa.PrivateKey }

func (s opaqueSigner) Public() stdcrypto.PublicKey { return s.k.Public() }
func (s opaqueSigner) Sign(r io.Reader, d []byte, o stdcrypto.SignerOpts) ([]byte, error) {
	return s.k.Sign(r, d, o)
}
func (s opaqueSigner) Decrypt(r io.Reader, c []byte, o stdcrypto.DecrypterOpts) ([]byte, error) {
	return s.k.Decrypt(r, c, o)
}

type failingSigner struct{ opaqueSigner }

func (failingSigner) Sign(io.Reader, []byte, stdcrypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("hsm: session closed")
}

func TestRSAOpaqueSigner(t *testing.T) {
	s := opaqueSigner{mustPrivate(t, "apiclient_key.pem")}
	sig, err := Sign(s, []byte(nodeAPIv3Message))
	if err != nil || sig != nodeSignAPIv3 {
		t.Fatalf("Sign via crypto.Signer: %q, %v", sig, err)
	}
	if pt, err := DecryptOAEP(s, nodeOAEP); err != nil || string(pt) != helloWeChatPay {
		t.Fatalf("DecryptOAEP via crypto.Decrypter: %q, %v", pt, err)
	}
	_, err = Sign(failingSigner{s}, nil)
	wantErr(t, err, ErrInvalidKey)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err = Sign(ec, nil)
	wantErr(t, err, ErrInvalidKey)
}

func TestRSAErrors(t *testing.T) {
	priv := mustPrivate(t, "apiclient_key.pem")
	pub := mustPublic(t, "apiserver_cert.pem")
	other := mustPublic(t, "mock.spki.pem")
	otherPriv := mustPrivate(t, "mock.pkcs8.key")
	secrets := []string{readFixture(t, "apiclient_key.pem"), helloWeChatPay}
	sig := []byte(nodeSignAPIv3)
	sig[10] ^= 1
	for name, tc := range map[string]struct {
		pub      *rsa.PublicKey
		msg, sig string
		sentinel error
	}{
		"wrong message":    {pub, nodeAPIv3Message + " ", nodeSignAPIv3, ErrVerification},
		"tampered":         {pub, nodeAPIv3Message, string(sig), ErrVerification},
		"wrong key":        {other, nodeAPIv3Message, nodeSignAPIv3, ErrVerification},
		"garbage base64":   {pub, nodeAPIv3Message, "%%%not base64", ErrVerification},
		"url-safe base64":  {pub, nodeAPIv3Message, "-_-_", ErrVerification},
		"truncated":        {pub, nodeAPIv3Message, nodeSignAPIv3[:100], ErrVerification},
		"unpadded":         {pub, nodeAPIv3Message, nodeSignAPIv3[:len(nodeSignAPIv3)-2], ErrVerification},
		"empty public key": {&rsa.PublicKey{}, nodeAPIv3Message, nodeSignAPIv3, ErrInvalidKey},
	} {
		err := Verify(tc.pub, []byte(tc.msg), tc.sig)
		wantErr(t, err, tc.sentinel, secrets...)
		t.Logf("%s: %v", name, err)
	}
	for name, ct := range map[string]string{
		"garbage":       "!!!",
		"wrong key":     nodeOAEP,
		"truncated":     nodeOAEP[:40],
		"bit flipped":   "H" + nodeOAEP[1:],
		"too long":      nodeOAEP + nodeOAEP,
		"empty decoded": "====",
	} {
		k := priv
		if name == "wrong key" {
			k = otherPriv
		}
		_, err := DecryptOAEP(k, ct)
		wantErr(t, err, ErrCiphertext, secrets...)
		t.Logf("%s: %v", name, err)
	}
	// OAEP/SHA-1 on 2048 bits holds at most 256-42 = 214 bytes; v1.5 245.
	if _, err := EncryptOAEP(pub, make([]byte, 214)); err != nil {
		t.Fatal(err)
	}
	_, err := EncryptOAEP(pub, make([]byte, 215))
	wantErr(t, err, ErrKeySize)
	if !errors.Is(err, rsa.ErrMessageTooLong) {
		t.Fatal("not rsa.ErrMessageTooLong")
	}
	t.Log(err)
	if _, err := LegacyEncryptPKCS1v15(pub, make([]byte, 245)); err != nil {
		t.Fatal(err)
	}
	_, err = LegacyEncryptPKCS1v15(pub, make([]byte, 246))
	wantErr(t, err, ErrKeySize)
	_, err = EncryptOAEP(&rsa.PublicKey{}, nil)
	wantErr(t, err, ErrInvalidKey)
	ec, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	_, err = DecryptOAEP(ecDecrypter{ec}, nodeOAEP)
	wantErr(t, err, ErrInvalidKey)
}

// ecDecrypter is a crypto.Decrypter whose key is not RSA.
type ecDecrypter struct{ *ecdsa.PrivateKey }

func (ecDecrypter) Decrypt(io.Reader, []byte, stdcrypto.DecrypterOpts) ([]byte, error) {
	return nil, errors.New("unreachable")
}

func BenchmarkSign(b *testing.B) {
	priv := mustPrivate(b, "apiclient_key.pem")
	msg := []byte(nodeAPIv3Message)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Sign(priv, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	pub := mustPublic(b, "apiserver_cert.pem")
	msg := []byte(nodeAPIv3Message)
	b.ReportAllocs()
	for b.Loop() {
		if err := Verify(pub, msg, nodeSignAPIv3); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncryptOAEP(b *testing.B) {
	pub := mustPublic(b, "apiserver_cert.pem")
	msg := []byte(helloWeChatPay)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncryptOAEP(pub, msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecryptOAEP(b *testing.B) {
	priv := mustPrivate(b, "apiclient_key.pem")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptOAEP(priv, nodeOAEP); err != nil {
			b.Fatal(err)
		}
	}
}
