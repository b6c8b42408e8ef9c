package crypto

import (
	"crypto/aes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// APIv2 values: the key of the official signing example, and req_info of the
// PHP suite's refund.notification.req_info.sample.xml encrypted by the Node
// SDK (AesEcb.encrypt(xml, Hash.md5(apiv2Key))).
const (
	apiv2Key       = "192006250b4c09247ec02edce69f6a2d"
	apiv2ECBKey    = "d96eb16afdd491fa1e705096edbc2205"
	nodeReqInfoECB = "4gS8kbcHysCW7bHqyEU0M4GTNkgJQP6/zKHbA/E3CvwLlNgCKUkGRy0OpONZjd4saggSnB6Fr7dHRYn6tvu8XDRU6t9IC3GuUKHs3SXmFKkm5cy3YR0oWIZFU4C5LV9LU7U3hwvUSZNx1QcFQXX9yZz68Wq8pwf/DeZ6iOXy/XRulylo75C7n0p3dMm/yJamZ44ir2iwWwEis3Tiif9Y6foLxrFA+fESQK1aH/OEZhIrJPIlnrtoxGJVJfoWAOYrC13a52BaR7CHKmNhAtw60n+XBUPLx5VzwpHKf3zZB1EpCngiVGcxmEAy3I59wotsScP4iaUeObWqPs7RYdQCiFQ9oRo4/c6bUWocW6HfOJGyWXj3VNfZtjTp1J6R05bP/1PCNV9FIMlt+owfcjTPO4pmRx0SpuKPy7j80APUCyC4g/0FU2ppbw/jN3faXAOV/1+Vl5vrDWxg2hiWm9JCttJ5kAHD/9XB6hfM0BH4iwf/Z/FZO+ECvO2A9buqnpCeOYWsOZNN1Z2Ow9kfJXhiDs/N0UICa2lodyl44nBrbP3amju/Zm6yyyFr74jl2GUsGO3PBrqfP1mbX96WiG09BcjQp1PAw40kfw32o7LW8ZT7DakPEGf0Khhuy+xbdusziU/CihrSEIUJP2qlK2/WrM3MtKE7qMqGBMDTG/n/BB1B82zfpNEh1py0CKTS+ezCKQp4IlRnMZhAMtyOfcKLbMEwOF1u3TdfNh+GSXPbEdydvKTcrMddQ5bbUosAT0d+dcPSPlM8Ckq6OPWJfyaySg8x1PM39psr2UqhJGFQ/kcDLzCYt1gVX+qjOdMC0v0IBG+YszRCIvJkNGues9wip94bkBWQeHdtuES+XZS9wIR0jwIA5G+mJJD3tRW/JpCXeIVgW84XStyaniaekKdo/Q6lkmNwtztmzB0Ub6ct/rQPMdTzN/abK9lKoSRhUP5Hq3yjxpWFegmV3TtECOaAtSj8cubVTONJL2m2vzF7RpOCXbPq7TuRyVqYF1fTBJH50z8YV7B5zZ5f1JU2tCMvRaIe1jZ0yyZLytG/dONZ+eep4/arW1IeJs8Sq12CiJFB"
)

// TestAESECBPHP ports AesEcbTest's phrasesDataProvider.
func TestAESECBPHP(t *testing.T) {
	for _, tc := range []struct{ name, plain, key, want string }{
		{"fixed plaintext and key", "hello", mockupKey, "pZwJZBLuy3mDACEQT4YTBw=="},
		{"random key", helloWeChatPay, nonceString(32), ""},
		{"empty text with random key", "", nonceString(32), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ct, err := EncryptAESECB([]byte(tc.key), []byte(tc.plain))
			if err != nil || ct == "" || !base64Pattern.MatchString(ct) {
				t.Fatalf("%q, %v", ct, err)
			}
			if tc.want != "" && ct != tc.want {
				t.Fatalf("got %q, want %q", ct, tc.want)
			}
			pt, err := DecryptAESECB([]byte(tc.key), ct)
			if err != nil || string(pt) != tc.plain {
				t.Fatalf("%q, %v", pt, err)
			}
		})
	}
}

