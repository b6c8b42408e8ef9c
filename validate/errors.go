package validate

import (
	"errors"
	"strconv"
	"strings"
)

// ErrInvalid matches every *ValidationError: errors.Is(err,
// validate.ErrInvalid) tells that a request was refused before it was
// signed or sent.
var ErrInvalid = errors.New("validate: request does not match the endpoint's documentation")

// ValidationError is a request refused before it was signed: nothing was
// sent. It lists every problem found, each with its field's path.
type ValidationError struct {
	// Method and Endpoint name the call: "POST", "v3/pay/transactions/native".
	Method, Endpoint string
	// Title is the endpoint's official name (官方名称), e.g. "Native下单".
	Title string
	// Problems are what is wrong, in the order of the request.
	Problems []Problem
}

// Error lists the problems on one line:
//
//	validate: POST v3/pay/transactions/native (Native下单): amount.total: want integer, got string "100"; description: required, missing
func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("validate: ")
	b.WriteString(e.Method + " " + e.Endpoint)
	if e.Title != "" {
		b.WriteString(" (" + e.Title + ")")
	}
	for i, p := range e.Problems {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(p.String())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// Has tells whether a problem of kind k concerns the field at path (as
// Problem.Field writes it: "amount.total", "query.limit").
func (e *ValidationError) Has(k Kind, path string) bool {
	for _, p := range e.Problems {
		if p.Kind == k && p.Field() == path {
			return true
		}
	}
	return false
}

// Kind classifies a Problem.
type Kind string

// Kinds of problems. Deprecated and UnknownEndpoint are only ever
// warnings; Unknown is an error in strict mode, a warning otherwise.
const (
	Missing         Kind = "missing"          // a required field is absent
	WrongType       Kind = "type"             // string for integer, object for array, …
	NotInEnum       Kind = "enum"             // a value the documentation does not list
	NotConst        Kind = "const"            // a fixed value that differs (security: true)
	TooLong         Kind = "max_length"       // longer than documented, in bytes
	Unknown         Kind = "unknown"          // a field the endpoint does not document
	NotEncrypted    Kind = "not_encrypted"    // a sensitive field (敏感信息) in clear text
	Malformed       Kind = "malformed"        // a body or JSON-encoded field that does not parse
	Deprecated      Kind = "deprecated"       // the endpoint is deprecated (已废弃) or discarded (已下线)
	UnknownEndpoint Kind = "unknown_endpoint" // the catalog does not document the call
)

// Problem is one thing wrong with a request.
type Problem struct {
	Kind Kind
	// Location is where the field is: "json" (the body), "query",
	// "path" (a URI template variable), "headers", "xml" (APIv2 fields),
	// "meta" (an upload's meta JSON), or "" for an option of the call
	// ("security") or the call as a whole.
	Location string
	// Path is the field within its location, "amount.total" or
	// "detail.goods_detail[0].quantity"; "" for the location as a whole.
	Path string
	// Issue says what is wrong and, where it helps, what to do.
	Issue string
}

// Field returns the field as the error writes it: the JSON body's fields
// as they are ("amount.total"), the others after their location
// ("query.limit", "xml.total_fee", "headers.Wechatpay-Serial"), URI
// template variables in braces ("{out_trade_no}").
func (p Problem) Field() string {
	switch {
	case p.Location == "":
		return p.Path
	case p.Location == "path":
		return "{" + p.Path + "}"
	case p.Location == "json" && p.Path != "":
		return p.Path
	case p.Path == "":
		return p.Location
	}
	return p.Location + "." + p.Path
}

// String returns "field: issue".
func (p Problem) String() string {
	if f := p.Field(); f != "" {
		return f + ": " + p.Issue
	}
	return p.Issue
}

// Warning is a Problem reported but not refused: a deprecated endpoint,
// one the catalog does not document, an undocumented field outside strict
// mode.
type Warning struct {
	// Method and Endpoint name the call, as in ValidationError.
	Method, Endpoint string
	Problem
}

// String returns "METHOD endpoint: field: issue".
func (w Warning) String() string { return w.Method + " " + w.Endpoint + ": " + w.Problem.String() }

// quote writes a value for a message: strings quoted and cut to 40 bytes.
func quote(s string) string {
	const max = 40
	if len(s) <= max {
		return strconv.Quote(s)
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // not in the middle of a UTF-8 sequence
		cut--
	}
	return strconv.Quote(s[:cut]) + "…"
}
