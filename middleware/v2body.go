package middleware

import (
	"bytes"
	"fmt"
	"io"
	"unicode/utf8"
)

// v2Body is what the body of a 2xx APIv2 answer turned out to be. The
// decision is made on the first byte that is not whitespace, so that
// nothing placed in front of an XML document (whitespace, a byte order
// mark, junk) changes the outcome: whitespace is skipped and the document
// is verified, anything else is refused.
type v2Body int

const (
	v2Undecided v2Body = iota
	v2XML              // an XML document, to parse and verify
	v2File             // a file download's file: gzip, or a bill's CSV text
	v2Empty            // nothing but whitespace
	v2Other            // anything else: refused
)

// v2FileDownloads are the APIv2 endpoints that answer a file on success and
// XML on failure (the catalog's v2 entries with a binary response and an
// error table, and the sandbox twin of downloadbill).
var v2FileDownloads = map[string]bool{
	"/pay/downloadbill":            true,
	"/pay/downloadfundflow":        true,
	"/sandboxnew/pay/downloadbill": true,
}

const (
	// maxV2Buffered bounds what is kept in memory of an answer that is not
	// a file (an XML document, or a refused body), and the whitespace
	// before it.
	maxV2Buffered = 1 << 20
	// billPeek bounds the first line of a bill, its captions.
	billPeek = 8 << 10
)

var utf8BOM = []byte("\xEF\xBB\xBF")

// skipXMLSpace returns how many leading bytes of b are XML whitespace
// (space, tab, CR, LF) or UTF-8 byte order marks. A byte order mark cut
// short at the end of b is not counted: the next bytes may complete it.
func skipXMLSpace(b []byte) int {
	i := 0
	for i < len(b) {
		switch {
		case b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n':
			i++
		case bytes.HasPrefix(b[i:], utf8BOM):
			i += len(utf8BOM)
		default:
			return i
		}
	}
	return i
}

// classifyV2Body decides what an answer body starting with head is; final
// tells that head is the whole body. download says whether the endpoint
// answers a file.
func classifyV2Body(head []byte, download, final bool) v2Body {
	return classifyAfter(head, skipXMLSpace(head), download, final)
}

// classifyAfter is classifyV2Body once the leading whitespace (lead bytes)
// is known.
func classifyAfter(head []byte, lead int, download, final bool) v2Body {
	rest := head[lead:]
	switch {
	case len(rest) == 0:
		if final {
			return v2Empty
		}
		if len(head) >= maxV2Buffered {
			return v2Other
		}
		return v2Undecided
	case rest[0] == '<':
		return v2XML
	case !final && len(rest) < len(utf8BOM) && bytes.HasPrefix(utf8BOM, rest):
		return v2Undecided // maybe a byte order mark in front of '<'
	case !download:
		return v2Other
	}
	return classifyFile(head, final)
}

// classifyFile tells whether a download's body starting with head is the
// file: gzip (1f 8b), or the CSV text of a bill, which starts, after an
// optional byte order mark, with a line of comma-separated captions
// followed by a record (led by a back-tick) or the summary captions.
func classifyFile(head []byte, final bool) v2Body {
	if head[0] == 0x1f {
		switch {
		case len(head) >= 2 && head[1] == 0x8b:
			return v2File
		case len(head) < 2 && !final:
			return v2Undecided
		}
		return v2Other
	}
	b := bytes.TrimPrefix(head, utf8BOM)
	line, after, found := bytes.Cut(b, []byte("\n"))
	if !found {
		if final || len(head) >= billPeek || !captionText(line, true) {
			return v2Other
		}
		return v2Undecided
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !captionText(line, false) || bytes.IndexByte(line, ',') < 0 {
		return v2Other
	}
	if len(after) == 0 {
		if final {
			return v2Other // a caption line alone is not a bill
		}
		return v2Undecided
	}
	if c := after[0]; c == '`' || c >= 0x80 || '0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' {
		return v2File
	}
	return v2Other
}

// captionText reports whether line can be (partial tells: the start of) a
// bill's caption line: UTF-8 text that does not start with a space and
// holds no control character nor any of <>{}"` (which XML, JSON and HTML
// answers start with or hold, and captions never do).
func captionText(line []byte, partial bool) bool {
	if len(line) == 0 {
		return partial
	}
	if line[0] == ' ' || line[0] == '\t' {
		return false
	}
	if partial {
		line = bytes.TrimSuffix(line, []byte("\r")) // the line may end in CR LF
	}
	for _, c := range line {
		if c < 0x20 || c == 0x7f || bytes.IndexByte([]byte("<>{}\"`"), c) >= 0 {
			return false
		}
	}
	if partial {
		// The last rune may be cut short.
		for i := 0; i < utf8.UTFMax && len(line) > 0; i++ {
			if utf8.Valid(line) {
				return true
			}
			line = line[:len(line)-1]
		}
		return utf8.Valid(line)
	}
	return utf8.Valid(line)
}

// describeBody names a refused body in an error: its length and its first
// bytes, quoted.
func describeBody(b []byte) string {
	if len(b) == 0 {
		return "an empty body"
	}
	head := b
	if len(head) > 16 {
		head = head[:16]
	}
	return fmt.Sprintf("a %d-byte body starting %q", len(b), head)
}

// v2Sink stands in front of the sink of an APIv2 call. It holds the first
// bytes of the answer until they tell what it is: the file of a download
// goes on to the sink; an XML document is kept in memory, to be verified;
// anything else is kept (up to a bound) to be refused, and never reaches
// the sink.
type v2Sink struct {
	w        io.Writer
	download bool
	head     []byte // bytes held until the kind is known
	lead     int    // leading whitespace in head
	kind     v2Body
	buf      bytes.Buffer // an answer that is not a file
	err      error        // why the answer was cut short
}

func (g *v2Sink) Write(p []byte) (int, error) {
	n := len(p)
	if g.kind == v2Undecided {
		g.head = append(g.head, p...)
		g.lead += skipXMLSpace(g.head[g.lead:])
		if g.kind = classifyAfter(g.head, g.lead, g.download, false); g.kind == v2Undecided {
			return n, nil
		}
		p, g.head = g.head, nil
	}
	if err := g.put(p); err != nil {
		return 0, err
	}
	return n, nil
}

// put passes bytes on to the sink or keeps them.
func (g *v2Sink) put(p []byte) error {
	if g.kind == v2File {
		_, err := g.w.Write(p)
		return err
	}
	if g.buf.Len()+len(p) > maxV2Buffered {
		what := "an XML answer"
		if g.kind != v2XML {
			what = "an answer that is not the file"
			if !g.download {
				what = "an answer that is not XML"
			}
		}
		g.err = fmt.Errorf("%w: %s of more than %d bytes", ErrUnexpectedFormat, what, maxV2Buffered)
		return g.err
	}
	g.buf.Write(p)
	return nil
}

// ExpectSize passes the answer's length on to the sink.
func (g *v2Sink) ExpectSize(n int64) {
	if s, ok := g.w.(interface{ ExpectSize(int64) }); ok {
		s.ExpectSize(n)
	}
}

// finish decides on a body that ended while undecided, and hands what was
// held to its place.
func (g *v2Sink) finish() error {
	if g.kind != v2Undecided {
		return nil
	}
	g.kind = classifyAfter(g.head, g.lead, g.download, true)
	head := g.head
	g.head = nil
	return g.put(head)
}
