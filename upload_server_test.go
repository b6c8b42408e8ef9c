package wechatpay_test

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// uploadServer is a loopback WeChat Pay for uploads. It checks a multipart
// upload as WeChat Pay does, with code of its own: the APIv3 signature over
// the meta JSON and the file's SHA-256 against the meta, or the APIv2 sign
// over mch_id, media_hash and sign_type and the file's MD5. It streams the
// file, so that a large upload is not held in memory, and passes every
// other request to srv.
type uploadServer struct {
	srv  *wechatpaytest.Server
	keep int64 // keep the raw body of uploads up to this size

	mu  sync.Mutex
	got []receivedUpload
}

// receivedUpload is what the server saw of one upload.
type receivedUpload struct {
	Target      string
	ContentType string
	Chunked     bool
	MetaRaw     string
	Meta        map[string]any
	Parts       []string // "name|filename|content type" of each part
	Fields      map[string]string
	FileSize    int64
	FileSHA256  string
	FileMD5     string
	Raw         []byte // the whole body, when at most keep bytes
	ClientCert  bool
	Problem     string // why it was refused, "" when accepted
}

func newUploadServer(srv *wechatpaytest.Server) *uploadServer {
	return &uploadServer{srv: srv, keep: 1 << 20}
}

func (u *uploadServer) uploads() []receivedUpload {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]receivedUpload(nil), u.got...)
}

func (u *uploadServer) last(tb testing.TB) receivedUpload {
	tb.Helper()
	got := u.uploads()
	if len(got) == 0 {
		tb.Fatal("no upload received")
	}
	return got[len(got)-1]
}

func (u *uploadServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		u.srv.ServeHTTP(w, r)
		return
	}
	up := receivedUpload{Target: r.RequestURI, ContentType: r.Header.Get("Content-Type"), Fields: map[string]string{},
		Chunked: len(r.TransferEncoding) > 0, ClientCert: r.TLS != nil && len(r.TLS.PeerCertificates) > 0}
	var raw bytes.Buffer
	body := io.Reader(r.Body)
	if r.ContentLength >= 0 && r.ContentLength <= u.keep {
		body = io.TeeReader(body, &raw)
	}
	mr := multipart.NewReader(body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			up.Problem = "multipart: " + err.Error()
			break
		}
		up.Parts = append(up.Parts, p.FormName()+"|"+p.FileName()+"|"+p.Header.Get("Content-Type"))
		if p.FileName() != "" {
			s, m := sha256.New(), md5.New()
			up.FileSize, err = io.Copy(io.MultiWriter(s, m), p)
			up.FileSHA256, up.FileMD5 = hex.EncodeToString(s.Sum(nil)), hex.EncodeToString(m.Sum(nil))
		} else {
			var v []byte
			v, err = io.ReadAll(io.LimitReader(p, 1<<20))
			up.Fields[p.FormName()] = string(v)
		}
		if err != nil {
			up.Problem = "reading a part: " + err.Error()
		}
	}
	up.Raw = raw.Bytes()
	if strings.HasPrefix(r.URL.Path, "/v3/") {
		u.answerV3(w, r, &up)
	} else {
		u.answerV2(w, &up)
	}
	u.mu.Lock()
	u.got = append(u.got, up)
	u.mu.Unlock()
}