// TestAESECBNode covers aes.test.js and vectors recorded from the Node SDK.
func TestAESECBNode(t *testing.T) {
	if got := string(ECBKeyFromAPIv2Key([]byte(apiv2Key))); got != apiv2ECBKey {
		t.Fatalf("ECBKeyFromAPIv2Key = %s", got)
	}
	xml := readFixture(t, "refund.notification.req_info.sample.xml")
	for _, tc := range []struct{ key, plain, cipher string }{
		{apiv2ECBKey, xml, nodeReqInfoECB},
		{mockupKey, "hello", "pZwJZBLuy3mDACEQT4YTBw=="},
		{mockupKey, "0123456789abcde", "SHck95YBEjkyL9B3io3c4A=="},
	} {
		ct, err := EncryptAESECB([]byte(tc.key), []byte(tc.plain))
		if err != nil || ct != tc.cipher {
			t.Fatalf("EncryptAESECB(%.20q) = %.40q, %v", tc.plain, ct, err)
		}
		pt, err := DecryptAESECB([]byte(tc.key), tc.cipher)
		if err != nil || string(pt) != tc.plain {
			t.Fatalf("DecryptAESECB: %.40q, %v", pt, err)
		}
	}
	if pt, _ := DecryptAESECB(ECBKeyFromAPIv2Key([]byte(apiv2Key)), nodeReqInfoECB); !strings.Contains(string(pt), "<refund_recv_accout><![CDATA[支付用户零钱]]></refund_recv_accout>") {
		t.Fatal("req_info did not decrypt to the sample")
	}

	// Deliberate difference: Node skips the padding block when the plaintext
	// fills whole blocks, so its encrypt('') is '' and a 16-byte plaintext
	// gives one block. OpenSSL (PHP, WeChat Pay) and this package always pad.
	ct, err := EncryptAESECB([]byte(mockupKey), nil)
	if err != nil || len(ct) != 24 {
		t.Fatalf("EncryptAESECB('') = %q, %v; want one padding block", ct, err)
	}
	const node16 = "+DyaYNwM25ghn3nW1dsWNQ==" // Node: AesEcb.encrypt('0123456789abcdef', mockupKey)
	ct, err = EncryptAESECB([]byte(mockupKey), []byte("0123456789abcdef"))
	if err != nil || !strings.HasPrefix(ct, node16[:21]) || len(ct) != 44 {
		t.Fatalf("EncryptAESECB(16 bytes) = %q, %v", ct, err)
	}
	_, err = DecryptAESECB([]byte(mockupKey), node16)
	wantErr(t, err, ErrPadding)

	// decrypt('', key) throws; invalid key lengths throw.
	_, err = DecryptAESECB([]byte(mockupKey), "")
	wantErr(t, err, ErrCiphertext)
	_, err = EncryptAESECB(nil, nil)
	wantErr(t, err, ErrKeySize)
	_, err = DecryptAESECB(nil, "pZwJZBLuy3mDACEQT4YTBw==")
	wantErr(t, err, ErrKeySize)
}

// rawECB encrypts whole blocks without padding, to craft bad padding.
func rawECB(t *testing.T, key []byte, blocks []byte) string {
	t.Helper()
	c, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, len(blocks))
	for i := 0; i < len(blocks); i += 16 {
		c.Encrypt(out[i:i+16], blocks[i:i+16])
	}
	return base64.StdEncoding.EncodeToString(out)
}

func TestAESECBErrors(t *testing.T) {
	key := ECBKeyFromAPIv2Key([]byte(apiv2Key))
	secrets := []string{apiv2Key, string(key), "131811191610442717309"}
	block := func(tail ...byte) []byte {
		b := []byte("0123456789abcdef")
		copy(b[16-len(tail):], tail)
		return b
	}
	full := make([]byte, 16)
	for i := range full {
		full[i] = 16
	}
	if pt, err := DecryptAESECB(key, rawECB(t, key, full)); err != nil || len(pt) != 0 {
		t.Fatalf("a full padding block: %q, %v", pt, err)
	}
	for _, tc := range []struct {
		name     string
		key      []byte
		ct       string
		sentinel error
	}{
		{"31-byte key", key[:31], nodeReqInfoECB, ErrKeySize},
		{"APIv2 key used directly", []byte(apiv2Key + "x"), nodeReqInfoECB, ErrKeySize},
		{"wrong key", []byte(mockupKey), nodeReqInfoECB, ErrPadding},
		{"garbage base64", key, "****", ErrCiphertext},
		{"not whole blocks", key, base64.StdEncoding.EncodeToString(make([]byte, 20)), ErrCiphertext},
		{"truncated", key, nodeReqInfoECB[:len(nodeReqInfoECB)-4], ErrCiphertext},
		{"padding byte 0", key, rawECB(t, key, block(0)), ErrPadding},
		{"padding byte 17", key, rawECB(t, key, block(17)), ErrPadding},
		{"padding byte 0xff", key, rawECB(t, key, block(0xff)), ErrPadding},
		{"inconsistent padding", key, rawECB(t, key, block(3, 2, 3)), ErrPadding},
		{"inconsistent full block", key, rawECB(t, key, append(block(1), 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 15, 16)), ErrPadding},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pt, err := DecryptAESECB(tc.key, tc.ct)
			if pt != nil {
				t.Fatal("plaintext returned with an error")
			}
			wantErr(t, err, tc.sentinel, secrets...)
			t.Log(err)
		})
	}
	// A valid short padding still decrypts.
	if pt, err := DecryptAESECB(key, rawECB(t, key, block(2, 2))); err != nil || string(pt) != "0123456789abcd" {
		t.Fatalf("%q, %v", pt, err)
	}
}

// FuzzDecryptAESECB: no panic, typed errors, and re-encryption matches.
func FuzzDecryptAESECB(f *testing.F) {
	f.Add([]byte(apiv2ECBKey), nodeReqInfoECB)
	f.Add([]byte(mockupKey), "pZwJZBLuy3mDACEQT4YTBw==")
	f.Add([]byte(mockupKey), "+DyaYNwM25ghn3nW1dsWNQ==")
	f.Add([]byte(mockupKey), "")
	f.Add([]byte("short"), "AAAA")
	f.Fuzz(func(t *testing.T, key []byte, ct string) {
		pt, err := DecryptAESECB(key, ct)
		if err != nil {
			if !errors.Is(err, ErrKeySize) && !errors.Is(err, ErrCiphertext) && !errors.Is(err, ErrPadding) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		again, err := EncryptAESECB(key, pt)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := base64.StdEncoding.DecodeString(ct)
		if again != base64.StdEncoding.EncodeToString(raw) {
			t.Fatal("re-encryption differs")
		}
	})
}

func BenchmarkDecryptAESECB(b *testing.B) {
	key := ECBKeyFromAPIv2Key([]byte(apiv2Key))
	b.SetBytes(int64(base64.StdEncoding.DecodedLen(len(nodeReqInfoECB))))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecryptAESECB(key, nodeReqInfoECB); err != nil {
			b.Fatal(err)
		}
	}
}
