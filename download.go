package wechatpay

import (
	"compress/gzip"
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Download says where a downloaded file goes and how it is checked: a bill
// (交易账单, 资金账单) from v3/billdownload/file or APIv2 downloadbill, or any
// file an answer points to.
type Download struct {
	// File names the destination file. It is written under a temporary
	// name beside it and renamed into place only when the download
	// succeeded and its digest matched, so that a failed download leaves no
	// partial file.
	File string

	// Writer receives the file instead, when File is empty. A failed
	// download may have written part of it: when an error is returned,
	// discard what it got.
	Writer io.Writer

	// Gunzip decompresses a gzip file (tar_type=GZIP) on its way, so that
	// the destination gets the bill itself. A file that is not gzip is
	// written as it is.
	Gunzip bool

	// Progress, when set, is called as the file arrives, with the bytes
	// received so far and the bytes to receive (-1 when the answer does not
	// say). It runs on the call's goroutine: keep it quick.
	Progress func(received, total int64)

	// HashType and HashValue are the digest WeChat Pay announced for the
	// file (hash_type and hash_value of the bill application's answer;
	// DownloadBill takes them from there). When HashValue is set, a file
	// whose digest differs fails the download with a *DigestError. The type
	// is SHA1, as WeChat Pay uses (the default), or SHA256.
	//
	// WeChat Pay documents hash_value as the digest of the original bill,
	// decompressed when it was asked for as GZIP (原始账单（gzip需要解压缩）的摘要值),
	// and its own SDKs check it so; earlier documentation called it the
	// digest of the file as downloaded. A gzip file is therefore hashed both
	// ways, decompressing it on the side when Gunzip is off, and matches
	// when either digest does. (Both commit to the same content: a match of
	// either proves the download is the bill WeChat Pay announced.)
	HashType, HashValue string
}

// DownloadResult reports a finished download.
type DownloadResult struct {
	// Response is the answer; its Body is empty, as the file went to the
	// destination.
	Response *Response
	// Received is the number of bytes received.
	Received int64
	// Written is the number of bytes written to the destination: Received,
	// or the decompressed length when Gunzip decompressed the file.
	Written int64
	// Gzip tells whether the file received was gzip (for an encrypted
	// bill, once decrypted).
	Gzip bool
	// Files is the number of files downloaded into the destination: 1, or
	// for an encrypted bill the files of its download_bill_list, joined in
	// the order of their bill_sequence.
	Files int
}

// DigestError reports a downloaded file whose digest is not the one WeChat
// Pay announced: it was cut short or altered. A File destination is
// removed; a Writer destination holds bad data.
type DigestError struct {
	// HashType is the digest algorithm, e.g. "SHA1".
	HashType string
	// Want is the announced digest (hash_value).
	Want string
	// Got is the digest of the file as received, and for a gzip file also
	// that of its decompressed content, comma-separated.
	Got string
}

// Error says which digests differ.
func (e *DigestError) Error() string {
	return fmt.Sprintf("wechatpay: the downloaded file's %s digest %s is not the announced %s: the download was cut short or altered", e.HashType, e.Got, e.Want)
}

// Download calls the endpoint with method and writes the file it answers to
// d's destination: v3/billdownload/file, or an APIv2 file such as
// v2/pay/downloadbill, whose XML failure answers never reach the
// destination:
//
//	res, err := client.Chain("v2/pay/downloadbill").Download(ctx, "POST",
//		wechatpay.Download{File: "20140603.csv", Gunzip: true},
//		wechatpay.M{"xml": wechatpay.M{"appid": "wx8888888888888888", "mch_id": "1900000109",
//			"bill_date": "20140603", "bill_type": "ALL", "tar_type": "GZIP"}})
//
// opts are the call's options, but for the sink, which d replaces. The
// answer is not held in memory whatever its size (Config.MaxResponseSize
// does not apply).
func (ch Chain) Download(ctx context.Context, method string, d Download, opts ...Opts) (*DownloadResult, error) {
	if ch.c == nil {
		return nil, fmt.Errorf("wechatpay: Chain %q has no client; start chains with Client.Chain", ch.path)
	}
	o, err := mergeOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.Sink != nil || o.SinkFile != "" {
		return nil, &OptionError{Option: "sink", Problem: "is set by the Download (its File or Writer)"}
	}
	dl, err := newDownloader(d)
	if err != nil {
		return nil, err
	}
	o.Sink = dl
	resp, err := ch.c.do(withSensitive(ctx, opts), strings.ToUpper(method), ch.path, o)
	return dl.finish(resp, err)
}

// DownloadURL downloads the file at an absolute URL an answer gave, such as
// a bill's download_url ("https://api.mch.weixin.qq.com/v3/billdownload/file?token=…"):
// a signed GET of its path and query, sent to the client's base URL (or the
// call's base_uri), so that the backup domain, a proxy and a test server
// serve it like any call. The answer is a file WeChat Pay does not sign;
// check it with d's HashType and HashValue.
func (c *Client) DownloadURL(ctx context.Context, downloadURL string, d Download, opts ...Opts) (*DownloadResult, error) {
	u, err := url.Parse(downloadURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, &OptionError{Option: "download_url", Problem: fmt.Sprintf("%q is not an absolute http(s) URL", downloadURL)}
	}
	path := strings.TrimPrefix(u.EscapedPath(), "/")
	if bp := strings.TrimPrefix(c.base.EscapedPath(), "/"); bp != "" && strings.HasPrefix(path, bp) {
		path = path[len(bp):] // the base URL has the prefix already
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return Chain{c: c, path: path}.Download(ctx, http.MethodGet, d, opts...)
}

// DownloadBill downloads the bill an application answered with
// (v3/bill/tradebill, v3/bill/fundflowbill, v3/ecommerce/bill/fundflowbill,
// …): its download_url, checked against its hash_type and hash_value.
//
//	bill, err := client.Chain("v3/bill/tradebill").Get(wechatpay.M{"query": wechatpay.M{
//		"bill_date": "2019-06-11", "bill_type": "ALL", "tar_type": "GZIP"}})
//	res, err := client.DownloadBill(ctx, bill, wechatpay.Download{File: "2019-06-11.csv", Gunzip: true})
//
// The download_url is valid for a few minutes (five, at the time of
// writing): download soon after applying.
//
// An answer that lists encrypted files instead (download_bill_list: the
// fund flow bills of sub-merchants, v3/bill/sub-merchant-fundflowbill,
// v3/ecommerce/bill/fundflowbill, and v3/payscore/merchant-bill) is
// downloaded file by file, each decrypted as it streams (its encrypt_key
// opened with the merchant private key, the file AEAD_AES_256_GCM with its
// nonce) and checked against its hash_value, and the files are joined in
// the order of their bill_sequence, then decompressed when Gunzip is set.
// The merchant key must be able to decrypt (see DecryptSensitive);
// HashType and HashValue must be left empty, as each file has its own.
// Memory stays flat whatever the size; see docs/files-and-certificates.md.
func (c *Client) DownloadBill(ctx context.Context, bill *Response, d Download, opts ...Opts) (*DownloadResult, error) {
	if bill == nil {
		return nil, &OptionError{Option: "bill", Problem: "is nil"}
	}
	if list := bill.Get("download_bill_list"); list.Exists() {
		return c.downloadEncryptedBill(ctx, bill, list, d, opts...)
	}
	downloadURL := bill.Get("download_url").String()
	if downloadURL == "" {
		return nil, &OptionError{Option: "bill", Problem: "has neither a download_url nor a download_bill_list: give the answer of a bill application (v3/bill/tradebill, v3/bill/fundflowbill, v3/bill/sub-merchant-fundflowbill, …)"}
	}
	if d.HashValue == "" {
		d.HashType, d.HashValue = bill.Get("hash_type").String(), bill.Get("hash_value").String()
	}
	return c.DownloadURL(ctx, downloadURL, d, opts...)
}

// downloader is the sink of a Download: it detects gzip, decompresses,
// hashes, reports progress and writes to the destination.
type downloader struct {
	d       Download
	file    *fileSink
	dst     io.Writer
	newHash func() hash.Hash // nil when not checking

	raw      hash.Hash // of the bytes received
	plain    hash.Hash // of the decompressed bytes, for a gzip file
	inflate  *inflater
	head     []byte
	decided  bool
	gzip     bool
	received int64
	written  int64 // of a file written as received
	total    int64
	alsoGot  []string // digests computed before it (an encrypted bill's, as received)
}

func newDownloader(d Download) (*downloader, error) {
	dl := &downloader{d: d, total: -1}
	if d.HashValue != "" {
		var err error
		if dl.newHash, err = hashOf("Download.HashType", d.HashType); err != nil {
			return nil, err
		}
		dl.raw = dl.newHash()
	}
	switch {
	case d.File != "" && d.Writer != nil:
		return nil, &OptionError{Option: "Download", Problem: "set File or Writer, not both"}
	case d.File != "":
		f, err := createFileSink(d.File)
		if err != nil {
			return nil, &OptionError{Option: "Download.File", Problem: err.Error()}
		}
		dl.file, dl.dst = f, f
	case d.Writer != nil:
		dl.dst = d.Writer
	default:
		return nil, &OptionError{Option: "Download", Problem: "needs a File or a Writer"}
	}
	return dl, nil
}

// hashOf returns the digest a hash_type names: SHA1 (the default) or
// SHA256.
func hashOf(option, hashType string) (func() hash.Hash, error) {
	switch strings.ToUpper(strings.ReplaceAll(hashType, "-", "")) {
	case "", "SHA1":
		return sha1.New, nil
	case "SHA256":
		return sha256.New, nil
	}
	return nil, &OptionError{Option: option, Problem: fmt.Sprintf("%q is not supported: use SHA1 or SHA256", hashType)}
}

// ExpectSize learns the length of the answer from the transport.
func (dl *downloader) ExpectSize(n int64) { dl.total = n }

// Write takes the next bytes of the answer.
func (dl *downloader) Write(p []byte) (int, error) {
	n := len(p)
	dl.received += int64(n)
	if !dl.decided {
		if len(dl.head)+len(p) < 2 {
			dl.head = append(dl.head, p...)
			dl.progress()
			return n, nil
		}
		if len(dl.head) > 0 {
			p = append(dl.head, p...)
			dl.head = nil
		}
		dl.decide(p[0] == 0x1f && p[1] == 0x8b)
	}
	if err := dl.feed(p); err != nil {
		return 0, err
	}
	dl.progress()
	return n, nil
}

func (dl *downloader) progress() {
	if dl.d.Progress != nil {
		dl.d.Progress(dl.received, dl.total)
	}
}

// decide sets the pipeline up once the first bytes tell whether the file
// is gzip.
func (dl *downloader) decide(gzipped bool) {
	dl.decided, dl.gzip = true, gzipped
	if !gzipped || (!dl.d.Gunzip && dl.newHash == nil) {
		return
	}
	var outs []io.Writer
	if dl.newHash != nil {
		dl.plain = dl.newHash()
		outs = append(outs, dl.plain)
	}
	if dl.d.Gunzip {
		outs = append(outs, dl.dst)
	}
	dl.inflate = startInflater(io.MultiWriter(outs...))
}

func (dl *downloader) feed(p []byte) error {
	if dl.raw != nil {
		dl.raw.Write(p)
	}
	if dl.inflate != nil {
		if err := dl.inflate.write(p); err != nil {
			if dl.d.Gunzip {
				return fmt.Errorf("decompressing the gzip file: %w", err)
			}
			// Only the side digest is lost; the file as received may
			// still match.
			dl.inflate.close()
			dl.inflate, dl.plain = nil, nil
		}
	}
	if !(dl.gzip && dl.d.Gunzip) {
		if _, err := dl.dst.Write(p); err != nil {
			return err
		}
		dl.written += int64(len(p))
	}
	return nil
}

// finish completes the download after the call returned resp and err:
// flushes, checks the digest, and commits or removes the file.
func (dl *downloader) finish(resp *Response, err error) (*DownloadResult, error) {
	if err == nil && !dl.decided {
		dl.decide(false) // fewer than two bytes: not gzip
		err = dl.feed(dl.head)
	}
	var written int64
	if dl.inflate != nil {
		n, ierr := dl.inflate.close()
		written = n
		if ierr != nil {
			if dl.d.Gunzip && err == nil {
				err = fmt.Errorf("wechatpay: decompressing the gzip file: %w", ierr)
			}
			dl.plain = nil
		}
	}
	if err == nil && dl.raw != nil {
		err = dl.check()
	}
	if err != nil {
		if dl.file != nil {
			dl.file.abort()
		}
		return nil, err
	}
	if dl.file != nil {
		if err := dl.file.commit(); err != nil {
			return nil, fmt.Errorf("wechatpay: saving the download: %w", err)
		}
	}
	if !(dl.gzip && dl.d.Gunzip) {
		written = dl.written
	}
	return &DownloadResult{Response: resp, Received: dl.received, Written: written, Gzip: dl.gzip, Files: 1}, nil
}

func (dl *downloader) check() error {
	want := strings.ToLower(strings.TrimSpace(dl.d.HashValue))
	got := []string{hex.EncodeToString(dl.raw.Sum(nil))}
	if dl.plain != nil {
		got = append(got, hex.EncodeToString(dl.plain.Sum(nil)))
	}
	got = append(got, dl.alsoGot...)
	for _, g := range got {
		if g == want {
			return nil
		}
	}
	hashType := dl.d.HashType
	if hashType == "" {
		hashType = "SHA1"
	}
	return &DigestError{HashType: hashType, Want: dl.d.HashValue, Got: strings.Join(got, ",")}
}

// inflater decompresses gzip written to it, in a goroutine that reads the
// other end of a pipe, into out. close waits for that goroutine.
type inflater struct {
	pw   *io.PipeWriter
	done chan inflated
}

type inflated struct {
	n   int64
	err error
}

func startInflater(out io.Writer) *inflater {
	pr, pw := io.Pipe()
	in := &inflater{pw: pw, done: make(chan inflated, 1)}
	go func() {
		var n int64
		zr, err := gzip.NewReader(pr)
		if err == nil {
			n, err = io.Copy(out, zr) // every gzip member, to the end of the input
		}
		// A failure fails the writes that follow; success comes only once
		// the input is closed.
		pr.CloseWithError(err)
		in.done <- inflated{n: n, err: err}
	}()
	return in
}

func (in *inflater) write(p []byte) error {
	_, err := in.pw.Write(p)
	return err
}

// close ends the input and returns what was decompressed.
func (in *inflater) close() (int64, error) {
	in.pw.Close()
	r := <-in.done
	in.done <- r // close may be called again
	return r.n, r.err
}

// fileSink writes a download to a temporary file beside its destination,
// renamed into place only when the call succeeds.
type fileSink struct {
	*os.File
	dest string
}

func createFileSink(dest string) (*fileSink, error) {
	f, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".*.part")
	if err != nil {
		return nil, err
	}
	return &fileSink{File: f, dest: dest}, nil
}

func (s *fileSink) commit() error {
	if err := s.File.Close(); err != nil {
		os.Remove(s.Name())
		return err
	}
	if err := os.Rename(s.Name(), s.dest); err != nil {
		os.Remove(s.Name())
		return err
	}
	return nil
}

func (s *fileSink) abort() {
	s.File.Close()
	os.Remove(s.Name())
}

// finish commits the file when the call succeeded, or removes it. A file
// that cannot be put in place fails the call.
func (s *fileSink) finish(resp *Response, err error) (*Response, error) {
	if err != nil {
		s.abort()
		return resp, err
	}
	if err = s.commit(); err != nil {
		return nil, err
	}
	return resp, nil
}
