package wechatpay_test

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/formatter"
	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// sampleCall is a catalog sample turned into a call of our client.
type sampleCall struct {
	opts wechatpay.M
	sink *bytes.Buffer // receives a download, when the sample has a sink
}

// translateSample turns a catalog entry's PHP sample options into
// wechatpay.M: base_uri pointed at srv, PHP expressions replaced by
// stand-ins (an upload body, a timestamp, a sign…), the merchant ID of
// APIv2 fields set to srv's, and missing URI variables given a value.
func translateSample(e *catalog.Entry, srv *wechatpaytest.Server) (*sampleCall, error) {
	var smp map[string]any
	if err := json.Unmarshal(e.Sample, &smp); err != nil {
		return nil, fmt.Errorf("sample: %w", err)
	}
	call := &sampleCall{opts: wechatpay.M{}}
	isVar := map[string]bool{}
	for _, v := range e.URIVars {
		isVar[v] = true
	}
	v2 := e.Protocol == "v2"
	for k, v := range smp {
		switch k {
		case "json":
			call.opts[k] = standIn(v)
		case "xml", "query":
			if v2 && (k == "xml" || e.Method == "GET") {
				call.opts[k] = v2Fields(v, srv)
			} else {
				call.opts[k] = standIn(v)
			}
		case "headers":
			h := map[string]string{}
			for name, x := range v.(map[string]any) {
				switch {
				case strings.EqualFold(name, "Wechatpay-Serial"):
					h[name] = answerSerial(srv)
				case strings.EqualFold(name, "Content-Type"):
					// set by the upload body
				default:
					h[name] = fmt.Sprint(standIn(x))
				}
			}
			call.opts[k] = h
		case "body":
			body, err := uploadBody(e, srv)
			if err != nil {
				return nil, err
			}
			call.opts[k] = body
		case "base_uri":
			u, err := url.Parse(v.(string))
			if err != nil {
				return nil, err
			}
			call.opts[k] = strings.TrimSuffix(srv.URL, "/") + u.Path
		case "security", "nonceless", "timeout":
			call.opts[k] = v
		case "sink":
			call.sink = &bytes.Buffer{}
			call.opts[k] = call.sink
		case "handler", "fragment":
			// a PHP handler stack: the client's own stack does the work
		default:
			if isVar[k] {
				call.opts[k] = uriVar(k, v)
			}
			// else a name the chain does not have (a typo in the source)
		}
	}
	for _, k := range e.URIVars {
		if _, ok := call.opts[k]; !ok && k != "empty" {
			call.opts[k] = uriVar(k, nil)
		}
	}
	if v2 {
		if q, ok := call.opts["query"].(map[string]any); ok && e.Method == "GET" {
			if _, signed := q["sign"]; signed {
				// A sample's literal or computed sign stands for the sign
				// of these fields: compute it.
				delete(q, "sign")
				q["sign"] = v2Sign(q, srv.Secret)
			}
		}
	}
	return call, nil
}

// standIn replaces the PHP expressions of a sample value.
func standIn(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if fn, ok := x["$call"]; ok && fn == "json_encode" {
			b, _ := json.Marshal(x["args"].([]any)[0])
			return string(b)
		}
		if src, ok := x["$php"].(string); ok {
			return phpStandIn(src)
		}
		out := make(map[string]any, len(x))
		for k, y := range x {
			if y == "" {
				// An empty string in a sample is a placeholder to fill in.
				out[k] = placeholder(k)
				continue
			}
			out[k] = standIn(y)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, y := range x {
			out[i] = standIn(y)
		}
		return out
	}
	return v
}

// phpStandIn is the value a PHP expression of the samples stands for.
func phpStandIn(src string) any {
	switch {
	case strings.Contains(src, "queryStringLike(['posttime'"):
		return url.QueryEscape("posttime=1717171199&mobile=122344545&deviceid=IOS&clientversion=234134")
	case strings.Contains(src, "timestamp"):
		return strconv.FormatInt(time.Now().Unix(), 10)
	case src == "$workwxSign":
		return strings.Repeat("A1", 16)
	case src == "$certSerialNo":
		return "7E2A8FCF3B5B1F0C5A9B1E3C1A2D4F6E8A0B2C4D"
	case strings.Contains(src, "rawurldecode($segment)"):
		return "ChsyMDI0MDYwMTEyMzQ1Njc4OTAxMjM0NTY3ODkwEgVpbWFnZQ=="
	}
	return src
}

// v2Fields converts APIv2 fields, with the merchant ID field set to srv's
// (added when the sample has none: the client checks it).
func v2Fields(v any, srv *wechatpaytest.Server) map[string]any {
	m, _ := v.(map[string]any) // a PHP empty array is a JSON []
	out, _ := standIn(m).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	for _, k := range []string{"mch_id", "mchid", "combine_mch_id"} {
		if _, ok := out[k]; ok {
			out[k] = srv.MchID
			return out
		}
	}
	out["mch_id"] = srv.MchID
	return out
}

