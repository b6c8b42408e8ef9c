package wechatpay

import (
	"bytes"
	"context"
	"crypto/md5"
	"errors"
	"net/http"
	"strings"

	"github.com/wechatpay-go/wechatpay/crypto"
)

// Upload sends m to an upload endpoint with POST and returns the answer,
// which holds the media_id:
//
//	res, err := client.Upload(ctx, "v3/merchant/media/video_upload", media)
//	mediaID := res.Get("media_id").String()
//
// An APIv3 path gets the meta+file form, signed over the meta JSON. An
// APIv2 path (v2/secapi/mch/uploadmedia) gets the APIv2 form (media,
// mch_id, media_hash, sign_type HMAC-SHA256, sign) signed with
// Config.Secret, and is sent with the merchant TLS certificate (security)
// as those endpoints require. opts add to the call: template variables,
// headers, a timeout, a base_uri.
func (c *Client) Upload(ctx context.Context, path string, m *Media, opts ...Opts) (*Response, error) {
	if m == nil {
		return nil, &OptionError{Option: "body", Problem: "the Media is nil"}
	}
	o := Options{Body: m}
	if isAPIv2Path(path) {
		o.Security = true
	}
	return c.Chain(path).Do(ctx, http.MethodPost, append([]Opts{o}, opts...)...)
}

// MediaFormV2 is the APIv2 upload form of a Media
// (v2/secapi/mch/uploadmedia): the file as "media", then mch_id,
// media_hash (the file's MD5), sign_type and sign, the APIv2 sign of those
// three fields. It is a body for the call, as wechatpay-php's sample builds
// it with Guzzle's MultipartStream.
type MediaFormV2 struct {
	boundary  string
	mediaHash string
	body      partStream
}

// FormV2 returns the APIv2 form of m, signed for merchant mchid with the
// APIv2 key and signType (crypto.SignTypeHMACSHA256 or
// crypto.SignTypeMD5). It reads the file once more, for its MD5. A client
// builds this form itself, with HMAC-SHA256, when a Media is the body of an
// APIv2 call; FormV2 is for choosing the sign type.
func (m *Media) FormV2(mchid, signType string, key crypto.Secret) (*MediaFormV2, error) {
	fail := func(problem string, err error) (*MediaFormV2, error) {
		return nil, &MediaError{Filename: m.filename, Problem: problem, Err: err}
	}
	switch {
	case mchid == "":
		return fail("an APIv2 upload needs the merchant ID (mch_id)", nil)
	case key.IsZero():
		return fail("an APIv2 upload is signed with the APIv2 key (Config.Secret), which is not configured", nil)
	case strings.ContainsAny(mchid+signType, "\r\n"):
		return fail("mch_id and sign_type must be single lines", nil)
	}
	if _, ok := m.src.(*onceSource); ok {
		return fail("an APIv2 upload needs the file's MD5", errors.New("make the Media from a path or an io.ReadSeeker, or without MediaSHA256"))
	}
	mediaHash, _, err := digestOf(m.src, md5.New())
	if err != nil {
		return fail("cannot be read", err)
	}
	k := key.Reveal()
	sign, err := crypto.HashSign(signType, []byte("mch_id="+mchid+"&media_hash="+mediaHash+"&sign_type="+signType), k)
	clear(k)
	if err != nil {
		return fail("cannot be signed", err)
	}
	b := m.boundary
	var head, tail bytes.Buffer
	writePart(&head, b, [2]string{"Content-Disposition", `form-data; name="media"; filename="` + escapeQuoted(m.filename) + `"`}, [2]string{"Content-Type", m.contentType})
	tail.WriteString("\r\n")
	for _, f := range [...][2]string{{"mch_id", mchid}, {"media_hash", mediaHash}, {"sign_type", signType}, {"sign", sign}} {
		writePart(&tail, b, [2]string{"Content-Disposition", `form-data; name="` + f[0] + `"`})
		tail.WriteString(f[1] + "\r\n")
	}
	tail.WriteString("--" + b + "--\r\n")
	return &MediaFormV2{boundary: b, mediaHash: mediaHash, body: partStream{
		name: m.filename, src: m.src, head: head.Bytes(), tail: tail.Bytes(), fileSize: m.body.fileSize,
	}}, nil
}

// Read reads the multipart body; the client calls it while sending.
func (f *MediaFormV2) Read(p []byte) (int, error) { return f.body.Read(p) }

// Close ends a send, as Media.Close does.
func (f *MediaFormV2) Close() error { return f.body.Close() }

// ContentType returns multipart/form-data with the boundary.
func (f *MediaFormV2) ContentType() string { return "multipart/form-data; boundary=" + f.boundary }

// Size returns the length of the body.
func (f *MediaFormV2) Size() int64 { return f.body.size() }

// MediaHash returns the file's MD5 in lower-case hex (media_hash).
func (f *MediaFormV2) MediaHash() string { return f.mediaHash }
