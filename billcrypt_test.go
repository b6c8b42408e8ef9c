package wechatpay_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The sandbox's encrypted bills, of each endpoint that has them, with and
// without gzip, into a File or a Writer.
func TestDownloadEncryptedBill(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	ctx := context.Background()
	for _, tc := range []struct {
		path  string
		query wechatpay.M
	}{
		{"v3/bill/sub-merchant-fundflowbill", wechatpay.M{"sub_mchid": "19000000001", "bill_date": "2019-06-11", "algorithm": "AEAD_AES_256_GCM", "account_type": "BASIC"}},
		{"v3/ecommerce/bill/fundflowbill", wechatpay.M{"bill_date": "2019-06-11", "account_type": "ALL", "algorithm": "AEAD_AES_256_GCM"}},
		{"v3/payscore/merchant-bill", wechatpay.M{"bill_date": "2019-06-11", "encryption_algorithm": "AEAD_AES_256_GCM", "service_id": "2002000000000558128851361561536"}},
	} {
		for _, gz := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s gzip=%t", tc.path, gz), func(t *testing.T) {
				q := wechatpay.M{}
				for k, v := range tc.query {
					q[k] = v
				}
				if gz {
					q["tar_type"] = "GZIP"
				}
				bill, err := c.Chain(tc.path).Get(wechatpay.M{"query": q})
				if err != nil {
					t.Fatal(err)
				}
				want := wechatpaytest.FundFlowBillContent("2019-06-11", fmt.Sprint(tc.query["sub_mchid"]))
				if tc.query["sub_mchid"] == nil {
					want = wechatpaytest.FundFlowBillContent("2019-06-11", "")
				}
				dest := filepath.Join(t.TempDir(), "fundflow.csv")
				res, err := c.DownloadBill(ctx, bill, wechatpay.Download{File: dest, Gunzip: true})
				if err != nil {
					t.Fatal(err)
				}
				got, _ := os.ReadFile(dest)
				if !bytes.Equal(got, want) || res.Files != 1 || res.Gzip != gz || res.Written != int64(len(want)) || !gz && res.Received != int64(len(want)+16) {
					t.Fatalf("%+v\n%s", res, got)
				}
				// A Writer, kept compressed.
				var buf bytes.Buffer
				if _, err := c.DownloadBill(ctx, bill, wechatpay.Download{Writer: &buf}); err != nil {
					t.Fatal(err)
				}
				if gz {
					zr, err := gzip.NewReader(&buf)
					if err != nil {
						t.Fatal(err)
					}
					b, _ := io.ReadAll(zr)
					buf = *bytes.NewBuffer(b)
				}
				if !bytes.Equal(buf.Bytes(), want) {
					t.Fatalf("the Writer got %q", buf.Bytes())
				}
			})
		}
	}
}

// sealedFile is an encrypted bill file as WeChat Pay makes one.
type sealedFile struct {
	body       []byte // the ciphertext and tag, as downloaded
	key, nonce string // encrypt_key (for the merchant) and nonce
}

func sealBillFile(t testing.TB, merchant *wechatpaytest.Identity, plain []byte) sealedFile {
	key := make([]byte, 32)
	rand.Read(key)
	nonce := fmt.Sprintf("%x", key[:8]) // 16 characters
	block, _ := aes.NewCipher(key)
	aead, _ := cipher.NewGCMWithNonceSize(block, len(nonce))
	encKey, err := crypto.EncryptOAEP(merchant.PublicKey(), key)
	if err != nil {
		t.Fatal(err)
	}
	return sealedFile{body: aead.Seal(nil, []byte(nonce), plain, nil), key: encKey, nonce: nonce}
}

// encryptedBillServer serves files at v3/billdownload/file?token=N and
// answers the bill application with the list the test gives.
type encryptedBillServer struct {
	mu    sync.Mutex
	files map[string][]byte
}

func serveEncryptedBill(srv *wechatpaytest.Server, list func(base string) []any) *encryptedBillServer {
	s := &encryptedBillServer{files: map[string][]byte{}}
	srv.HandleFunc("GET", "v3/billdownload/file", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		s.mu.Lock()
		b, ok := s.files[r.URL.Query().Get("token")]
		s.mu.Unlock()
		if !ok {
			return wechatpaytest.ErrorJSON(404, "RESOURCE_NOT_EXISTS", "no file")
		}
		return &wechatpaytest.Answer{Body: b, Unsigned: true}
	})
	srv.HandleFunc("GET", "v3/bill/sub-merchant-fundflowbill", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		l := list(srv.URL)
		return wechatpaytest.JSON(200, map[string]any{"download_bill_count": len(l), "download_bill_list": l})
	})
	return s
}

func (s *encryptedBillServer) add(token string, b []byte) {
	s.mu.Lock()
	s.files[token] = b
	s.mu.Unlock()
}