// v2Sign signs APIv2 fields with HMAC-SHA256 (or their sign_type).
func v2Sign(fields map[string]any, secret string) string {
	pairs := make([]formatter.Pair, 0, len(fields))
	for k, v := range fields {
		s, _ := formatter.Stringify(v)
		pairs = append(pairs, formatter.Pair{Key: k, Value: s})
	}
	signType, _ := fields["sign_type"].(string)
	if signType == "" {
		signType = crypto.SignTypeMD5
	}
	sign, _ := crypto.HashSign(signType, []byte(formatter.QueryStringLike(formatter.KsortPairs(pairs))), []byte(secret))
	return sign
}

// uriVar is the value of a URI variable: the sample's, or a plausible one.
func uriVar(name string, v any) any {
	if v != nil && v != "" {
		return standIn(v)
	}
	return placeholder(name)
}

// placeholder is a plausible value for a parameter a sample leaves out or
// empty.
func placeholder(name string) any {
	switch name {
	case "openid":
		return "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	case "service_id":
		return "500001"
	case "sub_mchid":
		return "1900000110"
	case "bill_type":
		return "NO_SUCC"
	}
	switch {
	case strings.HasSuffix(name, "appid"):
		return "wxd678efh567hg6787"
	case strings.HasSuffix(name, "openid"):
		return "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
	case strings.HasSuffix(name, "mchid") || strings.HasSuffix(name, "mch_id"):
		return "1900000109"
	case strings.HasSuffix(name, "url"):
		return "https://www.example.com/notify"
	case strings.HasSuffix(name, "_id") || strings.HasSuffix(name, "_no") || strings.HasSuffix(name, "_code"):
		return "4200000985202406011234567890"
	}
	return "wechatpaytest"
}

func answerSerial(srv *wechatpaytest.Server) string {
	if srv.Mode() == wechatpaytest.CertificateMode {
		return srv.Platform.Serial
	}
	return srv.PublicKeyID
}

// upload is a multipart/form-data body as WeChat Pay's uploads take it:
// a meta JSON part, signed in place of the body, and a file part.
type upload struct {
	*bytes.Reader
	meta        []byte
	contentType string
}

func (u *upload) SignedBody() []byte  { return u.meta }
func (u *upload) ContentType() string { return u.contentType }
func (u *upload) Size() int64         { return u.Reader.Size() }

// uploadBody builds the upload of an entry: for APIv3 a meta part holding
// filename, sha256 and the other required meta fields, then the file; for
// APIv2 (secapi/mch/uploadmedia) the media and its signed fields.
func uploadBody(e *catalog.Entry, srv *wechatpaytest.Server) (*upload, error) {
	file := []byte("\x89PNG\r\n\x1a\nwechatpaytest upload")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	u := &upload{}
	if e.Protocol == "v2" {
		sum := md5.Sum(file)
		fields := map[string]any{"mch_id": srv.MchID, "media_hash": hex.EncodeToString(sum[:]), "sign_type": "HMAC-SHA256"}
		fields["sign"] = v2Sign(fields, srv.Secret)
		if err := filePart(mw, "media", "image.jpg", file); err != nil {
			return nil, err
		}
		for _, k := range []string{"mch_id", "media_hash", "sign_type", "sign"} {
			mw.WriteField(k, fields[k].(string))
		}
	} else {
		sum := sha256.Sum256(file)
		meta := map[string]any{}
		fileName := "file"
		for _, n := range bodyNodes(e) {
			if n.Name != "meta" {
				fileName = n.Name
				continue
			}
			for _, m := range n.Children {
				switch {
				case m.Name == "filename" || m.Name == "file_name":
					meta[m.Name] = "image.jpg"
				case m.Name == "sha256" || m.Name == "file_digest":
					meta[m.Name] = hex.EncodeToString(sum[:])
				case !m.Required:
				case m.Type == "number" || m.Type == "integer":
					meta[m.Name] = 1
				default:
					meta[m.Name] = placeholder(m.Name)
				}
			}
		}
		u.meta, _ = json.Marshal(meta)
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="meta"`)
		h.Set("Content-Type", "application/json")
		w, err := mw.CreatePart(h)
		if err != nil {
			return nil, err
		}
		w.Write(u.meta)
		if err := filePart(mw, fileName, "image.jpg", file); err != nil {
			return nil, err
		}
	}
	if err := mw.Close(); err != nil {
		return nil, err
	}
	u.Reader = bytes.NewReader(buf.Bytes())
	u.contentType = mw.FormDataContentType()
	return u, nil
}

func filePart(mw *multipart.Writer, name, filename string, data []byte) error {
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, name, filename))
	h.Set("Content-Type", "image/jpeg")
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

func bodyNodes(e *catalog.Entry) []catalog.Node {
	for _, n := range e.Request {
		if n.Name == "body" {
			return n.Children
		}
	}
	return nil
}
