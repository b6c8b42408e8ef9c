package wechatpay

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Media is a file to upload to WeChat Pay (图片/视频/文件上传), streamed from
// disk or a reader without being held in memory. PHP: WeChatPay\Util\MediaUtil.
//
// It plugs into the body option: an APIv3 call sends it as the
// multipart/form-data form WeChat Pay's upload endpoints take
// (v3/merchant/media/upload, v3/merchant/media/video_upload,
// v3/marketing/favor/media/image-upload, v3/merchant-service/images/upload,
// …), and signs only the JSON of its "meta" part, as WeChat Pay requires:
//
//	media, err := wechatpay.OpenMedia("/path/to/photo.jpg")
//	res, err := client.Chain("v3/merchant/media/upload").Post(wechatpay.M{"body": media})
//	mediaID := res.Get("media_id").String()
//
// An APIv2 call (v2/secapi/mch/uploadmedia) sends it as the APIv2 form
// instead; see FormV2 and Client.Upload.
//
// The body is laid out byte for byte as wechatpay-php's MediaUtil (Guzzle's
// MultipartStream) lays it out:
//
//	--BOUNDARY
//	Content-Type: application/json
//	Content-Disposition: form-data; name="meta"
//
//	{"filename":"photo.jpg","sha256":"…"}
//	--BOUNDARY
//	Content-Disposition: form-data; name="file"; filename="photo.jpg"
//	Content-Length: 12345
//	Content-Type: image/jpeg
//
//	…the file…
//	--BOUNDARY--
//
// with CRLF line ends: the meta part's Content-Type before its
// Content-Disposition, the file part's Content-Length when the file's size
// is known, and a boundary of 40 random hex digits. (WeChat Pay's
// documentation writes the meta part's headers the other way round, and
// the Node SDK leaves its Content-Type out; a multipart reader takes them
// in any order.) A filename's ", CR and LF are written %22, %0D and %0A, as
// browsers and Guzzle do.
//
// A Media is sent by one call at a time. One made from a path or an
// io.ReadSeeker may be sent again; one made from another reader is sent
// once, like the reader it came from.
type Media struct {
	filename    string
	contentType string
	digest      string // lower-case hex SHA-256 of the file
	meta        []byte // the JSON of the meta part: what the request signs
	boundary    string
	src         mediaSource
	body        partStream
}

// MediaError reports a file that cannot be prepared for upload, or a Media
// that cannot be sent (again).
type MediaError struct {
	// Filename is the file's name, as it would be sent.
	Filename string
	// Problem says what is wrong.
	Problem string
	// Err is the cause, if any.
	Err error
}

// Error says which file and what is wrong.
func (e *MediaError) Error() string {
	msg := "wechatpay: media " + fmt.Sprintf("%q", e.Filename) + ": " + e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *MediaError) Unwrap() error { return e.Err }

// MediaOption tunes OpenMedia and NewMedia.
type MediaOption func(*mediaOptions)

type mediaOptions struct {
	meta        []metaEdit
	contentType string
	digest      string
	size        int64
	spoolDir    string
	boundary    string
}

// MediaMeta adds fields to the meta JSON, for the endpoints that want more
// than filename and sha256 (bank_type for v3/marketing/bank/packages/…/tasks,
// say). The meta JSON starts as filename and sha256, computed, in that
// order, as wechatpay-php writes it; a nil value removes a field.
//
// An Ordered keeps the caller's order, as a PHP array does: its fields come
// in its order, after the defaults it does not name, so that
//
//	wechatpay.MediaMeta(wechatpay.Ordered{{"bank_type", "ICBC"}, {"filename", "a.csv"}, {"sha256", digest}})
//
// writes {"bank_type":"ICBC","filename":"a.csv","sha256":"…"}. A map's
// fields replace the defaults of their names in place, and the others
// follow in key order. Several MediaMeta options apply in turn.
func MediaMeta[T M | map[string]any | Ordered](fields T) MediaOption {
	var edits []metaEdit
	switch f := any(fields).(type) {
	case Ordered:
		for _, e := range f {
			k, ok := e[0].(string)
			if !ok {
				k = "\x00" // matches no field; the JSON then names the key's type
			}
			edits = append(edits, metaEdit{entry: e, key: k, move: true})
		}
	case M:
		edits = mapEdits(f)
	case map[string]any:
		edits = mapEdits(f)
	}
	return func(o *mediaOptions) { o.meta = append(o.meta, edits...) }
}