func fileEntry(base string, seq int, token string, f sealedFile, hash string) map[string]any {
	return map[string]any{"bill_sequence": seq, "download_url": base + "v3/billdownload/file?token=" + token,
		"encrypt_key": f.key, "nonce": f.nonce, "hash_type": "SHA1", "hash_value": hash}
}

var fundflowQuery = wechatpay.M{"query": wechatpay.M{"sub_mchid": "19000000001", "bill_date": "2019-06-11", "algorithm": "AEAD_AES_256_GCM", "account_type": "BASIC", "tar_type": "GZIP"}}

// A bill split in files is joined in bill_sequence order, whatever the
// list's order, and decompressed across the files; each file's hash_value
// may be of the file as downloaded or as decrypted.
func TestDownloadEncryptedBillFiles(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	want := bytes.Repeat(wechatpaytest.FundFlowBillContent("2019-06-11", "19000000001"), 200)
	gz := gzipOf(want)
	half := len(gz) / 2
	f1, f2 := sealBillFile(t, srv.Merchant, gz[:half]), sealBillFile(t, srv.Merchant, gz[half:])
	s := serveEncryptedBill(srv, func(base string) []any {
		return []any{
			fileEntry(base, 2, "two", f2, sha1Hex(f2.body)),   // the file as downloaded
			fileEntry(base, 1, "one", f1, sha1Hex(gz[:half])), // the file as decrypted
		}
	})
	s.add("one", f1.body)
	s.add("two", f2.body)
	bill, err := c.Chain("v3/bill/sub-merchant-fundflowbill").Get(fundflowQuery)
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "fundflow.csv")
	var progress []int64
	res, err := c.DownloadBill(context.Background(), bill, wechatpay.Download{File: dest, Gunzip: true,
		Progress: func(received, total int64) { progress = append(progress, received) }})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(dest)
	if !bytes.Equal(got, want) || res.Files != 2 || res.Received != int64(len(f1.body)+len(f2.body)) {
		t.Fatalf("%+v: %d bytes, want %d", res, len(got), len(want))
	}
	if len(progress) == 0 || progress[len(progress)-1] != res.Received {
		t.Fatalf("progress %v", progress)
	}
	rs := srv.Received()
	if rs[len(rs)-2].Target != "/v3/billdownload/file?token=one" || rs[len(rs)-1].Target != "/v3/billdownload/file?token=two" {
		t.Fatalf("downloaded %s then %s", rs[len(rs)-2].Target, rs[len(rs)-1].Target)
	}
}

func gzipOf(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// An altered file, a wrong nonce, a wrong digest or a cut file fails the
// download and leaves no file; refusals come before anything is sent.
func TestDownloadEncryptedBillRefused(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c := newClient(t, srv)
	plain := wechatpaytest.FundFlowBillContent("2019-06-11", "19000000001")
	f := sealBillFile(t, srv.Merchant, plain)
	altered := bytes.Clone(f.body)
	altered[3] ^= 1
	var entry map[string]any
	s := serveEncryptedBill(srv, func(string) []any { return []any{entry} })
	s.add("good", f.body)
	s.add("altered", altered)
	s.add("cut", f.body[:len(f.body)-5])
	ctx := context.Background()
	dir := t.TempDir()
	for name, tc := range map[string]struct {
		entry map[string]any
		check func(error) bool
	}{
		"altered":      {fileEntry(srv.URL, 1, "altered", f, sha1Hex(plain)), func(err error) bool { return errors.Is(err, crypto.ErrCiphertext) }},
		"cut":          {fileEntry(srv.URL, 1, "cut", f, sha1Hex(plain)), func(err error) bool { return errors.Is(err, crypto.ErrCiphertext) }},
		"wrong nonce":  {fileEntry(srv.URL, 1, "good", sealedFile{key: f.key, nonce: "0000000000000000"}, sha1Hex(plain)), func(err error) bool { return errors.Is(err, crypto.ErrCiphertext) }},
		"wrong digest": {fileEntry(srv.URL, 1, "good", f, sha1Hex([]byte("other"))), func(err error) bool { return errors.As(err, new(*wechatpay.DigestError)) }},
		"wrong key":    {fileEntry(srv.URL, 1, "good", sealBillFile(t, srv.Merchant, plain), sha1Hex(plain)), func(err error) bool { return errors.Is(err, crypto.ErrCiphertext) }},
	} {
		entry = tc.entry
		bill, err := c.Chain("v3/bill/sub-merchant-fundflowbill").Get(fundflowQuery)
		if err != nil {
			t.Fatal(err)
		}
		dest := filepath.Join(dir, name+".csv")
		if _, err := c.DownloadBill(ctx, bill, wechatpay.Download{File: dest}); !tc.check(err) {
			t.Errorf("%s: %v", name, err)
		}
		if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
			t.Fatalf("%s: left %v", name, left)
		}
	}

	// Refused before sending.
	entry = fileEntry(srv.URL, 1, "good", f, sha1Hex(plain))
	bill, _ := c.Chain("v3/bill/sub-merchant-fundflowbill").Get(fundflowQuery)
	n := len(srv.Received())
	if _, err := c.DownloadBill(ctx, bill, wechatpay.Download{Writer: io.Discard, HashValue: "x"}); !errors.As(err, new(*wechatpay.OptionError)) {
		t.Errorf("a HashValue: %v", err)
	}
	sm4 := wechatpay.M{"query": wechatpay.M{"sub_mchid": "19000000001", "bill_date": "2019-06-11", "algorithm": "SM4_GCM", "account_type": "BASIC"}}
	if sm4Bill, err := c.Chain("v3/bill/sub-merchant-fundflowbill").Get(sm4); err != nil {
		t.Fatal(err)
	} else if _, err := c.DownloadBill(ctx, sm4Bill, wechatpay.Download{Writer: io.Discard}); !errors.As(err, new(*wechatpay.OptionError)) {
		t.Errorf("SM4_GCM: %v", err)
	}
	n++ // the SM4 application
	cfg := srv.Config()
	cfg.PrivateKey = signOnly{srv.Merchant.Key}
	sc, _ := wechatpay.New(cfg)
	defer sc.Close()
	if _, err := sc.DownloadBill(ctx, bill, wechatpay.Download{Writer: io.Discard}); !errors.Is(err, wechatpay.ErrKeyCannotDecrypt) {
		t.Errorf("a key that cannot decrypt: %v", err)
	}
	if got := len(srv.Received()); got != n {
		t.Fatalf("%d requests sent for refused downloads", got-n)
	}
}

