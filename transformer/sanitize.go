package transformer

import "unicode/utf8"

// isXMLChar tells the characters XML 1.0 allows in a document:
// #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
func isXMLChar(r rune) bool {
	switch {
	case r == 0x09 || r == 0x0A || r == 0x0D:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	default:
		return r >= 0x10000 && r <= 0x10FFFF
	}
}

// sanitize drops the characters XML 1.0 does not allow, as the PHP SDK does
// before parsing: WeChat Pay answers have been seen to carry stray control
// characters in free-text fields, which would otherwise fail the whole
// answer. The input must be valid UTF-8. It is returned as is, without a
// copy, when there is nothing to drop.
func sanitize(data []byte) []byte {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if !isXMLChar(r) {
			return dropNonXMLChars(data, i)
		}
		i += size
	}
	return data
}

// dropNonXMLChars copies data without its non-XML characters, starting the
// work at from, the offset of the first one.
func dropNonXMLChars(data []byte, from int) []byte {
	out := make([]byte, from, len(data))
	copy(out, data[:from])
	for i := from; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		if isXMLChar(r) {
			out = append(out, data[i:i+size]...)
		}
		i += size
	}
	return out
}
