package wechatpay_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// tradeBillCSV is a small trade bill in WeChat Pay's layout.
const tradeBillCSV = "\ufeff交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注\r\n" +
	"`2019-06-11 10:00:00,`wx8888888888888888,`1900000109,`,`,`4200000000000000000000000000,`1217752501201407033233368018,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`NATIVE,`SUCCESS,`OTHERS,`CNY,`1.00,`0.00,`0,`0,`0.00,`0.00,`,`,`Image形象店-深圳腾大-QQ公仔,`,`0.01000,`0.60%,`1.00,`0.00,`\r\n" +
	"总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额\r\n" +
	"`1,`1.00,`0.00,`0.00,`0.01000,`1.00,`0.00\r\n"

func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func sha1Hex(b []byte) string {
	d := sha1.Sum(b)
	return hex.EncodeToString(d[:])
}

// billServer answers v3/bill/tradebill with a download_url on
// api.mch.weixin.qq.com, and v3/billdownload/file with the bill, gzip when
// asked, unsigned, as WeChat Pay does. hash returns the hash_value to
// announce for the bill and its gzip.
func billServer(t *testing.T, hash func(csv, gz []byte) string) (*wechatpaytest.Server, *wechatpay.Client, *[]string) {
	t.Helper()
	srv := wechatpaytest.NewServer()
	t.Cleanup(srv.Close)
	csv := []byte(tradeBillCSV)
	gz := gzipped(t, csv)
	var mu sync.Mutex
	var targets []string
	srv.HandleFunc("GET", "v3/bill/tradebill", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		tar := ""
		if r.URL.Query().Get("tar_type") == "GZIP" {
			tar = "&tartype=gzip"
		}
		return wechatpaytest.JSON(200, map[string]string{
			"hash_type": "SHA1", "hash_value": hash(csv, gz),
			"download_url": "https://api.mch.weixin.qq.com/v3/billdownload/file?token=6XIv5TUPto7pByrTQKhd6kwvyKLG2uY2wMMR8cNpxp8FMCTqoKYU0YCI93g8S1rE" + tar,
		})
	})
	srv.HandleFunc("GET", "v3/billdownload/file", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		mu.Lock()
		targets = append(targets, r.RequestURI)
		mu.Unlock()
		if !strings.HasPrefix(r.URL.Query().Get("token"), "6XIv5TUPto7") {
			return wechatpaytest.ErrorJSON(400, "PARAM_ERROR", "token")
		}
		if r.URL.Query().Get("tartype") == "gzip" {
			return &wechatpaytest.Answer{Body: gz, Unsigned: true, Header: http.Header{"Content-Type": {"application/x-gzip"}}}
		}
		return &wechatpaytest.Answer{Body: csv, Unsigned: true, Header: http.Header{"Content-Type": {"text/plain"}}}
	})
	return srv, newClient(t, srv), &targets
}

