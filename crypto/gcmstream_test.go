package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"io"
	mrand "math/rand/v2"
	"testing"
)

// writeChunks writes msg to w in pieces of random sizes.
func writeChunks(t *testing.T, w io.Writer, msg []byte, r *mrand.Rand) {
	t.Helper()
	for len(msg) > 0 {
		n := min(len(msg), 1+r.IntN(40))
		if r.IntN(8) == 0 {
			n = min(len(msg), r.IntN(5000)+1)
		}
		if _, err := w.Write(msg[:n]); err != nil {
			t.Fatal(err)
		}
		msg = msg[n:]
	}
}

// The streaming decrypter opens what crypto/cipher's GCM seals, for nonces
// of every length, with and without associated data, whatever the pieces.
func TestGCMDecrypterMatchesCipher(t *testing.T) {
	r := mrand.New(mrand.NewPCG(1, 2))
	key := make([]byte, 32)
	for i := 0; i < 400; i++ {
		rand.Read(key)
		nonce := make([]byte, []int{12, 16, 1, 8, 32, 60}[i%6])
		rand.Read(nonce)
		aad := make([]byte, r.IntN(3)*r.IntN(40))
		rand.Read(aad)
		pt := make([]byte, []int{0, 1, 15, 16, 17, 31, 32, 33, 1000, 70000}[i%10]+r.IntN(3))
		rand.Read(pt)
		block, _ := aes.NewCipher(key)
		aead, _ := cipher.NewGCMWithNonceSize(block, len(nonce))
		msg := aead.Seal(nil, nonce, pt, aad)

		var out bytes.Buffer
		d, err := NewGCMDecrypter(&out, key, nonce, aad)
		if err != nil {
			t.Fatal(err)
		}
		writeChunks(t, d, msg, r)
		if err := d.Close(); err != nil {
			t.Fatalf("case %d (nonce %d, aad %d, %d bytes): %v", i, len(nonce), len(aad), len(pt), err)
		}
		if !bytes.Equal(out.Bytes(), pt) {
			t.Fatalf("case %d: the plaintext differs", i)
		}
		if _, err := d.Write([]byte{1}); err == nil {
			t.Fatal("a write after Close")
		}

		// Any flipped bit, a cut, or another key, fails Close.
		for _, bad := range [][]byte{flip(msg, r), msg[:len(msg)-1], append(bytes.Clone(msg), 0)} {
			d, _ := NewGCMDecrypter(io.Discard, key, nonce, aad)
			writeChunks(t, d, bad, r)
			if err := d.Close(); !errors.Is(err, ErrCiphertext) {
				t.Fatalf("case %d: an altered message: %v", i, err)
			}
		}
	}
}

func flip(msg []byte, r *mrand.Rand) []byte {
	bad := bytes.Clone(msg)
	i := r.IntN(len(bad))
	bad[i] ^= 1 << r.IntN(8)
	return bad
}

// A message shorter than its tag, or a bad key or nonce, is refused.
func TestGCMDecrypterErrors(t *testing.T) {
	key := make([]byte, 32)
	if _, err := NewGCMDecrypter(io.Discard, key[:16], []byte("n"), nil); !errors.Is(err, ErrKeySize) {
		t.Fatal(err)
	}
	if _, err := NewGCMDecrypter(io.Discard, key, nil, nil); !errors.Is(err, ErrNonce) {
		t.Fatal(err)
	}
	d, _ := NewGCMDecrypter(io.Discard, key, []byte("a8607ef79034c49c"), nil)
	d.Write(make([]byte, 15))
	if err := d.Close(); !errors.Is(err, ErrCiphertext) {
		t.Fatal(err)
	}
}

// The counter's low 32 bits wrap without carrying (inc32), as GCM wants
// and crypto/cipher's CTR does not: the keystream across the wrap is that
// of counter blocks made one by one.
func TestGCMDecrypterCounterWrap(t *testing.T) {
	key := make([]byte, 32)
	rand.Read(key)
	block, _ := aes.NewCipher(key)
	d := &GCMDecrypter{block: block, buf: make([]byte, 64), dst: io.Discard}
	rand.Read(d.counter[:])
	binary.BigEndian.PutUint32(d.counter[12:], 0xFFFFFFFD)
	start := d.counter
	d.startRun()
	var got bytes.Buffer
	d.dst = &got
	zeros := make([]byte, 6*gcmBlock)
	d.g.init([gcmBlock]byte{})
	if err := d.decrypt(zeros); err != nil {
		t.Fatal(err)
	}
	var want []byte
	c := start
	for range 6 {
		var ks [gcmBlock]byte
		block.Encrypt(ks[:], c[:])
		want = append(want, ks[:]...)
		inc32(&c)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatal("the keystream across the 32-bit wrap is not GCM's")
	}
}

// BenchmarkGCMDecrypter is the streaming decrypter's throughput;
// BenchmarkGCMOpen is crypto/cipher's, which needs the message in memory.
func BenchmarkGCMDecrypter(b *testing.B) {
	key, nonce := make([]byte, 32), []byte("a8607ef79034c49c")
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCMWithNonceSize(block, len(nonce))
	msg := aead.Seal(nil, nonce, make([]byte, 1<<20), nil)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		d, _ := NewGCMDecrypter(io.Discard, key, nonce, nil)
		for p := msg; len(p) > 0; p = p[min(len(p), 32<<10):] {
			d.Write(p[:min(len(p), 32<<10)])
		}
		if err := d.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGCMOpen(b *testing.B) {
	key, nonce := make([]byte, 32), []byte("a8607ef79034c49c")
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCMWithNonceSize(block, len(nonce))
	msg := aead.Seal(nil, nonce, make([]byte, 1<<20), nil)
	b.SetBytes(1 << 20)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := aead.Open(nil, nonce, msg, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzGCMDecrypter: whatever a server sends, in whatever pieces, the
// decrypter neither panics nor accepts it unless it is the sealed message;
// a sealed message of the fuzzed plaintext always opens to it.
func FuzzGCMDecrypter(f *testing.F) {
	f.Add([]byte("`2019-06-11 10:00:00,`4200000985202406011234567890"), []byte{}, uint8(7), false)
	f.Add([]byte{}, []byte("garbage that is not a message"), uint8(1), true)
	f.Add(bytes.Repeat([]byte{0}, 100), []byte{1, 2, 3}, uint8(16), true)
	key, nonce := bytes.Repeat([]byte{7}, 32), []byte("a8607ef79034c49c")
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCMWithNonceSize(block, len(nonce))
	f.Fuzz(func(t *testing.T, plain, raw []byte, piece uint8, hostile bool) {
		msg := aead.Seal(nil, nonce, plain, nil)
		if hostile {
			msg = raw
		}
		var out bytes.Buffer
		d, err := NewGCMDecrypter(&out, key, nonce, nil)
		if err != nil {
			t.Fatal(err)
		}
		step := int(piece%40) + 1
		for p := msg; len(p) > 0; p = p[min(len(p), step):] {
			if _, err := d.Write(p[:min(len(p), step)]); err != nil {
				t.Fatal(err)
			}
		}
		err = d.Close()
		_, openErr := aead.Open(nil, nonce, msg, nil)
		if (err == nil) != (openErr == nil) {
			t.Fatalf("the stream says %v, crypto/cipher says %v", err, openErr)
		}
		if err == nil && !hostile && !bytes.Equal(out.Bytes(), plain) {
			t.Fatal("the plaintext differs")
		}
	})
}
