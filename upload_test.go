package wechatpay_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// uploadClient starts an uploadServer in front of a fake WeChat Pay and
// returns a client for it.
func uploadClient(t *testing.T) (*wechatpaytest.Server, *uploadServer, *wechatpay.Client) {
	t.Helper()
	srv := wechatpaytest.NewServer()
	t.Cleanup(srv.Close)
	us := newUploadServer(srv)
	ts := httptest.NewServer(us)
	t.Cleanup(ts.Close)
	cfg := srv.Config()
	cfg.BaseURL = ts.URL + "/"
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return srv, us, c
}

func sha256Hex(b []byte) string {
	d := sha256.Sum256(b)
	return hex.EncodeToString(d[:])
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The APIv3 upload: meta and file parts, signed over the meta JSON, through
// Upload, the body option of M and Options, more than once.
func TestUploadV3(t *testing.T) {
	_, us, c := uploadClient(t)
	photo := bytes.Repeat([]byte("\xff\xd8\xff\xe0 jpeg bytes "), 1000)
	path := writeTemp(t, "photo.JPG", photo)
	media, err := wechatpay.OpenMedia(path)
	if err != nil {
		t.Fatal(err)
	}
	if media.Filename() != "photo.JPG" || media.SHA256() != sha256Hex(photo) || media.FileContentType() != "image/jpeg" {
		t.Fatal(media.Filename(), media.SHA256(), media.FileContentType())
	}
	calls := []func() (*wechatpay.Response, error){
		func() (*wechatpay.Response, error) {
			return c.Upload(context.Background(), "v3/merchant/media/upload", media)
		},
		func() (*wechatpay.Response, error) {
			return c.Chain("v3/merchant/media/upload").Post(wechatpay.M{"body": media, "headers": wechatpay.M{"Content-Type": media.ContentType()}})
		},
		func() (*wechatpay.Response, error) {
			return c.Chain("v3/merchant/media/upload").Post(wechatpay.Options{Body: media})
		},
	}
	for i, call := range calls {
		res, err := call()
		if err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if !strings.HasPrefix(res.Get("media_id").String(), "H1ihR9JUtVj") {
			t.Fatalf("call %d: %s", i, res.Body)
		}
		got := us.last(t)
		want := []string{"meta||application/json", "file|photo.JPG|image/jpeg"}
		if got.Problem != "" || strings.Join(got.Parts, ",") != strings.Join(want, ",") || got.FileSize != int64(len(photo)) || got.Chunked {
			t.Fatalf("call %d: %+v", i, got)
		}
		if got.MetaRaw != `{"filename":"photo.JPG","sha256":"`+sha256Hex(photo)+`"}` {
			t.Fatalf("call %d: meta %s", i, got.MetaRaw)
		}
	}
}

// The body is byte for byte wechatpay-php's (Guzzle's MultipartStream:
// the meta part's Content-Type first, the file part's Content-Length), and
// the Node SDK's but for those two headers, which it leaves out.
func TestUploadLayout(t *testing.T) {
	file, err := os.ReadFile("testdata/image.jpg")
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("testdata/multipart-node.golden")
	if err != nil {
		t.Fatal(err)
	}
	const boundary = "wechatpay-go-golden-boundary-0123456789"
	media, err := wechatpay.OpenMedia("testdata/image.jpg", wechatpay.MediaBoundary(boundary))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(media)
	media.Close()
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(body)) != media.Size() || media.ContentType() != "multipart/form-data; boundary="+boundary {
		t.Fatal(len(body), media.Size(), media.ContentType())
	}
	const metaType = "Content-Type: application/json\r\n"
	fileLength := fmt.Sprintf("Content-Length: %d\r\n", len(file))
	php := "--" + boundary + "\r\n" + metaType + "Content-Disposition: form-data; name=\"meta\"\r\n\r\n" +
		`{"filename":"image.jpg","sha256":"` + sha256Hex(file) + `"}` + "\r\n" +
		"--" + boundary + "\r\n" + `Content-Disposition: form-data; name="file"; filename="image.jpg"` + "\r\n" + fileLength + "Content-Type: image/jpeg\r\n\r\n" +
		string(file) + "\r\n--" + boundary + "--\r\n"
	if string(body) != php {
		t.Fatalf("not the PHP layout:\n%q\n%q", body, php)
	}
	node := bytes.Replace(bytes.Replace(body, []byte(metaType), nil, 1), []byte(fileLength), nil, 1)
	if !bytes.Equal(node, golden) {
		t.Fatalf("not the Node layout:\n%q\n%q", node, golden)
	}
	// Read again: the same bytes.
	again, _ := io.ReadAll(media)
	media.Close()
	if !bytes.Equal(again, body) {
		t.Fatal("a second read differs")
	}
}

