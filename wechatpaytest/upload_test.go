package wechatpaytest_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"testing"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// upload is a streamed multipart body signed over its meta JSON, as the
// client expects of WeChat Pay uploads.
type upload struct {
	*bytes.Reader
	meta, ctype string
}

func (u *upload) SignedBody() []byte  { return []byte(u.meta) }
func (u *upload) ContentType() string { return u.ctype }

func newUpload(t *testing.T, file []byte, digest string) *upload {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	meta := fmt.Sprintf(`{"filename":"a.png","sha256":%q}`, digest)
	mw.WriteField("meta", meta)
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="a.png"`)
	h.Set("Content-Type", "image/png")
	w, err := mw.CreatePart(h)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(file)
	mw.Close()
	return &upload{Reader: bytes.NewReader(buf.Bytes()), meta: meta, ctype: mw.FormDataContentType()}
}

// An upload is authenticated over its meta JSON, and its file must match
// the declared sha256.
func TestUpload(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	c, err := wechatpay.New(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	file := []byte("\x89PNG\r\n\x1a\nan image")
	sum := sha256.Sum256(file)
	res, err := c.Chain("v3/merchant/media/upload").Post(wechatpay.M{"body": newUpload(t, file, hex.EncodeToString(sum[:]))})
	if err != nil || res.Get("media_id").String() == "" {
		t.Fatalf("%v", err)
	}
	_, err = c.Chain("v3/merchant/media/upload").Post(wechatpay.M{"body": newUpload(t, file, hex.EncodeToString(make([]byte, 32)))})
	var ae *wechatpay.APIError
	if !errors.As(err, &ae) || ae.Code != "PARAM_ERROR" || ae.Detail == nil || ae.Detail.Field != "/meta/sha256" {
		t.Fatalf("want PARAM_ERROR on /meta/sha256, got %v", err)
	}
}
