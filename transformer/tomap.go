package transformer

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds how deeply elements may nest, root included, in what ToMap
// reads and ToXML writes. APIv2 documents are two or three levels deep;
// libxml2, under the PHP SDK, stops at 256 as well.
const MaxDepth = 256

// ToMap reads an APIv2 XML document into a map, as PHP's
// Transformer::toArray does:
//
//   - the root element is dropped: its children are the map's fields;
//   - an element without child elements becomes its text as a string, with
//     CDATA sections unwrapped and character references resolved; an empty
//     element becomes "";
//   - an element with child elements becomes a map[string]any (any text
//     between the children is dropped);
//   - a tag repeated under one parent becomes a []any, in document order;
//   - attributes, comments and processing instructions are ignored;
//   - names are taken as written, a prefix included ("a:b"): namespaces are
//     not interpreted.
//
// Characters XML 1.0 does not allow (control characters) are stripped first,
// as PHP does. The input must be UTF-8, an optional byte order mark aside.
//
// ToMap is safe on hostile input: entities declared in a DOCTYPE are never
// expanded (each reference reads as "", what PHP gives as well), so an
// external entity is never fetched and an expansion bomb stays small; a
// reference to an undeclared entity, a second root element, text outside
// the root, a mismatched tag or nesting deeper than MaxDepth is an error
// matching ErrInvalidXML. A root element that holds text and no fields
// gives an error matching ErrNotDataSet.
func ToMap(data []byte) (map[string]any, error) {
	// Not clbanning/mxj: its decoder options are package-wide variables a
	// library must not change under its users, it trims the whitespace off
	// values (the pub_key of getpublickey ends in a line feed that must
	// stay), keeps only the last part of a value split across CDATA
	// sections, and ignores anything after the first root element.
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		return nil, &SyntaxError{Msg: "the input is not UTF-8"}
	}
	// WeChat Pay's own documents, flat and plain, are read without
	// encoding/xml, which costs several times more; anything else goes to
	// it (see readFlat).
	if m, ok := readFlat(data); ok {
		return m, nil
	}
	return toMapXML(data)
}

// toMapXML is ToMap on encoding/xml, for valid UTF-8 without a byte order
// mark: the reader of every document readFlat does not take, and the
// reference readFlat is checked against.
func toMapXML(data []byte) (map[string]any, error) {
	p := mapParser{dec: xml.NewDecoder(bytes.NewReader(sanitize(data)))}
	p.dec.Strict = true
	p.dec.CharsetReader = utf8Only
	return p.parse()
}

// utf8Only accepts the encoding declarations that mean UTF-8 (or its ASCII
// subset); WeChat Pay always sends UTF-8.
func utf8Only(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q, only UTF-8 is read", charset)
}

// frame is an element being read.
type frame struct {
	name   string
	fields map[string]any // set once the element has a child element
	text   []byte         // the text read so far while it has none
}

// mapParser reads the token stream into nested maps, with an explicit stack
// so that depth is bounded without recursion.
type mapParser struct {
	dec      *xml.Decoder
	stack    []frame
	root     map[string]any
	rootDone bool
	tokens   int
	doctype  bool
}

// fail builds a *SyntaxError at the current line.
func (p *mapParser) fail(msg string, cause error) error {
	line, _ := p.dec.InputPos()
	return &SyntaxError{Line: line, Msg: msg, Err: cause}
}

// parse reads tokens until the end of the input.
func (p *mapParser) parse() (map[string]any, error) {
	for {
		// RawToken leaves prefixes as written and end tags unchecked; the
		// stack below checks them.
		tok, err := p.dec.RawToken()
		if err == io.EOF {
			return p.finish()
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, &SyntaxError{Line: se.Line, Msg: se.Msg, Err: err}
			}
			return nil, p.fail(err.Error(), err)
		}
		p.tokens++
		switch t := tok.(type) {
		case xml.StartElement:
			err = p.start(qualified(t.Name))
		case xml.EndElement:
			err = p.end(qualified(t.Name))
		case xml.CharData:
			err = p.charData(t)
		case xml.ProcInst:
			if t.Target == "xml" && p.tokens > 1 {
				err = p.fail("the XML declaration is allowed only at the start of the document", nil)
			}
		case xml.Directive:
			err = p.directive(t)
		}
		if err != nil {
			return nil, err
		}
	}
}

