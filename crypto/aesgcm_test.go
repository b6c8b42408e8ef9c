package crypto

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// nonceString mirrors the PHP Formatter::nonce: n random alphanumerics.
func nonceString(n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// The Node suite's fixed key and IV.
const (
	mockupKey = "0123456789abcdef0123456789abcdef"
	mockupIV  = "0123456789abcdef"
)

// A notification-shaped vector recorded from the Node SDK:
// AesGcm.encrypt(nodeGCMPlain, mockupKey, "fdasflkja484", "transaction").
const (
	nodeGCMPlain  = `{"mchid":"1230000109","out_trade_no":"1217752501201407033233368018","transaction_id":"1217752501201407033233368018","trade_state":"SUCCESS","amount":{"total":100,"currency":"CNY"}}`
	nodeGCMCipher = "DUcegK33A8MEOgdJt8PWwAdrzVDy3c3PSUd0ZmYkqr+HZBhZ2IJoK5vVPIeeibkKWLa2vkgxxAD48JLBdpvDHsAqXosogSt0OVAvHzhXWZF4tQWe/wsGj33oatnAXtDYUw6czBiM0j0YGzenNhcEzUWcZzwIxqlXyi3DdmpToYEWOqXExTILWhCt8HH85L3zMYWWdJBNKrJ2FmD/Cu2G2I7kwUmCSCyCYOsp1ucRLbUvaDVhxVrpYynO59Tzbrzhh23clw=="
)

// isGCMBase64 reports whether ct is canonical standard base64 of a
// plaintext of n bytes and its 16-byte tag. It stands for the PHP
// AesGcmTest BASE64_EXPRESSION, ^[a-zA-Z0-9][a-zA-Z0-9+/]*={0,2}$, which
// refuses a first character of '+' or '/' that base64 gives one
// ciphertext in 32, and says nothing of the length or the padding.
func isGCMBase64(ct string, n int) bool {
	b, err := base64.StdEncoding.Strict().DecodeString(ct)
	return err == nil && len(b) == n+16 && base64.StdEncoding.EncodeToString(b) == ct
}

// TestAESGCMPHP ports AesGcmTest: random 32-byte key and 16-byte IV, with and
// without random associated data.
func TestAESGCMPHP(t *testing.T) {
	for name, aad := range map[string]string{"random key and iv": "", "random key, iv and aad": nonceString(16)} {
		t.Run(name, func(t *testing.T) {
			key, iv := []byte(nonceString(32)), []byte(nonceString(16))
			ct, err := EncryptAESGCM(key, iv, []byte(helloWeChatPay), []byte(aad))
			if err != nil {
				t.Fatal(err)
			}
			if ct == helloWeChatPay || !isGCMBase64(ct, len(helloWeChatPay)) {
				t.Fatalf("ciphertext %q", ct)
			}
			pt, err := DecryptAESGCM(key, iv, ct, []byte(aad))
			if err != nil || string(pt) != helloWeChatPay {
				t.Fatalf("%q, %v", pt, err)
			}
		})
	}
}

// TestAESGCMNode ports the fixed vectors of aes.test.js and checks a 12-byte
// nonce vector recorded from the Node SDK.
func TestAESGCMNode(t *testing.T) {
	for _, tc := range []struct{ key, iv, plain, aad, cipher string }{
		{mockupKey, mockupIV, "", "", "GvpmmdtYwexXIPhySs9Tlg=="},
		{mockupKey, mockupIV, "hello", "world", "APoZlYpivU3HjbAiB4CvW1rAFr8J"},
		{mockupKey, "fdasflkja484", nodeGCMPlain, "transaction", nodeGCMCipher},
	} {
		ct, err := EncryptAESGCM([]byte(tc.key), []byte(tc.iv), []byte(tc.plain), []byte(tc.aad))
		if err != nil || ct != tc.cipher {
			t.Fatalf("EncryptAESGCM(%q) = %q, %v; want %q", tc.plain, ct, err, tc.cipher)
		}
		pt, err := DecryptAESGCM([]byte(tc.key), []byte(tc.iv), tc.cipher, []byte(tc.aad))
		if err != nil || string(pt) != tc.plain {
			t.Fatalf("DecryptAESGCM(%q) = %q, %v", tc.cipher, pt, err)
		}
	}
	// decrypt(iv, key, '') fails: "Invalid authentication tag length: 0".
	_, err := DecryptAESGCM([]byte(mockupKey), []byte(mockupIV), "", nil)
	wantErr(t, err, ErrCiphertext)
	// Invalid key length / invalid iv.
	_, err = EncryptAESGCM(nil, []byte(mockupIV), nil, nil)
	wantErr(t, err, ErrKeySize)
	_, err = DecryptAESGCM(nil, []byte(mockupIV), "GvpmmdtYwexXIPhySs9Tlg==", nil)
	wantErr(t, err, ErrKeySize)
	_, err = EncryptAESGCM([]byte(mockupKey), nil, nil, nil)
	wantErr(t, err, ErrNonce)
	_, err = DecryptAESGCM([]byte(mockupKey), nil, "GvpmmdtYwexXIPhySs9Tlg==", nil)
	wantErr(t, err, ErrNonce)
}

func TestAESGCMErrors(t *testing.T) {
	key := []byte("Q8mXrT2vL9pWc4nB7kJ1sD6fH3gY5zA0") // a made-up APIv3 key
	nonce := []byte("fdasflkja484")
	ct, err := EncryptAESGCM(key, nonce, []byte(nodeGCMPlain), []byte("transaction"))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(ct)
	flip := func(i int) string {
		b := append([]byte(nil), raw...)
		b[i] ^= 0x01
		return base64.StdEncoding.EncodeToString(b)
	}
	secrets := []string{string(key), nodeGCMPlain, "1217752501201407033233368018"}
	for _, tc := range []struct {
		name        string
		key, nonce  []byte
		ct          string
		aad         string
		sentinel    error
		mentionSize string
	}{
		{"31-byte key", key[:31], nonce, ct, "transaction", ErrKeySize, "got 31 bytes"},
		{"33-byte key", append(append([]byte(nil), key...), 'x'), nonce, ct, "transaction", ErrKeySize, "got 33 bytes"},
		{"16-byte key", key[:16], nonce, ct, "transaction", ErrKeySize, "got 16 bytes"},
		{"empty nonce", key, nil, ct, "transaction", ErrNonce, ""},
		{"garbage base64", key, nonce, "not base64!!", "transaction", ErrCiphertext, ""},
		{"empty ciphertext", key, nonce, "", "transaction", ErrCiphertext, "0 bytes"},
		{"shorter than the tag", key, nonce, base64.StdEncoding.EncodeToString(raw[:15]), "transaction", ErrCiphertext, "15 bytes"},
		{"only a tag", key, nonce, base64.StdEncoding.EncodeToString(raw[len(raw)-16:]), "transaction", ErrCiphertext, ""},
		{"wrong tag", key, nonce, flip(len(raw) - 1), "transaction", ErrCiphertext, ""},
		{"altered body", key, nonce, flip(3), "transaction", ErrCiphertext, ""},
		{"wrong aad", key, nonce, ct, "certificate", ErrCiphertext, ""},
		{"missing aad", key, nonce, ct, "", ErrCiphertext, ""},
		{"wrong nonce", key, []byte("fdasflkja485"), ct, "transaction", ErrCiphertext, ""},
		{"wrong key", []byte(strings.ToUpper(string(key))), nonce, ct, "transaction", ErrCiphertext, ""},
		{"truncated", key, nonce, ct[:len(ct)-8], "transaction", ErrCiphertext, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := DecryptAESGCM(tc.key, tc.nonce, tc.ct, []byte(tc.aad))
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
			wantErr(t, err, tc.sentinel, secrets...)
			if !strings.Contains(err.Error(), tc.mentionSize) {
				t.Fatalf("%q does not mention %q", err, tc.mentionSize)
			}
			t.Log(err)
		})
	}
}

