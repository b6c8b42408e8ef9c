package wechatpay_test

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The 50 MiB upload and download against plain copies over the same
// loopback. Receivers discard what they get, so that the figures are the
// senders'; run with -benchmem (B/op counts the receiving side too, which
// runs in the same process). peak-heap-MiB is the highest heap seen above
// the heap before the loop, sampled every millisecond.

// discardServer reads every request body to the end and answers a signed
// {"media_id":…}.
func discardServer(b *testing.B) (*wechatpaytest.Server, string) {
	srv := wechatpaytest.NewServer()
	b.Cleanup(srv.Close)
	body := []byte(`{"media_id":"H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhnEBPEMH0b8ffDjjOYyyKV3vqYm5VW"}`)
	h := signAnswer(srv.Platform.Key, srv.Platform.Serial, body)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		for k, v := range h {
			w.Header()[k] = v
		}
		w.Write(body)
	}))
	b.Cleanup(ts.Close)
	return srv, ts.URL + "/"
}

func benchClient(b *testing.B, srv *wechatpaytest.Server, base string) *wechatpay.Client {
	cfg := srv.Config()
	cfg.BaseURL = base
	cfg.Timeout = 0 // the default, 30s
	c, err := wechatpay.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	return c
}

// report runs the loop under measureMemory and reports the peak heap.
func report(b *testing.B, loop func()) {
	b.SetBytes(bigSize)
	b.ReportAllocs()
	b.ResetTimer()
	use := measureMemory(loop)
	b.ReportMetric(float64(use.Peak)/mib, "peak-heap-MiB")
}

// BenchmarkPlainCopy50MiB: the file copied to a loopback TCP connection
// whose other end discards it; the ceiling of any upload.
func BenchmarkPlainCopy50MiB(b *testing.B) {
	path := bigFile(b, "video.mp4", bigSize)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				buf := make([]byte, 64<<10)
				for {
					if _, err := c.Read(buf); err != nil {
						break
					}
				}
				c.Close()
			}()
		}
	}()
	report(b, func() {
		for b.Loop() {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				b.Fatal(err)
			}
			f, _ := os.Open(path)
			if _, err := io.Copy(conn, f); err != nil {
				b.Fatal(err)
			}
			f.Close()
			conn.Close()
		}
	})
}

// BenchmarkPlainHTTPPost50MiB: the file as the body of a net/http POST.
func BenchmarkPlainHTTPPost50MiB(b *testing.B) {
	_, base := discardServer(b)
	path := bigFile(b, "video.mp4", bigSize)
	report(b, func() {
		for b.Loop() {
			f, _ := os.Open(path)
			resp, err := http.Post(base+"v3/merchant/media/video_upload", "application/octet-stream", f)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}

// BenchmarkUploadSend50MiB: a prepared Media sent with Client.Upload
// (signed over the meta, streamed, answer verified).
func BenchmarkUploadSend50MiB(b *testing.B) {
	srv, base := discardServer(b)
	c := benchClient(b, srv, base)
	media, err := wechatpay.OpenMedia(bigFile(b, "video.mp4", bigSize))
	if err != nil {
		b.Fatal(err)
	}
	report(b, func() {
		for b.Loop() {
			if _, err := c.Upload(context.Background(), "v3/merchant/media/video_upload", media); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkUpload50MiB: OpenMedia (the SHA-256 pass over the file) and
// Client.Upload, as an application does it.
func BenchmarkUpload50MiB(b *testing.B) {
	srv, base := discardServer(b)
	c := benchClient(b, srv, base)
	path := bigFile(b, "video.mp4", bigSize)
	report(b, func() {
		for b.Loop() {
			media, err := wechatpay.OpenMedia(path)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := c.Upload(context.Background(), "v3/merchant/media/video_upload", media); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkPlainHTTPGet50MiB: the file fetched with net/http into a file.
func BenchmarkPlainHTTPGet50MiB(b *testing.B) {
	srv := wechatpaytest.NewServer()
	b.Cleanup(srv.Close)
	base := streamingBillServer(b, srv, bigSize)
	dest := filepath.Join(b.TempDir(), "bill.csv")
	report(b, func() {
		for b.Loop() {
			resp, err := http.Get(base + "v3/billdownload/file?token=big")
			if err != nil {
				b.Fatal(err)
			}
			f, _ := os.Create(dest)
			h := sha1.New()
			io.Copy(io.MultiWriter(f, h), resp.Body)
			f.Close()
			resp.Body.Close()
			if hex.EncodeToString(h.Sum(nil)) == "" {
				b.Fatal("no digest")
			}
		}
	})
}

// BenchmarkDownload50MiB: Client.DownloadURL into a file, SHA-1 checked,
// renamed into place.
func BenchmarkDownload50MiB(b *testing.B) {
	srv := wechatpaytest.NewServer()
	b.Cleanup(srv.Close)
	c := benchClient(b, srv, streamingBillServer(b, srv, bigSize))
	dest := filepath.Join(b.TempDir(), "bill.csv")
	d := wechatpay.Download{File: dest, HashType: "SHA1", HashValue: streamedDigest(bigSize)}
	url := "https://api.mch.weixin.qq.com/v3/billdownload/file?token=big"
	report(b, func() {
		for b.Loop() {
			if _, err := c.DownloadURL(context.Background(), url, d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkDownloadEncryptedBill50MiB: Client.DownloadBill of a 50 MiB
// encrypted bill (download_bill_list) into a file: the encrypt_key opened
// with the merchant key, the file decrypted as it streams (AES-256-GCM),
// SHA-1 checked, renamed into place.
func BenchmarkDownloadEncryptedBill50MiB(b *testing.B) {
	srv := wechatpaytest.NewServer()
	b.Cleanup(srv.Close)
	c, bill, _ := bigEncryptedBill(b, srv, bigSize)
	dest := filepath.Join(b.TempDir(), "fundflow.csv")
	report(b, func() {
		for b.Loop() {
			if _, err := c.DownloadBill(context.Background(), bill, wechatpay.Download{File: dest}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
