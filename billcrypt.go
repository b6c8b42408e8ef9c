package wechatpay

import (
	"context"
	stdcrypto "crypto"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay/crypto"
)

// Encrypted bills (加密账单): the fund flow bills of sub-merchants
// (v3/bill/sub-merchant-fundflowbill, v3/ecommerce/bill/fundflowbill) and
// payscore's merchant bills (v3/payscore/merchant-bill) answer with a
// download_bill_list of files, each with its own key. As WeChat Pay
// documents it (下载单个子商户资金账单, 文件解密):
//
//   - the file downloaded from download_url is binary ciphertext (not
//     base64): the bill (its gzip, for tar_type GZIP) sealed as one
//     AEAD_AES_256_GCM message, ciphertext then 16-byte tag;
//   - its key is encrypt_key opened with the merchant private key
//     (RSAES-OAEP with SHA-1, as every field encrypted for the merchant);
//   - its nonce is the nonce string's bytes, and the associated data is
//     empty;
//   - a bill larger than about 16 GB is split into several files, each
//     decrypted on its own, then joined in the order of bill_sequence.
//
// WeChat Pay does not say which bytes hash_value is the digest of; it is
// checked against the file as downloaded, as decrypted, and (for a bill of
// one file) as decompressed, and matches when any does. The GCM tag
// authenticates each file besides.
//
// One GCM message cannot be opened in pieces by crypto/cipher, so each file
// is decrypted as it streams with crypto.GCMDecrypter, its plaintext going
// to the destination (a temporary file, for Download.File) before its tag
// is checked: a file that fails its tag or digest fails the download, and
// the temporary file is removed.

// billFile is one file of a download_bill_list.
type billFile struct {
	seq                 int64
	url, key, nonce     string
	hashType, hashValue string
	newHash             func() hash.Hash
}

// downloadEncryptedBill downloads, decrypts, checks and joins the files
// of an encrypted bill's download_bill_list into d's destination.
func (c *Client) downloadEncryptedBill(ctx context.Context, bill *Response, list Result, d Download, opts ...Opts) (*DownloadResult, error) {
	fail := func(problem string) (*DownloadResult, error) {
		return nil, &OptionError{Option: "bill", Problem: problem}
	}
	if d.HashValue != "" || d.HashType != "" {
		return nil, &OptionError{Option: "Download.HashValue", Problem: "must be empty for an encrypted bill: each file of its download_bill_list has its own"}
	}
	if alg := billAlgorithm(bill); alg != "" && alg != "AEAD_AES_256_GCM" {
		return fail(fmt.Sprintf("was asked for with the algorithm %s, which is not supported: ask for AEAD_AES_256_GCM", alg))
	}
	if c.signer == nil {
		return nil, ErrAPIv3NotConfigured
	}
	dec, ok := c.signer.(stdcrypto.Decrypter)
	if !ok {
		return nil, ErrKeyCannotDecrypt
	}
	var files []billFile
	seen := map[int64]bool{}
	for i, f := range list.Array() {
		bf := billFile{seq: f.Get("bill_sequence").Int(), url: f.Get("download_url").String(), key: f.Get("encrypt_key").String(),
			nonce: f.Get("nonce").String(), hashType: f.Get("hash_type").String(), hashValue: f.Get("hash_value").String()}
		if bf.url == "" || bf.key == "" || bf.nonce == "" || bf.hashValue == "" {
			return fail(fmt.Sprintf("download_bill_list[%d] lacks download_url, encrypt_key, nonce or hash_value", i))
		}
		if seen[bf.seq] {
			return fail(fmt.Sprintf("download_bill_list has bill_sequence %d twice", bf.seq))
		}
		seen[bf.seq] = true
		var err error
		if bf.newHash, err = hashOf("bill.hash_type", bf.hashType); err != nil {
			return nil, err
		}
		files = append(files, bf)
	}
	if len(files) == 0 {
		return fail("lists no file (download_bill_count 0): there is no bill for that day")
	}
	sort.Slice(files, func(i, j int) bool { return files[i].seq < files[j].seq })

	// One destination for the files in order. A bill of one file is
	// checked by the downloader too, so that the digest of the bill as
	// decompressed counts.
	whole := Download{File: d.File, Writer: d.Writer, Gunzip: d.Gunzip}
	if len(files) == 1 {
		whole.HashType, whole.HashValue = files[0].hashType, files[0].hashValue
	}
	dst, err := newDownloader(whole)
	if err != nil {
		return nil, err
	}
	var received int64
	var resp *Response
	for _, f := range files {
		resp, err = c.downloadBillFile(ctx, f, dec, dst, len(files) == 1, d.Progress, &received, opts)
		if err != nil {
			dst.finish(nil, err) // removes a File's temporary file
			return nil, err
		}
	}
	res, err := dst.finish(resp, nil)
	if err != nil {
		return nil, err
	}
	res.Received, res.Files = received, len(files)
	return res, nil
}

