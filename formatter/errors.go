package formatter

import (
	"errors"
	"strconv"
)

// ErrNonceLength is returned by NonceN for a length below one: an empty
// nonce would make every signed message replayable.
var ErrNonceLength = errors.New("formatter: nonce length must be at least 1")

// ErrUnsupportedValue is matched (errors.Is) by every error Stringify
// returns; *UnsupportedValueError carries the details.
var ErrUnsupportedValue = errors.New("formatter: unsupported field value")

// ErrMalformedBill is matched (errors.Is) by every error CastCSVBill and
// CastCSVLine return; *BillError carries the details.
var ErrMalformedBill = errors.New("formatter: malformed bill")

// UnsupportedValueError reports a value that has no single wire string,
// such as a map, a slice, a struct or a NaN float.
type UnsupportedValueError struct {
	Type   string // the Go type of the value, as %T prints it
	Reason string // why it cannot be written
}

// Error says which type was refused and why.
func (e *UnsupportedValueError) Error() string {
	return "formatter: unsupported field value of type " + e.Type + ": " + e.Reason
}

// Unwrap lets errors.Is match ErrUnsupportedValue.
func (e *UnsupportedValueError) Unwrap() error { return ErrUnsupportedValue }

// BillError reports where and how a CSV bill breaks the expected layout.
type BillError struct {
	Line int    // 1-based line of the bill, 0 when the input was a single line
	Msg  string // what is wrong
}

// Error says what is wrong and on which line.
func (e *BillError) Error() string {
	if e.Line > 0 {
		return "formatter: malformed bill: line " + strconv.Itoa(e.Line) + ": " + e.Msg
	}
	return "formatter: malformed bill line: " + e.Msg
}

// Unwrap lets errors.Is match ErrMalformedBill.
func (e *BillError) Unwrap() error { return ErrMalformedBill }
