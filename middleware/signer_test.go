package middleware

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
)

func TestSignerWithoutKeySendsNothing(t *testing.T) {
	sent := false
	next := HandlerFunc(func(context.Context, *Request) (*Response, error) {
		sent = true
		return &Response{StatusCode: 200}, nil
	})
	req := &Request{Method: "GET", URL: &url.URL{Scheme: "https", Host: "api.mch.weixin.qq.com", Path: "/v3/certificates"}, Header: http.Header{}}
	_, err := Signer("1900000109", "3775B6A4", nil)(next).Handle(context.Background(), req)
	var se *SignError
	if !errors.As(err, &se) || !errors.Is(err, errNoKey) || sent {
		t.Fatalf("err = %v, sent = %t", err, sent)
	}
}
