package wechatpaytest

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"strings"
)

// parseMultipart reads the parts of a multipart/form-data body into
// r.Parts; other bodies are left alone.
func parseMultipart(r *Request) error {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || !strings.EqualFold(mt, "multipart/form-data") {
		return nil
	}
	if params["boundary"] == "" {
		return errors.New("no boundary in Content-Type")
	}
	mr := multipart.NewReader(bytes.NewReader(r.Body), params["boundary"])
	r.Parts = []Part{}
	for {
		p, err := mr.NextRawPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return err
		}
		r.Parts = append(r.Parts, Part{Name: p.FormName(), Filename: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
	}
}

// signedBody returns what an APIv3 request's signature covers: the body,
// or for an upload the JSON of its meta part.
func (r *Request) signedBody() []byte {
	if r.Parts != nil {
		if p := r.Part("meta"); p != nil {
			return p.Data
		}
		return nil
	}
	return r.Body
}
