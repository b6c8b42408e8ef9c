package transformer

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

var (
	roundTripKeys = []string{
		"appid", "mch_id", "nonce_str", "body", "detail", "attach", "out_trade_no", "total_fee",
		"名称", "商品描述", "a.b", "x:y", "_u", "Ωmega", "A", "z-9",
	}
	roundTripValues = []string{
		"", " ", "0", "wx2421b1c4370ec43b", "华为手机", "恭喜发财，大吉大利", "😀 emoji",
		"<", ">", "&", `"`, "'", "]]>", "]]", "]", "<![CDATA[x]]>", "a]]>b<", "]]>]]>",
		"&amp;", "&lt;not a tag&gt;", "\r", "\r\n", "\n", "\t", "  leading", "trailing  ",
		`{"goods_detail":[{"goods_id":"iphone6s_16G","price":528800}]}`,
		"posttime%3d123123412%26clientversion%3d234134", "\uFFFD", "\U0010FFFF", "\u00a0",
	}
)

// randomValue builds a string from a few pieces of roundTripValues.
func randomValue(r *rand.Rand) string {
	var b strings.Builder
	for range r.IntN(4) {
		b.WriteString(roundTripValues[r.IntN(len(roundTripValues))])
	}
	return b.String()
}

// randomFields builds a data set of strings and non-empty nested data sets,
// the shapes that ToMap gives back unchanged.
func randomFields(r *rand.Rand, depth int) map[string]any {
	m := map[string]any{}
	for range 1 + r.IntN(6) {
		key := roundTripKeys[r.IntN(len(roundTripKeys))]
		if depth < 3 && r.IntN(4) == 0 {
			m[key] = randomFields(r, depth+1)
		} else {
			m[key] = randomValue(r)
		}
	}
	return m
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(20240601, 1))
	options := [][]Option{nil, {WithDeclaration()}, {WithIndent(" ")}, {WithDeclaration(), WithIndent("\t"), WithRoot("root")}}
	for i := range 2000 {
		data := randomFields(r, 0)
		opts := options[i%len(options)]
		xml, err := ToXML(data, opts...)
		if err != nil {
			t.Fatalf("ToXML(%#v): %v", data, err)
		}
		back, err := ToMap(xml)
		if err != nil {
			t.Fatalf("ToMap(%q): %v", xml, err)
		}
		if !reflect.DeepEqual(back, data) {
			t.Fatalf("round trip changed the data\nin   %#v\nxml  %q\nout  %#v", data, xml, back)
		}
	}
}

func TestRoundTripChineseAndCDATA(t *testing.T) {
	data := map[string]any{
		"body":   "腾讯充值中心-QQ会员充值",
		"detail": `{"cost_price":608800,"goods_detail":[{"goods_name":"iPhone6s 16G","body":"苹果手机"}]}`,
		"attach": "深圳分店]]>北京分店<&>",
		"scene_info": map[string]any{
			"store_info": map[string]any{"id": "SZTX001", "name": "腾大餐厅", "area_code": "440305", "address": "科技园中一路腾讯大厦"},
		},
		"remark":  "",
		"wishing": "感谢您参加猜灯谜活动，祝您元宵节快乐！\r\n",
	}
	xml, err := ToXML(data)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ToMap(xml)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, data) {
		t.Fatalf("got %#v from %q", back, xml)
	}
}

func TestRoundTripSlices(t *testing.T) {
	// A slice is written as item elements, so it reads back under "item":
	// one entry as the value itself, several as a list.
	tests := []struct {
		in   map[string]any
		want map[string]any
	}{
		{map[string]any{"list": []any{"a", "b"}}, map[string]any{"list": map[string]any{"item": []any{"a", "b"}}}},
		{map[string]any{"list": []string{"only"}}, map[string]any{"list": map[string]any{"item": "only"}}},
		{map[string]any{"list": []any{}}, map[string]any{"list": ""}},
		{map[string]any{"goods": []any{map[string]any{"id": "1"}, map[string]any{"id": "2"}}},
			map[string]any{"goods": map[string]any{"item": []any{map[string]any{"id": "1"}, map[string]any{"id": "2"}}}}},
	}
	for _, tt := range tests {
		xml, err := ToXML(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ToMap(xml)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, tt.want) {
			t.Errorf("%#v came back as %#v, want %#v", tt.in, back, tt.want)
		}
	}
}

func TestRoundTripFixtures(t *testing.T) {
	// Each PHP fixture read, written and read again gives the same map.
	for _, fixture := range []string{
		"sendredpack.sample.xml", "paysuccess.notification.sample.xml", "unifiedorder.sample.xml",
		"refund.notification.req_info.sample.xml", "getpublickey.response.sample.xml",
	} {
		first, err := ToMap(readFixture(t, fixture))
		if err != nil {
			t.Fatal(err)
		}
		xml, err := ToXML(first)
		if err != nil {
			t.Fatal(err)
		}
		second, err := ToMap(xml)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(first, second) {
			t.Errorf("%s: %#v became %#v", fixture, first, second)
		}
	}
}