func applyBill(t *testing.T, c *wechatpay.Client, tarType string) *wechatpay.Response {
	t.Helper()
	q := wechatpay.M{"bill_date": "2019-06-11", "bill_type": "ALL"}
	if tarType != "" {
		q["tar_type"] = tarType
	}
	bill, err := c.Chain("v3/bill/tradebill").Get(wechatpay.M{"query": q})
	if err != nil {
		t.Fatal(err)
	}
	return bill
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// A bill: applied for, downloaded through the client (signed, from the
// client's base URL), decompressed, checked, parsed.
func TestDownloadBill(t *testing.T) {
	csv := []byte(tradeBillCSV)
	for _, tc := range []struct {
		name    string
		hash    func(csv, gz []byte) string
		tar     string
		gunzip  bool
		want    []byte
		gzipped bool
	}{
		{"plain", func(csv, gz []byte) string { return sha1Hex(csv) }, "", false, csv, false},
		{"gzip, decompressed", func(csv, gz []byte) string { return sha1Hex(csv) }, "GZIP", true, csv, true},
		{"gzip, kept, hash of the bill", func(csv, gz []byte) string { return sha1Hex(csv) }, "GZIP", false, gzipped(t, csv), true},
		{"gzip, kept, hash of the download", func(csv, gz []byte) string { return strings.ToUpper(sha1Hex(gz)) }, "GZIP", false, gzipped(t, csv), true},
		{"gzip, decompressed, hash of the download", func(csv, gz []byte) string { return sha1Hex(gz) }, "GZIP", true, csv, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, c, targets := billServer(t, tc.hash)
			dir := t.TempDir()
			dest := filepath.Join(dir, "2019-06-11.csv")
			var calls int
			var last, total int64
			res, err := c.DownloadBill(context.Background(), applyBill(t, c, tc.tar), wechatpay.Download{
				File: dest, Gunzip: tc.gunzip,
				Progress: func(received, n int64) { calls, last, total = calls+1, received, n },
			})
			if err != nil {
				t.Fatal(err)
			}
			got, _ := os.ReadFile(dest)
			if tc.gzipped {
				// gzip output differs by header bytes only; compare content.
				if !tc.gunzip {
					zr, err := gzip.NewReader(bytes.NewReader(got))
					if err != nil {
						t.Fatal(err)
					}
					got, _ = io.ReadAll(zr)
				}
			}
			if !bytes.Equal(got, csv) || res.Gzip != tc.gzipped || res.Written != int64(len(tc.want)) {
				t.Fatalf("file %q, result %+v", got, res)
			}
			if calls == 0 || last != res.Received || total != res.Received {
				t.Fatalf("progress: %d calls, last %d, total %d; received %d", calls, last, total, res.Received)
			}
			if names := dirEntries(t, dir); len(names) != 1 {
				t.Fatalf("left in the directory: %v", names)
			}
			if len(*targets) != 1 || !strings.HasPrefix((*targets)[0], "/v3/billdownload/file?token=6XIv5TUPto7") {
				t.Fatalf("targets: %v", *targets)
			}
			bill, err := formatter.CastCSVBill(got)
			if err != nil || len(bill.Rows) != 1 || bill.Rows[0]["商户订单号"] != "1217752501201407033233368018" {
				t.Fatal(bill, err)
			}
		})
	}
}

// A file whose digest is not the announced one fails the download and
// leaves nothing behind; a Writer gets what arrived and an error.
func TestDownloadDigestMismatch(t *testing.T) {
	_, c, _ := billServer(t, func(csv, gz []byte) string { return sha1Hex([]byte("another bill")) })
	for _, tar := range []string{"", "GZIP"} {
		dir := t.TempDir()
		_, err := c.DownloadBill(context.Background(), applyBill(t, c, tar), wechatpay.Download{File: filepath.Join(dir, "bill.csv"), Gunzip: true})
		var de *wechatpay.DigestError
		if !errors.As(err, &de) || de.HashType != "SHA1" || de.Want != sha1Hex([]byte("another bill")) {
			t.Fatalf("%s: %v", tar, err)
		}
		if tar == "GZIP" && strings.Count(de.Got, ",") != 1 {
			t.Fatalf("both digests should be reported: %v", de)
		}
		if names := dirEntries(t, dir); len(names) != 0 {
			t.Fatalf("%s: left %v", tar, names)
		}
	}
	var buf bytes.Buffer
	_, err := c.DownloadBill(context.Background(), applyBill(t, c, ""), wechatpay.Download{Writer: &buf})
	var de *wechatpay.DigestError
	if !errors.As(err, &de) || buf.String() != tradeBillCSV {
		t.Fatal(err, buf.Len())
	}
	// Without a digest to check, the same download succeeds.
	res, err := c.DownloadURL(context.Background(), applyBill(t, c, "").Get("download_url").String(), wechatpay.Download{Writer: io.Discard})
	if err != nil || res.Written != int64(len(tradeBillCSV)) {
		t.Fatal(res, err)
	}
}

