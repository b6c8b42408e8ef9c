package transformer

import (
	"errors"
	"strconv"
)

// ErrInvalidXML is matched (errors.Is) by every error ToMap returns for
// input that is not a single well-formed UTF-8 XML document.
var ErrInvalidXML = errors.New("transformer: invalid XML")

// ErrTooDeep is matched by the errors of ToMap and ToXML for elements nested
// deeper than MaxDepth; in ToXML it also stops a value that contains itself.
var ErrTooDeep = errors.New("transformer: elements nested too deeply")

// ErrNotDataSet is matched by the error ToMap returns for a document whose
// root element holds text instead of fields (such as "<span>test</span>"),
// which a map cannot represent.
var ErrNotDataSet = errors.New("transformer: the root element holds text, not fields")

// ErrNothingToWrite is returned by ToXML for an untyped nil value.
var ErrNothingToWrite = errors.New("transformer: nothing to write (nil)")

// ErrInvalidName is returned by ToXML when the root or item name of its
// options is not an element name it can write.
var ErrInvalidName = errors.New("transformer: invalid element name")

// ErrInvalidIndent is returned by ToXML for an indentation string that is
// not only spaces and tabs, which would add text to the document.
var ErrInvalidIndent = errors.New("transformer: invalid indentation")

// ErrInvalidText is matched by the errors of ToXML for a value that is not
// UTF-8 or holds a character XML 1.0 cannot carry (most control
// characters), which no parser would read back.
var ErrInvalidText = errors.New("transformer: text not representable in XML 1.0")

// SyntaxError reports why ToMap rejected its input. It matches ErrInvalidXML
// and, when set, its cause (such as ErrTooDeep or an *xml.SyntaxError).
type SyntaxError struct {
	Line int    // 1-based line where the problem was found, 0 if unknown
	Msg  string // what is wrong
	Err  error  // the underlying cause, may be nil
}

// Error says what is wrong and, when known, on which line.
func (e *SyntaxError) Error() string {
	s := "transformer: invalid XML"
	if e.Line > 0 {
		s += " at line " + strconv.Itoa(e.Line)
	}
	return s + ": " + e.Msg
}

// Unwrap lets errors.Is match ErrInvalidXML and the cause.
func (e *SyntaxError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidXML}
	}
	return []error{ErrInvalidXML, e.Err}
}

// ValueError reports a value ToXML cannot write and where it sits, as the
// chain of keys (and slice indexes) from the top, joined by "/".
type ValueError struct {
	Path string // such as "detail/0/goods_name"; "" for the top value
	Err  error  // the cause: ErrInvalidText, ErrTooDeep or a formatter error
}

// Error names the key path and the cause.
func (e *ValueError) Error() string {
	if e.Path == "" {
		return "transformer: cannot write the value: " + e.Err.Error()
	}
	return "transformer: cannot write " + strconv.Quote(e.Path) + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *ValueError) Unwrap() error { return e.Err }
