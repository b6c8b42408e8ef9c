package transformer

import (
	"encoding/xml"
	"strings"
	"unicode"
)

// isElementName tells whether ToXML may use name as a tag. It takes PHP's
// rule (a letter or "_", then letters, ASCII digits, ".", "_", ":" or "-")
// and, for names beyond ASCII, also asks encoding/xml: it knows fewer
// letters (those of XML 1.0 4th edition) than package unicode, and a name
// ToMap cannot read back must not be written.
func isElementName(name string) bool {
	if name == "" {
		return false
	}
	ascii := true
	for i, r := range name {
		switch {
		case r >= 0x80:
			ascii = false
			if !unicode.IsLetter(r) {
				return false
			}
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_':
		case i > 0 && (r >= '0' && r <= '9' || r == '.' || r == ':' || r == '-'):
		default:
			return false
		}
	}
	return ascii || decodesAsName(name)
}

// decodesAsName reports whether encoding/xml reads <name/> as one element
// with that very name.
func decodesAsName(name string) bool {
	tok, err := xml.NewDecoder(strings.NewReader("<" + name + "/>")).RawToken()
	if err != nil {
		return false
	}
	start, ok := tok.(xml.StartElement)
	return ok && qualified(start.Name) == name
}