// A corrupt gzip file fails a decompressing download; one that is kept
// compressed can still match the digest of what was received.
func TestDownloadCorruptGzip(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	bad := gzipped(t, []byte(tradeBillCSV))
	bad = bad[:len(bad)-12] // cut short
	srv.HandleFunc("GET", "v3/billdownload/file", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		return &wechatpaytest.Answer{Body: bad, Unsigned: true}
	})
	c := newClient(t, srv)
	dir := t.TempDir()
	url := "https://api.mch.weixin.qq.com/v3/billdownload/file?token=x&tartype=gzip"
	_, err := c.DownloadURL(context.Background(), url, wechatpay.Download{File: filepath.Join(dir, "a.csv"), Gunzip: true})
	if err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Fatal(err)
	}
	res, err := c.DownloadURL(context.Background(), url, wechatpay.Download{File: filepath.Join(dir, "b.csv.gz"), HashValue: sha1Hex(bad)})
	if err != nil || !res.Gzip {
		t.Fatal(res, err)
	}
	if names := dirEntries(t, dir); len(names) != 1 || names[0] != "b.csv.gz" {
		t.Fatal(names)
	}
}

// APIv2 downloadbill answers the file on success and XML on failure; the
// failure never reaches the destination.
func TestDownloadBillV2(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	csv := []byte(tradeBillCSV)
	srv.HandleFunc("POST", "v2/pay/downloadbill", func(r *wechatpaytest.Request) *wechatpaytest.Answer {
		switch {
		case r.Fields["bill_date"] == "20140101":
			return wechatpaytest.FailV2("No Bill Exist")
		case r.Fields["tar_type"] == "GZIP":
			return &wechatpaytest.Answer{Body: gzipped(t, csv), Header: http.Header{"Content-Type": {"application/x-gzip"}}}
		}
		return &wechatpaytest.Answer{Body: csv, Header: http.Header{"Content-Type": {"text/plain"}}}
	})
	c := newClient(t, srv)
	dir := t.TempDir()
	xml := func(date, tar string) wechatpay.M {
		return wechatpay.M{"xml": wechatpay.M{"appid": "wx8888888888888888", "mch_id": srv.MchID, "bill_date": date, "bill_type": "ALL", "tar_type": tar}}
	}
	var total int64
	res, err := c.Chain("v2/pay/downloadbill").Download(context.Background(), "POST",
		wechatpay.Download{File: filepath.Join(dir, "20140603.csv"), Gunzip: true, Progress: func(_, n int64) { total = n }},
		xml("20140603", "GZIP"))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "20140603.csv"))
	if !bytes.Equal(got, csv) || !res.Gzip || total != res.Received {
		t.Fatalf("%q %+v total %d", got, res, total)
	}
	_, err = c.Chain("v2/pay/downloadbill").Download(context.Background(), "POST",
		wechatpay.Download{File: filepath.Join(dir, "20140101.csv")}, xml("20140101", ""))
	var v2 *wechatpay.V2Error
	if !errors.As(err, &v2) || v2.ReturnMsg != "No Bill Exist" {
		t.Fatal(err)
	}
	if names := dirEntries(t, dir); len(names) != 1 {
		t.Fatalf("left: %v", names)
	}
}

