package wechatpay

import (
	"errors"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzExpand checks that a variable's value never leaves its path
// segment: in "v3/a/{x}/b" any value, typed as a string, bytes, or a list,
// expands to one non-empty segment between "v3/a/" and "/b" that holds no
// "/", "?" or "#", is no dot-segment, and reads back as the value; or it
// is refused with an *OptionError. A reserved expansion ({+x}), which may
// span segments on purpose, still never makes a dot-segment.
func FuzzExpand(f *testing.F) {
	for _, s := range []string{"4200000001", "..", ".", "", "a/b", "a?b#c", "%2e%2E", ".%2e", "%2F", "中文", "a,b", "\x00", "\xff", "../../v2/pay"} {
		for kind := range uint8(4) {
			f.Add(s, kind)
		}
	}
	f.Fuzz(func(t *testing.T, value string, kind uint8) {
		if len(value) > 4<<10 {
			// No ID is that long; the template library takes about 1 µs a
			// byte, and minimizing a megabyte input would stall the run.
			return
		}
		var v any
		switch kind % 4 {
		case 0:
			v = value
		case 1:
			v = []byte(value)
		case 2:
			v = []string{value}
		case 3:
			v = []string{value, value}
		}
		out, err := expand("v3/a/{x}/b", map[string]any{"x": v})
		if err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) {
				t.Fatalf("%q: an untyped failure: %v", value, err)
			}
		} else {
			mid, ok := strings.CutPrefix(out, "v3/a/")
			if mid, ok = strings.CutSuffix(mid, "/b"); !ok || mid == "" || strings.ContainsAny(mid, "/?#") {
				t.Fatalf("%q left its segment: %q", value, out)
			}
			decoded, err := url.PathUnescape(mid)
			if err != nil || decoded == "." || decoded == ".." {
				t.Fatalf("%q expands to the dot-segment %q", value, mid)
			}
			if want := value; kind%4 < 3 && utf8.ValidString(value) && decoded != want {
				t.Fatalf("%q expands to %q, read back as %q", value, mid, decoded)
			}
		}
		out, err = expand("v3/a/{+x}/b", map[string]any{"x": v})
		if err != nil {
			return
		}
		if i := strings.IndexAny(out, "?#"); i >= 0 {
			out = out[:i] // the query or fragment a reserved value may start
		}
		for _, seg := range strings.Split(out, "/") {
			if d, err := url.PathUnescape(seg); err == nil && (d == "." || d == "..") || seg == "." || seg == ".." {
				t.Fatalf("{+x} = %q makes the dot-segment %q in %q", value, seg, out)
			}
		}
	})
}