// A 50 MiB encrypted bill is decrypted into its file without being held
// in memory.
func TestDownloadEncryptedBill50MiBMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads 50 MiB")
	}
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c, bill, digest := bigEncryptedBill(t, srv, bigSize)
	dest := filepath.Join(t.TempDir(), "fundflow.csv")
	var res *wechatpay.DownloadResult
	var err error
	use := measureMemory(func() {
		res, err = c.DownloadBill(context.Background(), bill, wechatpay.Download{File: dest})
	})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(dest)
	h := sha1.New()
	io.Copy(h, f)
	f.Close()
	if res.Written != bigSize || hex.EncodeToString(h.Sum(nil)) != digest {
		t.Fatalf("%+v", res)
	}
	t.Logf("50 MiB encrypted bill: peak heap +%.2f MiB, allocated %.2f MiB", float64(use.Peak)/mib, float64(use.Allocated)/mib)
	if use.Peak > 4*mib || use.Allocated > 8*mib {
		t.Fatalf("the download used memory in proportion to the file: peak +%d, allocated %d bytes", use.Peak, use.Allocated)
	}
}

// bigEncryptedBill serves a size-byte bill, encrypted as one file, from
// disk (the fake server would hold it in memory), and returns a client of
// that server, the bill application's answer, and the SHA-1 of the bill.
func bigEncryptedBill(tb testing.TB, srv *wechatpaytest.Server, size int64) (*wechatpay.Client, *wechatpay.Response, string) {
	block := bytes.Repeat([]byte("`2019-06-11 10:00:00,`4200000985202406011234567890,`1900000109,`交易,`收入,`1.00\r\n"), 512)
	plain := make([]byte, 0, size)
	for int64(len(plain)) < size {
		plain = append(plain, block[:min(int64(len(block)), size-int64(len(plain)))]...)
	}
	digest := sha1Hex(plain)
	f := sealBillFile(tb, srv.Merchant, plain)
	path := filepath.Join(tb.TempDir(), "bill.enc")
	if err := os.WriteFile(path, f.body, 0o600); err != nil {
		tb.Fatal(err)
	}
	f.body, plain = nil, nil
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/billdownload/file" {
			srv.ServeHTTP(w, r)
			return
		}
		file, err := os.Open(path)
		if err != nil {
			w.WriteHeader(500)
			return
		}
		defer file.Close()
		st, _ := file.Stat()
		w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
		io.Copy(w, file)
	}))
	tb.Cleanup(ts.Close)
	srv.HandleFunc("GET", "v3/bill/sub-merchant-fundflowbill", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return wechatpaytest.JSON(200, map[string]any{"download_bill_count": 1, "download_bill_list": []any{
			fileEntry("https://api.mch.weixin.qq.com/", 1, "big", f, digest)}})
	})
	cfg := srv.Config()
	cfg.BaseURL = ts.URL + "/"
	cfg.Timeout = 0
	c, err := wechatpay.New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	bill, err := c.Chain("v3/bill/sub-merchant-fundflowbill").Get(wechatpay.M{"query": wechatpay.M{
		"sub_mchid": "19000000001", "bill_date": "2019-06-11", "algorithm": "AEAD_AES_256_GCM", "account_type": "BASIC"}})
	if err != nil {
		tb.Fatal(err)
	}
	runtime.GC()
	return c, bill, digest
}
