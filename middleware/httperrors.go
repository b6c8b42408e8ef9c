package middleware

import (
	"context"
	"encoding/json"
)

// HTTPErrors returns the "http_errors" step: a non-2xx answer becomes an
// *APIError carrying WeChat Pay's code, message and detail.
func HTTPErrors() Middleware {
	return func(next Handler) Handler {
		return HandlerFunc(func(ctx context.Context, req *Request) (*Response, error) {
			resp, err := next.Handle(ctx, req)
			if err != nil || (resp.StatusCode >= 200 && resp.StatusCode <= 299) {
				return resp, err
			}
			return nil, newAPIError(resp)
		})
	}
}

func newAPIError(resp *Response) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, RequestID: resp.RequestID(), Response: resp}
	var body struct {
		Code    string       `json:"code"`
		Message string       `json:"message"`
		Detail  *ErrorDetail `json:"detail"`
	}
	if json.Unmarshal(resp.Body, &body) == nil {
		e.Code, e.Message, e.Detail = body.Code, body.Message, body.Detail
	}
	return e
}