// downloadBillFile downloads one file of an encrypted bill into dst,
// decrypting it, and checks it.
func (c *Client) downloadBillFile(ctx context.Context, f billFile, dec stdcrypto.Decrypter, dst *downloader, only bool,
	progress func(received, total int64), received *int64, opts []Opts) (*Response, error) {
	key, err := crypto.DecryptOAEP(dec, f.key)
	if err != nil {
		return nil, fmt.Errorf("wechatpay: the encrypt_key of bill file %d: %w", f.seq, err)
	}
	defer clear(key)
	if len(key) != 32 {
		return nil, fmt.Errorf("wechatpay: the encrypt_key of bill file %d opens to %d bytes, not an AES-256 key (a SM4_GCM bill?): %w", f.seq, len(key), crypto.ErrKeySize)
	}
	part := &billPart{dst: dst, raw: f.newHash(), plain: f.newHash(), total: -1, progress: progress, base: *received, only: only}
	part.gcm, err = crypto.NewGCMDecrypter(io.MultiWriter(part.plain, dst), key, []byte(f.nonce), nil)
	if err != nil {
		return nil, err
	}
	path, err := billPath(c, f.url)
	if err != nil {
		return nil, err
	}
	o, err := mergeOptions(opts)
	if err != nil {
		return nil, err
	}
	if o.Sink != nil || o.SinkFile != "" {
		return nil, &OptionError{Option: "sink", Problem: "is set by the Download (its File or Writer)"}
	}
	o.Sink = part
	resp, err := c.do(withSensitive(ctx, opts), http.MethodGet, path, o)
	*received += part.n
	if err != nil {
		return nil, err
	}
	if err := part.gcm.Close(); err != nil {
		return nil, fmt.Errorf("wechatpay: bill file %d: %w", f.seq, err)
	}
	digests := []string{hex.EncodeToString(part.raw.Sum(nil)), hex.EncodeToString(part.plain.Sum(nil))}
	if only {
		dst.alsoGot = digests[:1] // the downloader checks the rest
		return resp, nil
	}
	want := strings.ToLower(strings.TrimSpace(f.hashValue))
	for _, g := range digests {
		if g == want {
			return resp, nil
		}
	}
	return nil, &DigestError{HashType: orSHA1(f.hashType), Want: f.hashValue, Got: strings.Join(digests, ",")}
}

func orSHA1(t string) string {
	if t == "" {
		return "SHA1"
	}
	return t
}

// billAlgorithm is the algorithm a bill was asked for with, read from the
// application's query.
func billAlgorithm(bill *Response) string {
	if bill.Request == nil || bill.Request.URL == nil {
		return ""
	}
	q := bill.Request.URL.Query()
	if a := q.Get("algorithm"); a != "" {
		return a
	}
	return q.Get("encryption_algorithm")
}

// billPath turns a file's download_url into the path of a call to the
// client's base URL, as DownloadURL does.
func billPath(c *Client, downloadURL string) (string, error) {
	u, err := url.Parse(downloadURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", &OptionError{Option: "download_url", Problem: fmt.Sprintf("%q is not an absolute http(s) URL", downloadURL)}
	}
	path := strings.TrimPrefix(u.EscapedPath(), "/")
	if bp := strings.TrimPrefix(c.base.EscapedPath(), "/"); bp != "" && strings.HasPrefix(path, bp) {
		path = path[len(bp):]
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return path, nil
}

// billPart is the sink of one encrypted file: it hashes the ciphertext
// and decrypts it into the bill's destination (hashing the plaintext on
// the way). It is no middleware.Rewinder: a retry cannot take back what
// reached the destination, so a file that started arriving is not
// downloaded again.
type billPart struct {
	dst      *downloader
	gcm      *crypto.GCMDecrypter
	raw      hash.Hash // of the ciphertext
	plain    hash.Hash // of the plaintext
	n        int64
	base     int64 // bytes of the earlier files
	total    int64
	only     bool
	progress func(received, total int64)
}

// ExpectSize learns the length of the file; the total is reported for a
// bill of one file.
func (p *billPart) ExpectSize(n int64) {
	if p.only {
		p.total = n
	}
}

// Write takes the next bytes of the ciphertext.
func (p *billPart) Write(b []byte) (int, error) {
	p.raw.Write(b)
	if _, err := p.gcm.Write(b); err != nil {
		return 0, err
	}
	p.n += int64(len(b))
	if p.progress != nil {
		p.progress(p.base+p.n, p.total)
	}
	return len(b), nil
}