// start opens an element, turning its parent into a data set.
func (p *mapParser) start(name string) error {
	if len(p.stack) == 0 && p.rootDone {
		return p.fail("a second root element <"+name+">, only one is allowed", nil)
	}
	if len(p.stack) >= MaxDepth {
		return p.fail(fmt.Sprintf("<%s> is nested deeper than %d elements", name, MaxDepth), ErrTooDeep)
	}
	if n := len(p.stack); n > 0 && p.stack[n-1].fields == nil {
		p.stack[n-1].fields = map[string]any{}
	}
	if len(p.stack) < cap(p.stack) {
		// Reuse the slot and its text buffer.
		p.stack = p.stack[:len(p.stack)+1]
		top := &p.stack[len(p.stack)-1]
		top.name, top.fields, top.text = name, nil, top.text[:0]
	} else {
		p.stack = append(p.stack, frame{name: name})
	}
	return nil
}

// end closes an element and hands its value to its parent.
func (p *mapParser) end(name string) error {
	n := len(p.stack)
	if n == 0 {
		return p.fail("unexpected end tag </"+name+">", nil)
	}
	top := &p.stack[n-1]
	if top.name != name {
		return p.fail("element <"+top.name+"> closed by </"+name+">", nil)
	}
	p.stack = p.stack[:n-1]
	if n == 1 {
		p.rootDone = true
		p.root = top.fields
		if p.root == nil {
			if len(bytes.TrimSpace(top.text)) > 0 {
				return fmt.Errorf("%w (<%s>)", ErrNotDataSet, top.name)
			}
			p.root = map[string]any{}
		}
		return nil
	}
	var value any = top.fields
	if top.fields == nil {
		value = string(top.text)
	}
	addField(p.stack[n-2].fields, top.name, value)
	return nil
}

// addField stores a child's value, turning a repeated tag into a list.
func addField(fields map[string]any, name string, value any) {
	old, seen := fields[name]
	if !seen {
		fields[name] = value
		return
	}
	if list, ok := old.([]any); ok {
		fields[name] = append(list, value)
		return
	}
	fields[name] = []any{old, value}
}

// charData collects the text of an element that has no children yet.
func (p *mapParser) charData(text xml.CharData) error {
	n := len(p.stack)
	if n == 0 {
		if len(bytes.TrimSpace(text)) > 0 {
			return p.fail("text outside the root element", nil)
		}
		return nil
	}
	if top := &p.stack[n-1]; top.fields == nil {
		top.text = append(top.text, text...)
	}
	return nil
}

// directive accepts one DOCTYPE before the root element and makes every
// general entity it declares read as "": the entity is never expanded, nor
// its external source fetched. Undeclared entities stay an error.
func (p *mapParser) directive(d xml.Directive) error {
	if !bytes.HasPrefix(d, []byte("DOCTYPE")) {
		return p.fail("unexpected markup <!"+leadingLetters(d)+"…>", nil)
	}
	if p.doctype || len(p.stack) > 0 || p.rootDone {
		return p.fail("a DOCTYPE is allowed once, before the root element", nil)
	}
	p.doctype = true
	p.dec.Entity = map[string]string{}
	for _, name := range declaredEntities(d) {
		p.dec.Entity[name] = ""
	}
	return nil
}

// leadingLetters names a directive in an error message ("ELEMENT").
func leadingLetters(d []byte) string {
	n := 0
	for n < len(d) && n < 16 && (d[n] >= 'A' && d[n] <= 'Z' || d[n] >= 'a' && d[n] <= 'z') {
		n++
	}
	return string(d[:n])
}

// declaredEntities lists the general entities declared in a DOCTYPE's
// internal subset ("<!ENTITY name …>"; parameter entities "<!ENTITY % …>"
// cannot appear in content and are left out).
func declaredEntities(d []byte) []string {
	var names []string
	const decl = "<!ENTITY"
	for {
		i := bytes.Index(d, []byte(decl))
		if i < 0 {
			return names
		}
		d = bytes.TrimLeft(d[i+len(decl):], " \t\r\n")
		if len(d) > 0 && d[0] == '%' {
			continue
		}
		end := bytes.IndexAny(d, " \t\r\n>")
		if end < 0 {
			end = len(d)
		}
		if end > 0 {
			names = append(names, string(d[:end]))
		}
		d = d[end:]
	}
}

// finish checks that exactly one root element was read and closed.
func (p *mapParser) finish() (map[string]any, error) {
	if n := len(p.stack); n > 0 {
		return nil, p.fail("the input ends inside <"+p.stack[n-1].name+">", io.ErrUnexpectedEOF)
	}
	if !p.rootDone {
		return nil, p.fail("no root element", nil)
	}
	return p.root, nil
}

// qualified gives a name as written: RawToken keeps the prefix in Space.
func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}
