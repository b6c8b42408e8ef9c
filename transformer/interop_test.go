package transformer

import (
	"reflect"
	"testing"

	"github.com/clbanning/mxj/v2"
)

// TestToXMLReadableByMxj checks ToXML's output with an independent parser,
// clbanning/mxj, on data it represents faithfully (no values with outer
// whitespace, which it trims, and no "]]>", whose split it does not join).
func TestToXMLReadableByMxj(t *testing.T) {
	flat := map[string]any{"appid": "wx2421b1c4370ec43b", "body": "dummybot", "mch_id": "10000100",
		"detail": `[{"goods_detail":"华为手机","url":"https://huawei.com"}]`}
	nested := map[string]any{"appid": "wx2421b1c4370ec43b", "detail": map[string]any{"goods_detail": "华为手机", "url": "https://huawei.com"}}
	escaped := map[string]any{"attach": "a&b", "quote": `say "hi"`, "lt": "1<2", "apos": "it's", "empty": ""}
	tests := []struct{ in, want any }{
		{flat, flat},
		{nested, nested},
		{escaped, escaped},
		{map[string]any{"list": []string{"1", "2", "3"}}, map[string]any{"list": map[string]any{"item": []any{"1", "2", "3"}}}},
	}
	for _, tt := range tests {
		for _, opts := range [][]Option{nil, {WithDeclaration(), WithIndent(" ")}} {
			xml, err := ToXML(tt.in, opts...)
			if err != nil {
				t.Fatal(err)
			}
			m, err := mxj.NewMapXml(xml)
			if err != nil {
				t.Fatalf("mxj cannot read %q: %v", xml, err)
			}
			if got := m["xml"]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("mxj read %q as %#v, want %#v", xml, got, tt.want)
			}
		}
	}
}
