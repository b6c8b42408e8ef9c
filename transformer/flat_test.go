package transformer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"unicode/utf8"
)

// referenceToMap is ToMap before readFlat: encoding/xml for every input.
func referenceToMap(data []byte) (map[string]any, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	if !utf8.Valid(data) {
		return nil, &SyntaxError{Msg: "the input is not UTF-8"}
	}
	return toMapXML(data)
}

// flatSeeds are inputs at the edges of what readFlat takes.
var flatSeeds = []string{
	"<xml></xml>", "<xml> </xml>", "\n<xml>\n\t<a>1</a>\n</xml>\n", "<xml><a></a></xml>", "<xml><a> </a></xml>",
	"<xml><a><![CDATA[]]></a></xml>", "<xml><a><![CDATA[<b>&amp;</b>]]></a></xml>", "<xml><a><![CDATA[x]]>y</a></xml>",
	"<xml><a>x<![CDATA[y]]></a></xml>", "<xml><a>1</a><a>2</a></xml>", "<xml><a>1</a><b>2</b></xml>",
	"<xml><a>&lt;</a></xml>", "<xml><a>&#65;</a></xml>", "<xml><a>]]></a></xml>", "<xml><a>a>b</a></xml>",
	"<xml><a>a\rb</a></xml>", "<xml><a><![CDATA[a\r\nb]]></a></xml>", "<xml>\r\n<a>1</a></xml>", "<xml><a>\x01</a></xml>",
	"<xml><a>\uFFFE</a></xml>", "<xml><a>华为手机</a></xml>", "<xml><a/></xml>", "<xml><a b=\"1\">2</a></xml>",
	"<xml><a >2</a></xml>", "<xml><a>2</a ></xml>", "<xml><a>2</b></xml>", "<xml><a>2</a></xml><b/>", "<xml><a>2</a></xml>x",
	"<xml><a>2</a></xml><!-- c -->", "<?xml version=\"1.0\"?><xml><a>1</a></xml>", "<xml><a><b>1</b></a></xml>",
	"<xml>t<a>1</a></xml>", "<xml><a>1</a>t</xml>", "<xml>text</xml>", "<xml><1a>1</1a></xml>", "<xml><a.b-c_d>1</a.b-c_d></xml>",
	"<xml><a:b>1</a:b></xml>", "<xml><_>1</_></xml>", "<xml><-a>1</-a></xml>", "<xml><a>1</a>", "<xml><a>1", "<xml",
	"", " ", "<", "</xml>", "<xml></xml2>", "\u3000<xml></xml>", "<xml><a><![CDATA[x]]></a><a><![CDATA[y]]></a></xml>",
	"<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a></xml>", "<xml><a><![CDATA[x</a></xml>", "<xml><a>\t\n</a></xml>",
}

// FuzzFlatReader checks readFlat against the encoding/xml reader it stands
// in for: whatever it takes, encoding/xml reads without error into the
// same map; and ToMap gives what encoding/xml alone gives, error included.
func FuzzFlatReader(f *testing.F) {
	for _, pattern := range []string{"testdata/*.xml", "testdata/*.html"} {
		names, _ := filepath.Glob(pattern)
		for _, name := range names {
			if data, err := os.ReadFile(name); err == nil {
				f.Add(data)
			}
		}
	}
	for _, s := range flatSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		want, wantErr := referenceToMap(data)
		if utf8.Valid(data) {
			if m, ok := readFlat(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))); ok {
				if wantErr != nil {
					t.Fatalf("readFlat(%q) = %#v; encoding/xml: %v", data, m, wantErr)
				}
				if !reflect.DeepEqual(m, want) {
					t.Fatalf("readFlat(%q) = %#v; encoding/xml: %#v", data, m, want)
				}
			}
		}
		got, err := ToMap(data)
		if !reflect.DeepEqual(got, want) || (err == nil) != (wantErr == nil) {
			t.Fatalf("ToMap(%q) = %#v, %v; encoding/xml: %#v, %v", data, got, err, want, wantErr)
		}
		if err != nil && err.Error() != wantErr.Error() {
			t.Fatalf("ToMap(%q): %v; encoding/xml: %v", data, err, wantErr)
		}
	})
}

// readFlat takes WeChat Pay's documents, and leaves the rest to
// encoding/xml.
func TestReadFlat(t *testing.T) {
	for _, name := range []string{"testdata/unifiedorder.sample.xml", "testdata/paysuccess.notification.sample.xml", "testdata/getpublickey.response.sample.xml"} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := readFlat(data)
		if !ok {
			t.Errorf("%s: not read flat", name)
			continue
		}
		want, err := referenceToMap(data)
		if err != nil || !reflect.DeepEqual(m, want) {
			t.Errorf("%s: %#v; encoding/xml: %#v, %v", name, m, want, err)
		}
	}
	if _, ok := readFlat(unifiedOrderAnswer); !ok {
		t.Error("the unifiedorder answer is not read flat")
	}
	for _, s := range []string{
		`<!DOCTYPE x [<!ENTITY e "v">]><xml><a>&e;</a></xml>`, "<xml><a>1</a><a>2</a></xml>", "<xml><a><b>1</b></a></xml>",
		"<xml><a>&amp;</a></xml>", "<xml><a>a\rb</a></xml>", "<xml><a>\x00</a></xml>", "<xml>x</xml>", "<xml><a/></xml>",
	} {
		if m, ok := readFlat([]byte(s)); ok {
			t.Errorf("readFlat(%q) = %#v, want it left to encoding/xml", s, m)
		}
		want, wantErr := referenceToMap([]byte(s))
		got, err := ToMap([]byte(s))
		if !reflect.DeepEqual(got, want) || (err == nil) != (wantErr == nil) {
			t.Errorf("ToMap(%q) = %#v, %v; encoding/xml: %#v, %v", s, got, err, want, wantErr)
		}
	}
	// Depth and entity limits are encoding/xml's, untouched.
	deep := bytes.Repeat([]byte("<a>"), MaxDepth+1)
	if _, err := ToMap(deep); !errors.Is(err, ErrTooDeep) {
		t.Errorf("ToMap of %d levels: %v, want ErrTooDeep", MaxDepth+1, err)
	}
}

func BenchmarkToMapXML(b *testing.B) {
	b.ReportAllocs()
	b.SetBytes(int64(len(unifiedOrderAnswer)))
	for b.Loop() {
		if _, err := toMapXML(unifiedOrderAnswer); err != nil {
			b.Fatal(err)
		}
	}
}
