package transformer

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/wechatpay-go/wechatpay/formatter"
)

// FuzzToMap checks that no input panics, that every failure is one of the
// documented errors, and that whatever ToMap reads ToXML can write.
func FuzzToMap(f *testing.F) {
	for _, pattern := range []string{"testdata/*.xml", "testdata/*.html"} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	for _, s := range []string{
		"", "<xml/>", "<span>test</span>", "<xml><a>1</a><a>2</a></xml>", "<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a></xml>",
		`<!DOCTYPE x [<!ENTITY e "v">]><xml><a>&e;</a></xml>`, "<xml><a>&undef;</a></xml>", "\xEF\xBB\xBF<xml/>",
		"<xml><a:b>1</a:b></xml>", "<xml>\x00</xml>", "<a><b><c><d/></c></b></a>", "<xml><a>&#13;&#x10FFFF;</a></xml>",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ToMap(data)
		if err != nil {
			if m != nil || !errors.Is(err, ErrInvalidXML) && !errors.Is(err, ErrNotDataSet) {
				t.Fatalf("ToMap = %#v, %v; want nil and ErrInvalidXML or ErrNotDataSet", m, err)
			}
			return
		}
		if m == nil {
			t.Fatal("ToMap returned a nil map without an error")
		}
		// A list adds an item level when written, which may pass MaxDepth.
		if _, err := ToXML(m); err != nil && !errors.Is(err, ErrTooDeep) {
			t.Fatalf("ToXML cannot write what ToMap read: %v", err)
		}
	})
}

// FuzzToXMLValue checks that any string value either reads back unchanged
// or is refused as text XML 1.0 cannot carry.
func FuzzToXMLValue(f *testing.F) {
	for _, s := range []string{"", "a", "a]]>b<", "]]>", "\r", "<\r>", "&amp;", "华为手机", "\x01", "\xff", "]]]>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		xml, err := ToXML([]formatter.Pair{{Key: "v", Value: value}})
		if err != nil {
			if !errors.Is(err, ErrInvalidText) {
				t.Fatalf("ToXML(%q): %v", value, err)
			}
			return
		}
		back, err := ToMap(xml)
		if err != nil {
			t.Fatalf("ToMap(%q): %v", xml, err)
		}
		if back["v"] != value {
			t.Fatalf("%q came back as %q from %q", value, back["v"], xml)
		}
	})
}
