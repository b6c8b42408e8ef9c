package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"io"
)

// GCMDecrypter decrypts one AES-256-GCM message, ciphertext followed by
// its 16-byte tag, as it streams through, in constant memory: the form of
// WeChat Pay's encrypted bill files (加密账单), which may be gigabytes long.
// crypto/cipher's GCM opens a message only whole, in memory.
//
// Write takes the message in pieces of any size and writes the plaintext
// to the destination as it goes, holding back only the last 16 bytes
// received (they may be the tag). Close checks the tag. So the destination
// receives plaintext before it is authenticated: keep it provisional (a
// temporary file) until Close returns nil, and discard it otherwise.
//
// The counter mode and GHASH follow NIST SP 800-38D; GHASH is computed
// here, with 8-bit tables, as crypto/cipher does not expose it. Its table
// look-ups are not constant-time, which matters only to an attacker able
// to time this process's memory accesses.
type GCMDecrypter struct {
	dst     io.Writer
	block   cipher.Block
	ctr     cipher.Stream
	counter [gcmBlock]byte // the counter block the current CTR stream started at
	runEnd  uint64         // ciphertext offset where the counter's low 32 bits wrap
	tagMask [gcmBlock]byte // E(K, J0)
	g       ghash
	held    []byte // the last bytes received, up to 16: maybe the tag
	n       uint64 // ciphertext bytes decrypted
	aadLen  uint64
	buf     []byte
	err     error
}

const (
	gcmBlock = 16
	// gcmMaxCiphertext is GCM's bound on one message: 2^32-2 blocks.
	gcmMaxCiphertext = (1<<32 - 2) * gcmBlock
)

// NewGCMDecrypter returns a decrypter of one message under the 32-byte key
// and nonce (of any non-zero length; WeChat Pay's bills have 16-byte
// nonces), authenticated with aad, writing the plaintext to dst.
func NewGCMDecrypter(dst io.Writer, key, nonce, aad []byte) (*GCMDecrypter, error) {
	if len(key) != 32 {
		return nil, wrapf(ErrKeySize, "AES-256-GCM needs a 32-byte key, got %d bytes", len(key))
	}
	if len(nonce) == 0 {
		return nil, wrap(ErrNonce, "empty AES-GCM nonce")
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, wrap(ErrKeySize, err.Error(), err)
	}
	d := &GCMDecrypter{dst: dst, block: block, held: make([]byte, 0, 2*gcmBlock), buf: make([]byte, 32<<10)}
	var h [gcmBlock]byte
	block.Encrypt(h[:], h[:])
	d.g.init(h)

	// J0: the nonce and a counter of 1, or GHASH of a nonce of another length.
	var j0 [gcmBlock]byte
	if len(nonce) == 12 {
		copy(j0[:], nonce)
		j0[gcmBlock-1] = 1
	} else {
		var n ghash
		n.table = d.g.table
		n.update(nonce)
		n.pad()
		var lens [gcmBlock]byte
		binary.BigEndian.PutUint64(lens[8:], uint64(len(nonce))*8)
		n.update(lens[:])
		j0 = n.sum()
	}
	block.Encrypt(d.tagMask[:], j0[:])
	d.counter = j0
	inc32(&d.counter)
	d.startRun()

	d.g.update(aad)
	d.g.pad()
	d.aadLen = uint64(len(aad))
	return d, nil
}

// startRun begins the CTR keystream at d.counter, up to where its low 32
// bits wrap: GCM increments only those (inc32), crypto/cipher's CTR the
// whole block.
func (d *GCMDecrypter) startRun() {
	d.ctr = cipher.NewCTR(d.block, d.counter[:])
	left := uint64(1<<32) - uint64(binary.BigEndian.Uint32(d.counter[12:]))
	d.runEnd = d.n + left*gcmBlock
}

// inc32 adds one to the low 32 bits of a counter block, modulo 2^32.
func inc32(b *[gcmBlock]byte) {
	binary.BigEndian.PutUint32(b[12:], binary.BigEndian.Uint32(b[12:])+1)
}

// Write decrypts the next piece of the message.
func (d *GCMDecrypter) Write(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n := len(p)
	// All but the last 16 bytes received are ciphertext.
	release := len(d.held) + len(p) - gcmBlock
	if release > 0 {
		fromHeld := min(release, len(d.held))
		if err := d.decrypt(d.held[:fromHeld]); err != nil {
			return 0, err
		}
		d.held = append(d.held[:0], d.held[fromHeld:]...)
		if err := d.decrypt(p[:release-fromHeld]); err != nil {
			return 0, err
		}
		p = p[release-fromHeld:]
	}
	d.held = append(d.held, p...)
	return n, nil
}

// decrypt authenticates and decrypts ciphertext, and writes it on.
func (d *GCMDecrypter) decrypt(c []byte) error {
	if d.n+uint64(len(c)) > gcmMaxCiphertext {
		d.err = wrap(ErrCiphertext, "the AES-GCM message is longer than GCM allows")
		return d.err
	}
	d.g.update(c)
	for len(c) > 0 {
		chunk := c[:min(len(c), len(d.buf))]
		if left := d.runEnd - d.n; uint64(len(chunk)) > left {
			chunk = chunk[:left]
		}
		out := d.buf[:len(chunk)]
		d.ctr.XORKeyStream(out, chunk)
		d.n += uint64(len(chunk))
		c = c[len(chunk):]
		if d.n == d.runEnd {
			binary.BigEndian.PutUint32(d.counter[12:], 0) // the low 32 bits wrapped
			d.startRun()
		}
		if _, err := d.dst.Write(out); err != nil {
			d.err = err
			return err
		}
	}
	return nil
}