func TestDownloadErrors(t *testing.T) {
	_, c, targets := billServer(t, func(csv, gz []byte) string { return sha1Hex(csv) })
	bill := applyBill(t, c, "")
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"no destination": func() error { _, err := c.DownloadBill(ctx, bill, wechatpay.Download{}); return err },
		"two destinations": func() error {
			_, err := c.DownloadBill(ctx, bill, wechatpay.Download{File: "x", Writer: io.Discard})
			return err
		},
		"bad hash type": func() error {
			_, err := c.DownloadBill(ctx, bill, wechatpay.Download{Writer: io.Discard, HashType: "MD5", HashValue: "x"})
			return err
		},
		"no directory": func() error {
			_, err := c.DownloadBill(ctx, bill, wechatpay.Download{File: filepath.Join(t.TempDir(), "none", "x.csv")})
			return err
		},
		"sink option": func() error {
			_, err := c.DownloadBill(ctx, bill, wechatpay.Download{Writer: io.Discard}, wechatpay.M{"sink": "x.csv"})
			return err
		},
		"nil bill": func() error { _, err := c.DownloadBill(ctx, nil, wechatpay.Download{Writer: io.Discard}); return err },
		"no url": func() error {
			_, err := c.DownloadBill(ctx, &wechatpay.Response{}, wechatpay.Download{Writer: io.Discard})
			return err
		},
		"bad url": func() error {
			_, err := c.DownloadURL(ctx, "/v3/billdownload/file", wechatpay.Download{Writer: io.Discard})
			return err
		},
		"bad chain": func() error {
			_, err := wechatpay.Chain{}.Download(ctx, "GET", wechatpay.Download{Writer: io.Discard})
			return err
		},
		"bad option": func() error {
			_, err := c.DownloadBill(ctx, bill, wechatpay.Download{Writer: io.Discard}, wechatpay.M{"timeout": "1"})
			return err
		},
	} {
		err := call()
		var oe *wechatpay.OptionError
		if err == nil || (name != "bad chain" && !errors.As(err, &oe)) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(*targets) != 0 {
		t.Fatalf("refused downloads were sent: %v", *targets)
	}
	// A non-2xx answer is an *APIError, and writes nothing.
	var buf bytes.Buffer
	_, err := c.DownloadURL(ctx, "https://api.mch.weixin.qq.com/v3/billdownload/file?token=expired", wechatpay.Download{Writer: &buf})
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.Code != "PARAM_ERROR" || buf.Len() != 0 {
		t.Fatal(err, buf.Len())
	}
}

// streamingBillServer serves a size-byte file at v3/billdownload/file
// without holding it in memory (the fake server would buffer it), and
// every other call from srv.
func streamingBillServer(tb testing.TB, srv *wechatpaytest.Server, size int64) string {
	block := bytes.Repeat([]byte("`2019-06-11 10:00:00,`wx8888888888888888,`1900000109,`SUCCESS\r\n"), 1024)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v3/billdownload/file" {
			srv.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		for left := size; left > 0; {
			n := min(left, int64(len(block)))
			if _, err := w.Write(block[:n]); err != nil {
				return
			}
			left -= n
		}
	}))
	tb.Cleanup(ts.Close)
	return ts.URL + "/"
}

// streamedDigest is the SHA-1 of what streamingBillServer sends.
func streamedDigest(size int64) string {
	block := bytes.Repeat([]byte("`2019-06-11 10:00:00,`wx8888888888888888,`1900000109,`SUCCESS\r\n"), 1024)
	h := sha1.New()
	for left := size; left > 0; {
		n := min(left, int64(len(block)))
		h.Write(block[:n])
		left -= n
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A 50 MiB bill goes to its file, checked, without being held in memory.
func TestDownload50MiBMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads 50 MiB")
	}
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	cfg := srv.Config()
	cfg.BaseURL = streamingBillServer(t, srv, bigSize)
	c, _ := wechatpay.New(cfg)
	defer c.Close()
	dest := filepath.Join(t.TempDir(), "bill.csv")
	digest := streamedDigest(bigSize)
	var res *wechatpay.DownloadResult
	var err error
	use := measureMemory(func() {
		res, err = c.DownloadURL(context.Background(), "https://api.mch.weixin.qq.com/v3/billdownload/file?token=big",
			wechatpay.Download{File: dest, HashType: "SHA1", HashValue: digest})
	})
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := os.Stat(dest); res.Written != bigSize || st.Size() != bigSize {
		t.Fatalf("%+v", res)
	}
	t.Logf("50 MiB download: peak heap +%.2f MiB, allocated %.2f MiB", float64(use.Peak)/mib, float64(use.Allocated)/mib)
	if use.Peak > 4*mib || use.Allocated > 8*mib {
		t.Fatalf("the download used memory in proportion to the file: peak +%d, allocated %d bytes", use.Peak, use.Allocated)
	}
}