// metaEdit is one field MediaMeta gives: move tells an Ordered's, which
// takes its place from the Ordered.
type metaEdit struct {
	entry [2]any
	key   string
	move  bool
}

func mapEdits(m map[string]any) []metaEdit {
	edits := make([]metaEdit, 0, len(m))
	for _, k := range sortedKeys(m) {
		edits = append(edits, metaEdit{entry: [2]any{k, m[k]}, key: k})
	}
	return edits
}

// metaFields applies the MediaMeta edits to the default meta fields.
func metaFields(defaults Ordered, edits []metaEdit) Ordered {
	meta := slices.Clone(defaults)
	for _, e := range edits {
		i := slices.IndexFunc(meta, func(f [2]any) bool { k, ok := f[0].(string); return ok && k == e.key })
		switch {
		case i >= 0 && (e.move || e.entry[1] == nil):
			meta = slices.Delete(meta, i, i+1)
		case i >= 0:
			meta[i][1] = e.entry[1]
			continue
		}
		if e.entry[1] != nil {
			meta = append(meta, e.entry)
		}
	}
	return meta
}

// MediaContentType sets the file part's Content-Type, which is otherwise
// taken from the file name's extension (application/octet-stream when
// unknown).
func MediaContentType(contentType string) MediaOption {
	return func(o *mediaOptions) { o.contentType = contentType }
}

// MediaSHA256 gives the file's SHA-256 (64 hex digits), so that it is not
// computed. With it, NewMedia streams a reader that cannot seek straight
// into the one request it can serve, instead of copying it to a temporary
// file first.
func MediaSHA256(hexDigest string) MediaOption {
	return func(o *mediaOptions) { o.digest = hexDigest }
}

// MediaSize gives the length of a reader that cannot seek, with
// MediaSHA256, so that the request has a Content-Length; without it such a
// body is sent chunked, as wechatpay-php sends uploads.
func MediaSize(n int64) MediaOption {
	return func(o *mediaOptions) { o.size = n }
}

// MediaSpoolDir sets where NewMedia copies a reader that cannot seek (the
// system's temporary directory by default).
func MediaSpoolDir(dir string) MediaOption {
	return func(o *mediaOptions) { o.spoolDir = dir }
}

// MediaBoundary sets the multipart boundary, which is otherwise random; for
// tests that compare bodies byte for byte. It must be 1 to 70 characters of
// RFC 2046's boundary alphabet, not ending in a space.
func MediaBoundary(boundary string) MediaOption {
	return func(o *mediaOptions) { o.boundary = boundary }
}

// OpenMedia prepares the file at path for upload. It reads the file once to
// compute its SHA-256, and opens it again, briefly, each time it is sent.
func OpenMedia(path string, opts ...MediaOption) (*Media, error) {
	o := applyMediaOptions(opts)
	name := baseName(path)
	fail := func(problem string, err error) (*Media, error) {
		return nil, &MediaError{Filename: name, Problem: problem, Err: err}
	}
	st, err := os.Stat(path)
	if err != nil {
		return fail("cannot be read", err)
	}
	if !st.Mode().IsRegular() {
		return fail("is not a regular file", nil)
	}
	src, size := &pathSource{path: path}, st.Size()
	if o.digest == "" {
		if o.digest, size, err = digestOf(src, sha256.New()); err != nil {
			return fail("cannot be read", err)
		}
	}
	return newMedia(name, src, size, o)
}