// Close checks the tag: the message is authentic when it returns nil.
func (d *GCMDecrypter) Close() error {
	if d.err != nil {
		return d.err
	}
	if len(d.held) < gcmBlock {
		d.err = wrapf(ErrCiphertext, "the AES-GCM message ended after %d bytes, before its 16-byte tag: it was cut short", d.n+uint64(len(d.held)))
		return d.err
	}
	d.g.pad()
	var lens [gcmBlock]byte
	binary.BigEndian.PutUint64(lens[:8], d.aadLen*8)
	binary.BigEndian.PutUint64(lens[8:], d.n*8)
	d.g.update(lens[:])
	tag := d.g.sum()
	subtle.XORBytes(tag[:], tag[:], d.tagMask[:])
	if subtle.ConstantTimeCompare(tag[:], d.held) != 1 {
		d.err = wrap(ErrCiphertext, "AES-GCM authentication failed: wrong key or nonce, or the message was altered or cut short")
		return d.err
	}
	d.err = errClosed
	return nil
}

// errClosed fails what is written after Close.
var errClosed = wrap(ErrCiphertext, "the AES-GCM message was closed")

// ghash is GHASH (NIST SP 800-38D §6.4) over a stream of bytes.
//
// A field element is held as two 64-bit words, hi the first 8 bytes of
// its block; the coefficient of x^0 is the highest bit of hi, so that
// multiplying by x shifts right. table[b] is H times the element whose
// first byte is b; reduce[b] is what x^128…x^135 reduce to when the last
// byte b is shifted out by a multiplication by x^8.
type ghash struct {
	table   *[256][2]uint64
	y       [2]uint64
	partial [gcmBlock]byte
	np      int // bytes in partial
}

var reduce8 = func() (r [256]uint16) {
	for b := range r {
		e := [2]uint64{0, uint64(b)}
		for range 8 {
			e = mulX(e)
		}
		r[b] = uint16(e[0] >> 48)
	}
	return r
}()

// mulX multiplies by x: a shift towards the low bits, reduced by
// x^128 = x^7 + x^2 + x + 1 (0xE1 in the first byte).
func mulX(e [2]uint64) [2]uint64 {
	carry := e[1] & 1
	e[1] = e[1]>>1 | e[0]<<63
	e[0] >>= 1
	if carry != 0 {
		e[0] ^= 0xE1 << 56
	}
	return e
}

func (g *ghash) init(h [gcmBlock]byte) {
	g.table = new([256][2]uint64)
	e := [2]uint64{binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint64(h[8:])}
	for bit := 0x80; bit > 0; bit >>= 1 {
		g.table[bit] = e // H·x^i for the bit of x^i
		e = mulX(e)
	}
	for b := 1; b < 256; b++ {
		if low := b & -b; low != b {
			g.table[b][0] = g.table[low][0] ^ g.table[b^low][0]
			g.table[b][1] = g.table[low][1] ^ g.table[b^low][1]
		}
	}
}

// mulH sets g.y to g.y·H.
func (g *ghash) mulH() {
	hi, lo := g.y[0], g.y[1]
	t := &g.table[lo&0xff]
	zh, zl := t[0], t[1]
	for k := 14; k >= 0; k-- {
		// z·x^8, then + table[byte k of y].
		out := zl & 0xff
		zl = zl>>8 | zh<<56
		zh = zh>>8 ^ uint64(reduce8[out])<<48
		var b uint64
		if k >= 8 {
			b = lo >> (8 * (15 - k)) & 0xff
		} else {
			b = hi >> (8 * (7 - k)) & 0xff
		}
		zh ^= g.table[b][0]
		zl ^= g.table[b][1]
	}
	g.y = [2]uint64{zh, zl}
}

// update adds bytes to the hash; a block is hashed once complete.
func (g *ghash) update(p []byte) {
	if g.np > 0 {
		k := copy(g.partial[g.np:], p)
		g.np += k
		p = p[k:]
		if g.np < gcmBlock {
			return
		}
		g.block(g.partial[:])
		g.np = 0
	}
	for len(p) >= gcmBlock {
		g.block(p[:gcmBlock])
		p = p[gcmBlock:]
	}
	g.np = copy(g.partial[:], p)
}

func (g *ghash) block(b []byte) {
	g.y[0] ^= binary.BigEndian.Uint64(b[:8])
	g.y[1] ^= binary.BigEndian.Uint64(b[8:])
	g.mulH()
}

// pad completes a partial block with zeros.
func (g *ghash) pad() {
	if g.np > 0 {
		clear(g.partial[g.np:])
		g.block(g.partial[:])
		g.np = 0
	}
}

func (g *ghash) sum() (out [gcmBlock]byte) {
	binary.BigEndian.PutUint64(out[:8], g.y[0])
	binary.BigEndian.PutUint64(out[8:], g.y[1])
	return out
}