func (u *uploadServer) answerV3(w http.ResponseWriter, r *http.Request, up *receivedUpload) {
	up.MetaRaw = up.Fields["meta"]
	if up.Problem == "" {
		up.Problem = u.checkV3Signature(r, up.MetaRaw)
	}
	if up.Problem == "" {
		if err := json.Unmarshal([]byte(up.MetaRaw), &up.Meta); err != nil {
			up.Problem = "meta is not JSON"
		} else if up.Meta["sha256"] != nil && up.Meta["sha256"] != up.FileSHA256 {
			up.Problem = fmt.Sprintf("meta sha256 %v, file %s", up.Meta["sha256"], up.FileSHA256)
		}
	}
	status, answer := 200, map[string]any{"media_id": "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhnEBPEMH0b8ffDjjOYyyKV3vqYm5VW" + strconv.Itoa(len(u.uploads()))}
	if up.Problem != "" {
		status, answer = 400, map[string]any{"code": "PARAM_ERROR", "message": up.Problem}
	}
	body, _ := json.Marshal(answer)
	for k, v := range signAnswer(u.srv.Platform.Key, u.srv.Platform.Serial, body) {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// checkV3Signature checks the Authorization header over the meta JSON.
func (u *uploadServer) checkV3Signature(r *http.Request, meta string) string {
	scheme, params, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	if scheme != "WECHATPAY2-SHA256-RSA2048" {
		return "no WECHATPAY2-SHA256-RSA2048 Authorization"
	}
	p := map[string]string{}
	for _, kv := range strings.Split(params, ",") {
		k, v, _ := strings.Cut(kv, "=")
		p[k] = strings.Trim(v, `"`)
	}
	if p["mchid"] != u.srv.MchID || p["serial_no"] != u.srv.Merchant.Serial {
		return "wrong mchid or serial_no"
	}
	sig, _ := base64.StdEncoding.DecodeString(p["signature"])
	d := sha256.Sum256([]byte(r.Method + "\n" + r.RequestURI + "\n" + p["timestamp"] + "\n" + p["nonce_str"] + "\n" + meta + "\n"))
	if rsa.VerifyPKCS1v15(&u.srv.Merchant.Key.PublicKey, stdcrypto.SHA256, d[:], sig) != nil {
		return "the signature does not verify over the meta JSON"
	}
	return ""
}

func (u *uploadServer) answerV2(w http.ResponseWriter, up *receivedUpload) {
	f := up.Fields
	fail := func(msg string) {
		up.Problem = msg
		w.Write([]byte("<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[" + msg + "]]></return_msg></xml>"))
	}
	switch {
	case up.Problem != "":
		fail(up.Problem)
	case !up.ClientCert:
		fail("证书错误")
	case f["mch_id"] != u.srv.MchID:
		fail("mch_id参数错误")
	case f["media_hash"] != up.FileMD5:
		fail("media_hash does not match the file")
	case f["sign"] != signV2ForTest(map[string]string{"mch_id": f["mch_id"], "media_hash": f["media_hash"], "sign_type": f["sign_type"]}, f["sign_type"], u.srv.Secret):
		fail("签名错误")
	default:
		answer := map[string]string{"return_code": "SUCCESS", "result_code": "SUCCESS", "mch_id": u.srv.MchID,
			"media_id": "6uqyGjGrCf2GtyXP8bxrbuH9-aAoTjH-5Zr1ZGhLXq6U0ALX3ZDwZlDIbAsn4s_pSl3A==", "nonce_str": "ibuaiVeH"}
		answer["sign"] = signV2ForTest(answer, f["sign_type"], u.srv.Secret)
		var b strings.Builder
		b.WriteString("<xml>")
		for k, v := range answer {
			b.WriteString("<" + k + "><![CDATA[" + v + "]]></" + k + ">")
		}
		b.WriteString("</xml>")
		w.Write([]byte(b.String()))
	}
}

// signAnswer returns the Wechatpay-* headers WeChat Pay puts on an answer
// body, signed with key now.
func signAnswer(key *rsa.PrivateKey, serial string, body []byte) http.Header {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := "upl0adn0nce"
	d := sha256.Sum256([]byte(ts + "\n" + nonce + "\n" + string(body) + "\n"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, stdcrypto.SHA256, d[:])
	return http.Header{
		"Wechatpay-Timestamp": {ts}, "Wechatpay-Nonce": {nonce},
		"Wechatpay-Serial": {serial}, "Wechatpay-Signature": {base64.StdEncoding.EncodeToString(sig)},
	}
}

// signV2ForTest computes an APIv2 sign from WeChat Pay's rules.
func signV2ForTest(fields map[string]string, signType, key string) string {
	keys := make([]string, 0, len(fields))
	for k, v := range fields {
		if k != "sign" && v != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + fields[k] + "&")
	}
	b.WriteString("key=" + key)
	var h hash.Hash = md5.New()
	if signType == "HMAC-SHA256" {
		h = hmac.New(sha256.New, []byte(key))
	}
	h.Write([]byte(b.String()))
	return strings.ToUpper(hex.EncodeToString(h.Sum(nil)))
}