// digestOf reads src from the start through h, and returns the digest in
// lower-case hex and the length read.
func digestOf(src mediaSource, h hash.Hash) (string, int64, error) {
	f, err := src.open()
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// NewMedia prepares what r reads for upload under filename (its base name
// is sent). The SHA-256 the meta part needs is taken from MediaSHA256, or
// computed by reading r through:
//
//   - an io.ReadSeeker (an *os.File, a *bytes.Reader, …) is read from its
//     current position, then sought back there for each send; it stays the
//     caller's to close, after the uploads;
//   - any other reader is copied, while hashing, to a temporary file (see
//     MediaSpoolDir), which is sent once and removed when the Media is
//     closed: the client closes it after sending it, and a Media never sent
//     should be closed by its maker;
//   - with MediaSHA256, a reader that cannot seek is not copied: it is
//     streamed into the one request it can serve.
func NewMedia(filename string, r io.Reader, opts ...MediaOption) (*Media, error) {
	o := applyMediaOptions(opts)
	name := baseName(filename)
	fail := func(problem string, err error) (*Media, error) {
		return nil, &MediaError{Filename: name, Problem: problem, Err: err}
	}
	if r == nil {
		return fail("has a nil reader", nil)
	}
	if rs, ok := r.(io.ReadSeeker); ok {
		if start, err := rs.Seek(0, io.SeekCurrent); err == nil {
			src := &seekSource{r: rs, start: start}
			var size int64
			if o.digest == "" {
				o.digest, size, err = digestOf(src, sha256.New())
			} else if size, err = rs.Seek(0, io.SeekEnd); err == nil {
				size -= start
			}
			if err != nil {
				return fail("cannot be read", err)
			}
			return newMedia(name, src, size, o)
		}
	}
	if o.digest != "" {
		size := int64(-1)
		if o.size > 0 {
			size = o.size
		}
		return newMedia(name, &onceSource{r: r}, size, o)
	}
	spool, size, digest, err := spoolReader(r, o.spoolDir)
	if err != nil {
		return fail("cannot be copied to a temporary file", err)
	}
	o.digest = digest
	m, err := newMedia(name, spool, size, o)
	if err != nil {
		spool.release()
	}
	return m, err
}

func applyMediaOptions(opts []MediaOption) *mediaOptions {
	o := &mediaOptions{}
	for _, opt := range opts {
		if opt != nil {
			opt(o)
		}
	}
	return o
}

func newMedia(name string, src mediaSource, size int64, o *mediaOptions) (*Media, error) {
	fail := func(problem string) (*Media, error) {
		return nil, &MediaError{Filename: name, Problem: problem}
	}
	switch {
	case name == "" || name == "." || name == "/":
		return fail("has no file name: WeChat Pay needs one, with its extension")
	case len(o.digest) != 64 || !isHex(o.digest):
		return fail("SHA-256 must be 64 hex digits")
	}
	boundary := o.boundary
	if boundary == "" {
		boundary = randomBoundary()
	} else if !validBoundary(boundary) {
		return fail("boundary must be 1 to 70 characters of RFC 2046's alphabet, not ending in a space")
	}
	contentType := o.contentType
	if contentType == "" {
		contentType = mediaType(name)
	}
	if strings.ContainsAny(contentType, "\r\n") {
		return fail("content type holds a line break")
	}
	digest := strings.ToLower(o.digest)
	meta, err := metaFields(Ordered{{"filename", name}, {"sha256", digest}}, o.meta).MarshalJSON()
	if err != nil {
		return nil, &MediaError{Filename: name, Problem: "meta fields cannot be encoded", Err: err}
	}
	m := &Media{filename: name, contentType: contentType, digest: digest, meta: meta, boundary: boundary, src: src}
	var head bytes.Buffer
	// The headers in wechatpay-php's order (Guzzle's MultipartStream): the
	// meta part's Content-Type, given, before the Content-Disposition it
	// adds; the file part's Content-Disposition, Content-Length (when its
	// size is known), Content-Type.
	writePart(&head, boundary, [2]string{"Content-Type", "application/json"}, [2]string{"Content-Disposition", `form-data; name="meta"`})
	head.Write(meta)
	head.WriteString("\r\n")
	fileHeaders := [][2]string{{"Content-Disposition", `form-data; name="file"; filename="` + escapeQuoted(name) + `"`}}
	if size > 0 {
		fileHeaders = append(fileHeaders, [2]string{"Content-Length", strconv.FormatInt(size, 10)})
	}
	fileHeaders = append(fileHeaders, [2]string{"Content-Type", contentType})
	writePart(&head, boundary, fileHeaders...)
	m.body = partStream{name: name, src: src, head: head.Bytes(), tail: []byte("\r\n--" + boundary + "--\r\n"), fileSize: size}
	return m, nil
}

// Read reads the multipart body; the client calls it while sending.
func (m *Media) Read(p []byte) (int, error) { return m.body.Read(p) }

// Close ends a send: the client calls it once the body is written. It
// closes the file the send read and rewinds, so that the Media can be sent
// again; for a Media made from a reader that cannot seek, it removes the
// temporary copy, and the Media cannot be sent again. Closing a Media that
// is not being sent is harmless.
func (m *Media) Close() error { return m.body.Close() }

// SignedBody returns the meta JSON, which the APIv3 signature covers in
// place of the body.
func (m *Media) SignedBody() []byte { return m.meta }

// ContentType returns the request's Content-Type: multipart/form-data with
// the boundary.
func (m *Media) ContentType() string { return "multipart/form-data; boundary=" + m.boundary }

// Size returns the length of the multipart body, or -1 when the file's
// length is unknown (the body is then sent chunked).
func (m *Media) Size() int64 { return m.body.size() }

// Filename returns the file name that is sent.
func (m *Media) Filename() string { return m.filename }

// SHA256 returns the file's SHA-256 in lower-case hex, as the meta part
// carries it.
func (m *Media) SHA256() string { return m.digest }

// Meta returns a copy of the meta JSON.
func (m *Media) Meta() []byte { return bytes.Clone(m.meta) }

// FileContentType returns the file part's Content-Type.
func (m *Media) FileContentType() string { return m.contentType }

// writePart writes a boundary line and a part's headers, in order.
func writePart(b *bytes.Buffer, boundary string, headers ...[2]string) {
	b.WriteString("--" + boundary + "\r\n")
	for _, h := range headers {
		b.WriteString(h[0] + ": " + h[1] + "\r\n")
	}
	b.WriteString("\r\n")
}

// escapeQuoted escapes a quoted parameter of Content-Disposition as the
// WHATWG form encoding (and Guzzle) do.
func escapeQuoted(s string) string {
	return strings.NewReplacer("\r", "%0D", "\n", "%0A", `"`, "%22").Replace(s)
}

// baseName returns the last element of a slash- or backslash-separated
// path.
func baseName(p string) string {
	if i := strings.LastIndexAny(p, `/\`); i >= 0 {
		return p[i+1:]
	}
	return p
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil
}

func randomBoundary() string {
	var b [20]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// validBoundary checks RFC 2046's bchars: 1 to 70 of them, the last not a
// space.
func validBoundary(b string) bool {
	if len(b) == 0 || len(b) > 70 || b[len(b)-1] == ' ' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || strings.IndexByte("'()+_,-./:=? ", c) >= 0) {
			return false
		}
	}
	return true
}

// mediaTypes maps the extensions of the files WeChat Pay takes (images,
// videos, documents) to their media types, as in the mime-db registry that
// Guzzle and the Node SDK follow.
var mediaTypes = map[string]string{
	"bmp": "image/bmp", "gif": "image/gif", "jpe": "image/jpeg", "jpeg": "image/jpeg", "jpg": "image/jpeg",
	"png": "image/png", "webp": "image/webp",
	"avi": "video/x-msvideo", "f4v": "video/mp4", "flv": "video/x-flv", "m4v": "video/x-m4v",
	"mkv": "video/x-matroska", "mov": "video/quicktime", "mp4": "video/mp4", "mpeg": "video/mpeg",
	"mpg": "video/mpeg", "rmvb": "application/vnd.rn-realmedia-vbr", "wmv": "video/x-ms-wmv",
	"csv": "text/csv", "json": "application/json", "pdf": "application/pdf", "txt": "text/plain",
	"xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"zip": "application/zip",
}

// mediaType returns the media type for a file name's extension.
func mediaType(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		if t, ok := mediaTypes[strings.ToLower(name[i+1:])]; ok {
			return t
		}
	}
	return "application/octet-stream"
}

// mediaSource gives the file's bytes, from the start, for each send.
type mediaSource interface {
	// open returns a reader from the file's first byte.
	open() (io.ReadCloser, error)
	// sent is told when a send ends; a source that can be read only once
	// releases what it holds.
	sent()
}

// pathSource opens a file by its path for each send.
type pathSource struct{ path string }

func (s *pathSource) open() (io.ReadCloser, error) { return os.Open(s.path) }
func (s *pathSource) sent()                        {}

// seekSource seeks a caller's reader back to where it started, for each
// send; the caller closes it.
type seekSource struct {
	r     io.ReadSeeker
	start int64
}

func (s *seekSource) open() (io.ReadCloser, error) {
	if _, err := s.r.Seek(s.start, io.SeekStart); err != nil {
		return nil, err
	}
	return io.NopCloser(s.r), nil
}
func (s *seekSource) sent() {}

// errMediaSent is the cause of a MediaError for a one-shot Media sent again.
var errMediaSent = errors.New("it was made from a reader that cannot seek and was sent (or closed) already; make a new Media")

// onceSource streams a reader that cannot seek, once.
type onceSource struct {
	mu   sync.Mutex
	r    io.Reader
	used bool
}

func (s *onceSource) open() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.used {
		return nil, errMediaSent
	}
	s.used = true
	return io.NopCloser(s.r), nil
}

func (s *onceSource) sent() {
	s.mu.Lock()
	s.used = true
	s.mu.Unlock()
}

// spoolSource is the temporary copy of a reader that cannot seek. It is
// removed after one send, or when the Media is closed unsent, or, as a last
// resort, when it becomes unreachable.
type spoolSource struct {
	mu      sync.Mutex
	path    string
	gone    bool
	cleanup runtime.Cleanup
}

// spoolReader copies r to a temporary file, hashing it on the way.
func spoolReader(r io.Reader, dir string) (*spoolSource, int64, string, error) {
	f, err := os.CreateTemp(dir, "wechatpay-media-*")
	if err != nil {
		return nil, 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return nil, 0, "", err
	}
	s := &spoolSource{path: f.Name()}
	s.cleanup = runtime.AddCleanup(s, func(path string) { os.Remove(path) }, f.Name())
	return s, n, hex.EncodeToString(h.Sum(nil)), nil
}

func (s *spoolSource) open() (io.ReadCloser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.gone {
		return nil, errMediaSent
	}
	return os.Open(s.path)
}

func (s *spoolSource) sent() { s.release() }

func (s *spoolSource) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.gone {
		s.gone = true
		s.cleanup.Stop()
		os.Remove(s.path)
	}
}

// partStream is a multipart body being sent: the head, the file from its
// source, the tail. It opens the file at the first Read and closes it at
// Close, which the transport calls once the body is written.
type partStream struct {
	name       string // the file name, for errors
	src        mediaSource
	head, tail []byte
	fileSize   int64 // -1 when unknown

	mu      sync.Mutex
	file    io.ReadCloser
	cur     io.Reader
	started bool
}

func (s *partStream) size() int64 {
	if s.fileSize < 0 {
		return -1
	}
	return int64(len(s.head)) + s.fileSize + int64(len(s.tail))
}

// ready reports whether the body can be sent: a one-shot source that was
// sent already cannot.
func (s *partStream) ready() error {
	var spent bool
	switch src := s.src.(type) {
	case *onceSource:
		src.mu.Lock()
		spent = src.used
		src.mu.Unlock()
	case *spoolSource:
		src.mu.Lock()
		spent = src.gone
		src.mu.Unlock()
	}
	if spent {
		return &MediaError{Filename: s.name, Problem: "cannot be sent", Err: errMediaSent}
	}
	return nil
}

// Read opens the file at the first call and reads head, file and tail.
func (s *partStream) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.started {
		f, err := s.src.open()
		if err != nil {
			return 0, &MediaError{Filename: s.name, Problem: "cannot be sent", Err: err}
		}
		s.started, s.file = true, f
		s.cur = io.MultiReader(bytes.NewReader(s.head), f, bytes.NewReader(s.tail))
	}
	return s.cur.Read(p)
}

// Close closes the file and rewinds, releasing a one-shot source.
func (s *partStream) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var err error
	if s.file != nil {
		err = s.file.Close()
	}
	if s.started {
		s.src.sent()
	} else if sp, ok := s.src.(*spoolSource); ok {
		sp.release() // closed unsent: nothing will send it
	} else if once, ok := s.src.(*onceSource); ok {
		once.sent()
	}
	s.file, s.cur, s.started = nil, nil, false
	return err
}