// Media from readers: a seekable one is read in place, another is copied to
// a temporary file that goes after the one send, and one whose digest is
// given streams straight through, chunked unless its size is given.
func TestUploadFromReaders(t *testing.T) {
	_, us, c := uploadClient(t)
	video := bytes.Repeat([]byte("mp4 frame "), 5000)
	upload := func(m *wechatpay.Media) (*wechatpay.Response, error) {
		return c.Upload(context.Background(), "v3/merchant/media/video_upload", m)
	}

	seek := bytes.NewReader(append([]byte("skipped"), video...))
	seek.Seek(7, io.SeekStart)
	m, err := wechatpay.NewMedia("dir/clip.mp4", seek)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, err := upload(m); err != nil {
			t.Fatal(err)
		}
		if got := us.last(t); got.FileSHA256 != sha256Hex(video) || got.Parts[1] != "file|clip.mp4|video/mp4" {
			t.Fatalf("%+v", got)
		}
	}

	spoolDir := t.TempDir()
	m, err = wechatpay.NewMedia("clip.mp4", io.MultiReader(bytes.NewReader(video)), wechatpay.MediaSpoolDir(spoolDir))
	if err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(spoolDir); len(entries) != 1 {
		t.Fatalf("spool: %v", entries)
	}
	if _, err := upload(m); err != nil {
		t.Fatal(err)
	}
	if got := us.last(t); got.FileSHA256 != sha256Hex(video) || got.Chunked {
		t.Fatalf("%+v", got)
	}
	if entries, _ := os.ReadDir(spoolDir); len(entries) != 0 {
		t.Fatalf("the temporary copy is still there: %v", entries)
	}
	n := len(us.uploads())
	_, err = upload(m)
	var me *wechatpay.MediaError
	var te *wechatpay.TransportError
	if !errors.As(err, &me) || errors.As(err, &te) || !strings.Contains(err.Error(), "make a new Media") {
		t.Fatalf("a second send: %v", err)
	}
	if len(us.uploads()) != n {
		t.Fatal("a spent Media was sent")
	}
	// A Media never sent is removed by Close.
	m, _ = wechatpay.NewMedia("clip.mp4", io.MultiReader(bytes.NewReader(video)), wechatpay.MediaSpoolDir(spoolDir))
	m.Close()
	if entries, _ := os.ReadDir(spoolDir); len(entries) != 0 {
		t.Fatalf("Close left the temporary copy: %v", entries)
	}

	for _, sized := range []bool{false, true} {
		opts := []wechatpay.MediaOption{wechatpay.MediaSHA256(strings.ToUpper(sha256Hex(video)))}
		if sized {
			opts = append(opts, wechatpay.MediaSize(int64(len(video))))
		}
		m, err = wechatpay.NewMedia("clip.mp4", io.MultiReader(bytes.NewReader(video)), opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := upload(m); err != nil {
			t.Fatal(err)
		}
		if got := us.last(t); got.FileSHA256 != sha256Hex(video) || got.Chunked == sized {
			t.Fatalf("sized %t: %+v", sized, got)
		}
	}
}