// FuzzDecryptAESGCM: any key, nonce, ciphertext and aad give a result or a
// typed error, never a panic; what encrypts decrypts back.
func FuzzDecryptAESGCM(f *testing.F) {
	f.Add([]byte(mockupKey), []byte(mockupIV), "GvpmmdtYwexXIPhySs9Tlg==", []byte(""))
	f.Add([]byte(mockupKey), []byte(mockupIV), "APoZlYpivU3HjbAiB4CvW1rAFr8J", []byte("world"))
	f.Add([]byte(mockupKey), []byte("fdasflkja484"), nodeGCMCipher, []byte("transaction"))
	f.Add([]byte(mockupKey[:31]), []byte("x"), "AAAA", []byte(nil))
	f.Fuzz(func(t *testing.T, key, nonce []byte, ct string, aad []byte) {
		pt, err := DecryptAESGCM(key, nonce, ct, aad)
		if err != nil {
			if !errors.Is(err, ErrKeySize) && !errors.Is(err, ErrNonce) && !errors.Is(err, ErrCiphertext) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := EncryptAESGCM(key, nonce, pt, aad)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(ct)
		if again != base64.StdEncoding.EncodeToString(raw) {
			t.Fatal("re-encryption differs")
		}
	})
}

func BenchmarkDecryptAESGCM(b *testing.B) {
	key, nonce, aad := []byte(mockupKey), []byte("fdasflkja484"), []byte("transaction")
	plain := []byte(strings.Repeat(nodeGCMPlain, 6)[:1024]) // a ~1 KiB notification resource
	ct, err := EncryptAESGCM(key, nonce, plain, aad)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(plain)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptAESGCM(key, nonce, ct, aad); err != nil {
			b.Fatal(err)
		}
	}
}
