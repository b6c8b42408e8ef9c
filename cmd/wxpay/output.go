package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/validate"
)

// prettyJSON indents the JSON document src by two spaces, keeping its keys
// in their order, its numbers as written, and non-ASCII text as text (a
// \u escape in src is written as the character).
func prettyJSON(src []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var b bytes.Buffer
	if err := writeJSONValue(dec, &b, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON value")
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// writeJSONValue copies the next value of dec to b, indented at depth.
func writeJSONValue(dec *json.Decoder, b *bytes.Buffer, depth int) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch t := tok.(type) {
	case json.Delim:
		closing := byte('}')
		if t == '[' {
			closing = ']'
		}
		b.WriteByte(byte(t))
		if !dec.More() {
			_, err := dec.Token()
			b.WriteByte(closing)
			return err
		}
		for first := true; dec.More(); first = false {
			if !first {
				b.WriteByte(',')
			}
			newline(b, depth+1)
			if t == '{' {
				key, err := dec.Token()
				if err != nil {
					return err
				}
				writeJSONString(b, key.(string))
				b.WriteString(": ")
			}
			if err := writeJSONValue(dec, b, depth+1); err != nil {
				return err
			}
		}
		if _, err := dec.Token(); err != nil {
			return err
		}
		newline(b, depth)
		b.WriteByte(closing)
	case string:
		writeJSONString(b, t)
	case json.Number:
		b.WriteString(t.String())
	case bool:
		fmt.Fprint(b, t)
	case nil:
		b.WriteString("null")
	}
	return nil
}

func newline(b *bytes.Buffer, depth int) {
	b.WriteByte('\n')
	for range depth {
		b.WriteString("  ")
	}
}

// writeJSONString writes s as a JSON string, escaping only what JSON
// requires.
func writeJSONString(b *bytes.Buffer, s string) {
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	enc.Encode(s) // a string always encodes
	b.Truncate(b.Len() - 1)
}

// marshalPretty encodes v as indented JSON, non-ASCII and HTML characters
// as they are.
func marshalPretty(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// formatBody is how an answer's body is printed: an APIv2 XML answer as a
// JSON object of its fields, a JSON body pretty-printed, anything else (a
// CSV bill, an image) as it is.
func formatBody(res *wechatpay.Response) []byte {
	if len(bytes.TrimSpace(res.Body)) == 0 {
		return nil
	}
	if fields, err := res.XML(); err == nil {
		if out, err := marshalPretty(fields); err == nil {
			return out
		}
	}
	if json.Valid(res.Body) {
		if out, err := prettyJSON(res.Body); err == nil {
			return out
		}
	}
	return res.Body
}

// writeHead writes the status line and the headers of an answer, sorted by
// name, then an empty line, as curl -i does.
func writeHead(w io.Writer, res *wechatpay.Response) {
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\n", res.StatusCode, http.StatusText(res.StatusCode))
	names := make([]string, 0, len(res.Header))
	for k := range res.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range res.Header[k] {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	b.WriteByte('\n')
	io.WriteString(w, b.String())
}

// explain says why a call failed, in the words a merchant needs: the
// status, code, message and Request-ID of a refusal; the return_code and
// err_code of an APIv2 failure; the reason an answer was not trusted;
// whether a request that broke may have reached WeChat Pay. The
// configuration is named by the file's keys.
func explain(err error) string {
	msg := inFileTerms(err.Error())
	var (
		ve *wechatpay.VerifyError
		te *wechatpay.TransportError
		v2 *wechatpay.V2Error
		oe *wechatpay.OptionError
	)
	switch {
	case errors.As(err, &oe) && strings.HasPrefix(oe.Problem, "is missing: the path"):
		msg += fmt.Sprintf("\ngive it with --var %s=VALUE", oe.Option)
	case errors.As(err, &ve):
		msg += "\ndo not act on this answer; a call that changes something may still have taken effect: query before retrying"
	case errors.Is(err, wechatpay.ErrMerchantCertRejected):
		msg += "\nnothing reached WeChat Pay; replace the merchant certificate (merchant.cert in the config, apiclient_cert.pem) before retrying"
	case errors.As(err, &te) && te.Err != nil && strings.Contains(te.Err.Error(), "need an https"):
		msg += "\nthe merchant certificate is presented over TLS only: use an https base_url (`wxpay sandbox --tls` serves one)"
	case errors.As(err, &te):
		if te.Sent {
			msg += "\nit may have taken effect: query the order before retrying"
		} else {
			msg += "\nnothing reached WeChat Pay: it is safe to retry"
		}
	case errors.As(err, &v2):
		if v2.Response != nil {
			if id := v2.Response.RequestID(); id != "" {
				msg += " (Request-ID " + id + ")"
			}
		}
	}
	return msg
}

// exitCodeOf is the exit code of a failed call: usage for an option the
// SDK refused before sending anything, failure otherwise.
func exitCodeOf(err error) int {
	var oe *wechatpay.OptionError
	var ve *validate.ValidationError
	if errors.As(err, &oe) || errors.As(err, &ve) {
		return exitUsage
	}
	return exitFailure
}

// failedAnswer is the answer a failed call received, if any.
func failedAnswer(err error) *wechatpay.Response {
	var (
		ae *wechatpay.APIError
		v2 *wechatpay.V2Error
		ve *wechatpay.VerifyError
	)
	switch {
	case errors.As(err, &ae):
		return ae.Response
	case errors.As(err, &v2):
		return v2.Response
	case errors.As(err, &ve):
		return ve.Response
	}
	return nil
}