// Endpoints that want more in the meta, content types by extension and by
// choice, and a name that needs escaping.
func TestUploadMetaAndTypes(t *testing.T) {
	_, us, c := uploadClient(t)
	csv := []byte("openid\noUpF8uMuAJO_M2pxb1Q9zNjWeS6o\n")
	m, err := wechatpay.NewMedia("active_user.csv", bytes.NewReader(csv), wechatpay.MediaMeta(map[string]any{"bank_type": "CITIC"}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(context.Background(), "v3/marketing/bank/packages/{package_id}/tasks", m, wechatpay.M{"package_id": "8473295"}); err != nil {
		t.Fatal(err)
	}
	got := us.last(t)
	if got.Target != "/v3/marketing/bank/packages/8473295/tasks" || got.MetaRaw != `{"filename":"active_user.csv","sha256":"`+sha256Hex(csv)+`","bank_type":"CITIC"}` || got.Parts[1] != "file|active_user.csv|text/csv" {
		t.Fatalf("%+v", got)
	}
	// A field set to nil leaves the meta; MediaContentType overrides.
	m, _ = wechatpay.NewMedia(`say "hi".bin`, bytes.NewReader(csv),
		wechatpay.MediaMeta(map[string]any{"sha256": nil, "file_digest": sha256Hex(csv)}), wechatpay.MediaContentType("text/plain"))
	if _, err := c.Upload(context.Background(), "v3/merchant/media/upload", m); err != nil {
		t.Fatal(err)
	}
	if got := us.last(t); got.MetaRaw != `{"filename":"say \"hi\".bin","file_digest":"`+sha256Hex(csv)+`"}` || got.Parts[1] != "file|say %22hi%22.bin|text/plain" {
		t.Fatalf("%+v", got)
	}
	// An Ordered keeps the caller's order, placing the defaults it names
	// where it names them, as a PHP port's setMeta(json_encode([...])) does.
	m, _ = wechatpay.NewMedia("active_user.csv", bytes.NewReader(csv),
		wechatpay.MediaMeta(wechatpay.Ordered{{"bank_type", "CITIC"}, {"filename", "active_user.csv"}, {"sha256", sha256Hex(csv)}, {"note", "<&>"}}))
	if _, err := c.Upload(context.Background(), "v3/marketing/bank/packages/{package_id}/tasks", m, wechatpay.M{"package_id": "8473295"}); err != nil {
		t.Fatal(err)
	}
	if got := us.last(t); got.MetaRaw != `{"bank_type":"CITIC","filename":"active_user.csv","sha256":"`+sha256Hex(csv)+`","note":"<&>"}` {
		t.Fatalf("%+v", got.MetaRaw)
	}
	if _, err := wechatpay.NewMedia("a.csv", bytes.NewReader(csv), wechatpay.MediaMeta(wechatpay.Ordered{{42, "x"}})); err == nil {
		t.Fatal("a meta key that is not a string was taken")
	}
	for name, want := range map[string]string{"a.png": "image/png", "a.MOV": "video/quicktime", "a.pdf": "application/pdf", "a": "application/octet-stream", "a.heic": "application/octet-stream"} {
		m, _ := wechatpay.NewMedia(name, strings.NewReader("x"))
		if m.FileContentType() != want {
			t.Errorf("%s: %s", name, m.FileContentType())
		}
	}
}

func TestMediaErrors(t *testing.T) {
	dir := t.TempDir()
	good := sha256Hex(nil)
	for name, make := range map[string]func() (*wechatpay.Media, error){
		"missing file": func() (*wechatpay.Media, error) { return wechatpay.OpenMedia(filepath.Join(dir, "none.jpg")) },
		"directory":    func() (*wechatpay.Media, error) { return wechatpay.OpenMedia(dir) },
		"nil reader":   func() (*wechatpay.Media, error) { return wechatpay.NewMedia("a.jpg", nil) },
		"no name":      func() (*wechatpay.Media, error) { return wechatpay.NewMedia("dir/", strings.NewReader("x")) },
		"bad digest": func() (*wechatpay.Media, error) {
			return wechatpay.NewMedia("a.jpg", strings.NewReader("x"), wechatpay.MediaSHA256("xyz"))
		},
		"bad boundary": func() (*wechatpay.Media, error) {
			return wechatpay.NewMedia("a.jpg", strings.NewReader("x"), wechatpay.MediaBoundary("a\r\nb"))
		},
		"bad content type": func() (*wechatpay.Media, error) {
			return wechatpay.NewMedia("a.jpg", strings.NewReader("x"), wechatpay.MediaSHA256(good), wechatpay.MediaContentType("image/jpeg\r\nX: y"))
		},
		"unencodable meta": func() (*wechatpay.Media, error) {
			return wechatpay.NewMedia("a.jpg", strings.NewReader("x"), wechatpay.MediaMeta(map[string]any{"f": func() {}}))
		},
		"failing reader": func() (*wechatpay.Media, error) {
			return wechatpay.NewMedia("a.jpg", io.MultiReader(strings.NewReader("x"), iotestErrReader{}))
		},
	} {
		m, err := make()
		var me *wechatpay.MediaError
		if m != nil || !errors.As(err, &me) || me.Problem == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

type iotestErrReader struct{}

func (iotestErrReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// The APIv2 upload: the media/mch_id/media_hash/sign_type/sign form, over
// mutual TLS, signed with the APIv2 key; the answer's sign is checked.
func TestUploadV2(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	us := newUploadServer(srv)
	base, trust := mutualTLSHandler(t, us, srv.Merchant.Cert)
	cfg := srv.Config()
	cfg.BaseURL, cfg.TLSConfig = base, trust
	cfg.Merchant = &wechatpay.MerchantCert{Cert: srv.Merchant.CertPEM(), Key: srv.Merchant.KeyPEM()}
	c, err := wechatpay.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	photo := bytes.Repeat([]byte("png "), 3000)
	m, err := wechatpay.NewMedia("image.png", bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Upload(context.Background(), "v2/secapi/mch/uploadmedia", m)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.Get("media_id").String(), "6uqyGjGrCf2") {
		t.Fatal(string(res.Body))
	}
	got := us.last(t)
	want := "media|image.png|image/png,mch_id||,media_hash||,sign_type||,sign||"
	if strings.Join(got.Parts, ",") != want || got.Fields["sign_type"] != "HMAC-SHA256" || got.FileSize != int64(len(photo)) {
		t.Fatalf("%+v", got)
	}
	// FormV2 chooses the sign type; the body option takes it.
	form, err := m.FormV2(srv.MchID, crypto.SignTypeMD5, crypto.NewSecret(srv.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chain("v2/secapi/mch/uploadmedia").Post(wechatpay.M{"security": true, "body": form}); err != nil {
		t.Fatal(err)
	}
	if got := us.last(t); got.Fields["sign_type"] != "MD5" || got.Fields["media_hash"] != form.MediaHash() {
		t.Fatalf("%+v", got)
	}
	// Without the certificate the server refuses the call.
	_, err = c.Chain("v2/secapi/mch/uploadmedia").Post(wechatpay.M{"body": m})
	if err == nil {
		t.Fatal("an upload without the merchant certificate was accepted")
	}
	// A wrong APIv2 key fails the sign check.
	if _, err := m.FormV2(srv.MchID, "HMAC-SHA1", crypto.NewSecret(srv.Secret)); err == nil {
		t.Fatal("an unknown sign type was accepted")
	}
	bad, _ := m.FormV2(srv.MchID, crypto.SignTypeHMACSHA256, crypto.NewSecret(strings.Repeat("k", 32)))
	var v2 *wechatpay.V2Error
	if _, err := c.Chain("v2/secapi/mch/uploadmedia").Post(wechatpay.M{"security": true, "body": bad}); !errors.As(err, &v2) || v2.ReturnMsg != "签名错误" {
		t.Fatal(err)
	}
	// An APIv2 upload needs the MD5, which a one-shot reader cannot give twice.
	once, _ := wechatpay.NewMedia("image.png", io.MultiReader(bytes.NewReader(photo)), wechatpay.MediaSHA256(sha256Hex(photo)))
	var me *wechatpay.MediaError
	if _, err := c.Upload(context.Background(), "v2/secapi/mch/uploadmedia", once); !errors.As(err, &me) {
		t.Fatal(err)
	}
}

// A 50 MiB video is hashed and uploaded without being held in memory: the
// heap (client and server together) grows by a small fraction of the file.
func TestUpload50MiBMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and uploads a 50 MiB file")
	}
	_, us, c := uploadClient(t)
	path := bigFile(t, "video.mp4", bigSize)
	var res *wechatpay.Response
	var err error
	use := measureMemory(func() {
		var m *wechatpay.Media
		if m, err = wechatpay.OpenMedia(path); err == nil {
			res, err = c.Upload(context.Background(), "v3/merchant/media/video_upload", m)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	got := us.last(t)
	if got.FileSize != bigSize || got.Problem != "" || res.Get("media_id").String() == "" {
		t.Fatalf("%+v", got)
	}
	t.Logf("50 MiB upload: peak heap +%.2f MiB, allocated %.2f MiB", float64(use.Peak)/mib, float64(use.Allocated)/mib)
	if use.Peak > 4*mib || use.Allocated > 8*mib {
		t.Fatalf("the upload used memory in proportion to the file: peak +%d, allocated %d bytes", use.Peak, use.Allocated)
	}
}
