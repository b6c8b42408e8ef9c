package transformer

import (
	"fmt"
	"strings"
)

// Option changes how ToXML writes a document. Without options ToXML writes
// what PHP's Transformer::toXml($data) writes: no declaration, no
// indentation, root "xml", item "item".
type Option func(*config)

type config struct {
	declaration bool
	indent      string
	root        string
	item        string
}

// WithDeclaration starts the document with
// <?xml version="1.0" encoding="UTF-8"?> on a line of its own, as PHP does
// for $headless = false.
func WithDeclaration() Option {
	return func(c *config) { c.declaration = true }
}

// WithIndent puts every element on a line of its own, indented by indent
// once per level, as PHP does for $indent = true with indent " ". The
// string may hold only spaces and tabs; "" turns indentation off.
func WithIndent(indent string) Option {
	return func(c *config) { c.indent = indent }
}

// WithRoot names the root element instead of "xml" (PHP's $root).
func WithRoot(name string) Option {
	return func(c *config) { c.root = name }
}

// WithItem names the elements written for slice entries and for keys that
// are not valid element names, instead of "item" (PHP's $item).
func WithItem(name string) Option {
	return func(c *config) { c.item = name }
}

func newConfig(opts []Option) (config, error) {
	c := config{root: "xml", item: "item"}
	for _, o := range opts {
		o(&c)
	}
	if !isElementName(c.root) {
		return c, fmt.Errorf("%w: root %q", ErrInvalidName, c.root)
	}
	if !isElementName(c.item) {
		return c, fmt.Errorf("%w: item %q", ErrInvalidName, c.item)
	}
	if strings.Trim(c.indent, " \t") != "" {
		return c, fmt.Errorf("%w: %q holds more than spaces and tabs", ErrInvalidIndent, c.indent)
	}
	return c, nil
}
