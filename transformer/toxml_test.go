package transformer

import (
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/formatter"
)

// pairs builds an ordered data set from keys and values in turn.
func pairs(kv ...string) []formatter.Pair {
	out := make([]formatter.Pair, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, formatter.Pair{Key: kv[i], Value: kv[i+1]})
	}
	return out
}

// The data of PHP TransformerTest::arrayToXmlDataProvider, in PHP's insertion
// order (appid, body, mch_id, detail), as ordered pairs.
var (
	phpDetailJSON = `[{"goods_detail":"华为手机","url":"https://huawei.com"}]`
	phpFlat       = pairs("appid", "wx2421b1c4370ec43b", "body", "dummybot", "mch_id", "10000100", "detail", phpDetailJSON)
)

func TestToXMLMatchesPHP(t *testing.T) {
	// Outputs recorded from PHP 8.2's Transformer::toXml on the same data.
	nested := map[string]any{
		"appid": "wx2421b1c4370ec43b", "body": "dummybot", "mch_id": "10000100",
		"detail": []any{pairs("goods_detail", "华为手机", "url", "https://huawei.com")},
	}
	tests := []struct {
		name string
		in   any
		opts []Option
		want string
	}{
		{"normal 1-depth array with extra default options", phpFlat, nil,
			`<xml><appid>wx2421b1c4370ec43b</appid><body>dummybot</body><mch_id>10000100</mch_id><detail><![CDATA[[{"goods_detail":"华为手机","url":"https://huawei.com"}]]]></detail></xml>`},
		{"normal 1-depth array with headless=false and indent=true", phpFlat, []Option{WithDeclaration(), WithIndent(" ")},
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml>\n <appid>wx2421b1c4370ec43b</appid>\n <body>dummybot</body>\n <mch_id>10000100</mch_id>\n <detail><![CDATA[[{\"goods_detail\":\"华为手机\",\"url\":\"https://huawei.com\"}]]]></detail>\n</xml>\n"},
		{"headless=false, indent=false", phpFlat, []Option{WithDeclaration()},
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xml><appid>wx2421b1c4370ec43b</appid><body>dummybot</body><mch_id>10000100</mch_id><detail><![CDATA[[{\"goods_detail\":\"华为手机\",\"url\":\"https://huawei.com\"}]]]></detail></xml>\n"},
		// A map is written in key order (detail before mch_id).
		{"2-depth array with extra default options", nested, nil,
			`<xml><appid>wx2421b1c4370ec43b</appid><body>dummybot</body><detail><item><goods_detail>华为手机</goods_detail><url>https://huawei.com</url></item></detail><mch_id>10000100</mch_id></xml>`},
		{"2-depth array with headless=false, indent=true and root=qqpay", nested, []Option{WithDeclaration(), WithIndent(" "), WithRoot("qqpay")},
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<qqpay>\n <appid>wx2421b1c4370ec43b</appid>\n <body>dummybot</body>\n <detail>\n  <item>\n   <goods_detail>华为手机</goods_detail>\n   <url>https://huawei.com</url>\n  </item>\n </detail>\n <mch_id>10000100</mch_id>\n</qqpay>\n"},
		{"indent=true, headless", map[string]any{"a": map[string]any{"b": map[string]any{"c": "1"}}, "e": map[string]any{}}, []Option{WithIndent(" ")},
			"<xml>\n <a>\n  <b>\n   <c>1</c>\n  </b>\n </a>\n <e/>\n</xml>\n"},
		// PHP writes "x&#13;y" for a carriage return, item for the keys "1"
		// and "f g", and <b/> for an empty array; it breaks on "]]>" (see
		// TestToXMLSplitsCDATA) and writes U+0001 raw (see TestToXMLRejects).
		{"empty array", pairs(), nil, "<xml/>"},
		{"PHP edge cases in order", phpOrder(), nil,
			`<xml><a></a><c>x&#13;y</c><e>it's</e><item>n</item><item>s</item><中文>v</中文><x:y>z</x:y></xml>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToXML(tt.in, tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func phpOrder() []formatter.Pair {
	return pairs("a", "", "c", "x\ry", "e", "it's", "1", "n", "f g", "s", "中文", "v", "x:y", "z")
}

func TestToXMLPHPAssertions(t *testing.T) {
	// The assertions of PHP TransformerTest::testToXml, on map input.
	data := map[string]any{
		"appid": "wx2421b1c4370ec43b", "body": "dummybot", "mch_id": "10000100",
		"detail": []any{map[string]string{"goods_detail": "华为手机", "url": "https://huawei.com"}},
	}
	for _, tt := range []struct {
		name             string
		headless, indent bool
		root             string
	}{
		{"defaults", true, false, "xml"},
		{"headless=false indent=true", false, true, "xml"},
		{"root=qqpay", false, true, "qqpay"},
		{"headless=false indent=false", false, false, "xml"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			opts := []Option{WithRoot(tt.root)}
			if !tt.headless {
				opts = append(opts, WithDeclaration())
			}
			if tt.indent {
				opts = append(opts, WithIndent(" "))
			}
			got, err := ToXML(data, opts...)
			if err != nil {
				t.Fatal(err)
			}
			s := string(got)
			if hasDecl := strings.HasPrefix(s, `<?xml version="1.0" encoding="UTF-8"?>`); hasDecl == tt.headless {
				t.Fatalf("declaration present = %v, headless = %v: %q", hasDecl, tt.headless, s)
			}
			if lines := strings.Count(s, "\n"); tt.indent && lines < 2 || !tt.indent && tt.headless && lines != 0 {
				t.Fatalf("%d line feeds with indent = %v: %q", lines, tt.indent, s)
			}
			pattern := regexp.MustCompile(`(?s)^(?:<\?xml[^>]+\?>\n?)?<` + tt.root + `>.*</` + tt.root + `>\n?$`)
			if !pattern.MatchString(s) {
				t.Fatalf("%q does not match %s", s, pattern)
			}
			back, err := ToMap(got)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"appid": "wx2421b1c4370ec43b", "body": "dummybot", "mch_id": "10000100",
				"detail": map[string]any{"item": map[string]any{"goods_detail": "华为手机", "url": "https://huawei.com"}},
			}
			if !equalJSON(back, want) {
				t.Fatalf("read back %#v", back)
			}
		})
	}
}

type receiver struct{}

func (receiver) String() string {
	return `{"type":"MERCHANT_ID","account":"190001001"}`
}

func TestToXMLStringableValues(t *testing.T) {
	// PHP TransformerTest 'transform the Stringable values'. PHP writes
	// true as "1"; formatter.Stringify writes "true".
	// PHP: <finished>1</finished><amount>100</amount><recevier><![CDATA[{…}]]></recevier>
	got, err := ToXML(map[string]any{
		"appid": "wx2421b1c4370ec43b", "body": "dummybot", "mch_id": "10000100",
		"finished": true, "amount": 100, "recevier": receiver{},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := `<xml><amount>100</amount><appid>wx2421b1c4370ec43b</appid><body>dummybot</body><finished>true</finished><mch_id>10000100</mch_id><recevier><![CDATA[{"type":"MERCHANT_ID","account":"190001001"}]]></recevier></xml>`
	if string(got) != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestToXMLNodeVectors(t *testing.T) {
	// Node Transformer.toXml vectors, cross-checked with wechatpay-axios-plugin 0.9.6.
	tests := []struct {
		name string
		in   any
		want string
	}{
		// Node gives "<xml/>" for "" (its builder drops empty nodes); an
		// empty value is written <name></name> here, as PHP does.
		{"empty string", "", "<xml></xml>"},
		{"test", "test", "<xml>test</xml>"},
		{"2>1<0", "2>1<0", "<xml><![CDATA[2>1<0]]></xml>"},
		{"empty object", map[string]any{}, "<xml/>"},
		{"mch_id and sign", map[string]string{"mch_id": "1900000109", "sign": "mock"}, "<xml><mch_id>1900000109</mch_id><sign>mock</sign></xml>"},
		{"json detail", map[string]string{"detail": phpDetailJSON, "appid": "wx2421b1c4370ec43b"},
			`<xml><appid>wx2421b1c4370ec43b</appid><detail><![CDATA[[{"goods_detail":"华为手机","url":"https://huawei.com"}]]]></detail></xml>`},
		// Node wraps ' in CDATA too; PHP (and this package) write it as is.
		{"apostrophe and ampersand", map[string]string{"a": "it's", "b": "a&b"}, "<xml><a>it's</a><b><![CDATA[a&b]]></b></xml>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToXML(tt.in)
			if err != nil || string(got) != tt.want {
				t.Fatalf("ToXML = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestToXMLSplitsCDATA(t *testing.T) {
	// PHP writes <d><![CDATA[a]]>b<]]></d> for "a]]>b<": the first "]]>"
	// ends the section and the rest is broken markup.
	tests := []struct{ value, want string }{
		{"a]]>b<", "<xml><d><![CDATA[a]]]]><![CDATA[>b<]]></d></xml>"},
		{"]]>", "<xml><d><![CDATA[]]]]><![CDATA[>]]></d></xml>"},
		{"<]]>", "<xml><d><![CDATA[<]]]]><![CDATA[>]]></d></xml>"},
		{"<]]>]]>&", "<xml><d><![CDATA[<]]]]><![CDATA[>]]]]><![CDATA[>&]]></d></xml>"},
		{"<]]]>>", "<xml><d><![CDATA[<]]]]]><![CDATA[>>]]></d></xml>"},
		{"<\r>", "<xml><d><![CDATA[<]]>&#13;<![CDATA[>]]></d></xml>"},
		{"\r\r&", "<xml><d>&#13;&#13;<![CDATA[&]]></d></xml>"},
	}
	for _, tt := range tests {
		got, err := ToXML(pairs("d", tt.value))
		if err != nil {
			t.Fatalf("ToXML(%q): %v", tt.value, err)
		}
		if string(got) != tt.want {
			t.Errorf("ToXML(%q) = %q, want %q", tt.value, got, tt.want)
		}
		back, err := ToMap(got)
		if err != nil {
			t.Fatalf("ToMap(%q): %v", got, err)
		}
		if back["d"] != tt.value {
			t.Errorf("%q read back as %q from %q", tt.value, back["d"], got)
		}
	}
}

func TestToXMLContainers(t *testing.T) {
	type amounts map[string]int
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"typed nil map", map[string]any(nil), "<xml/>"},
		{"slice of strings", map[string]any{"list": []string{"a", "b"}}, "<xml><list><item>a</item><item>b</item></list></xml>"},
		{"slice at the top", []any{"a", map[string]string{"k": "v"}}, "<xml><item>a</item><item><k>v</k></item></xml>"},
		{"array", map[string]any{"arr": [2]int{1, 2}}, "<xml><arr><item>1</item><item>2</item></arr></xml>"},
		{"slice of maps", map[string]any{"goods": []map[string]string{{"id": "1"}, {"id": "2"}}},
			"<xml><goods><item><id>1</id></item><item><id>2</id></item></goods></xml>"},
		{"map of ints", amounts{"total": 100, "refund": 1}, "<xml><refund>1</refund><total>100</total></xml>"},
		{"pairs in a map", map[string]any{"x": pairs("b", "1", "a", "2")}, "<xml><x><b>1</b><a>2</a></x></xml>"},
		{"empty slice", map[string]any{"e": []any{}}, "<xml><e/></xml>"},
		{"bytes are a scalar", map[string]any{"b": []byte("raw")}, "<xml><b>raw</b></xml>"},
		{"nil value", map[string]any{"n": nil}, "<xml><n></n></xml>"},
		{"numbers", map[string]any{"f": 0.1, "i": -3, "u": uint8(7)}, "<xml><f>0.1</f><i>-3</i><u>7</u></xml>"},
		{"json.Number", map[string]any{"n": json.Number("1.50")}, "<xml><n>1.50</n></xml>"},
		{"json.RawMessage is bytes", map[string]any{"detail": json.RawMessage(`{"cost_price":1}`)}, `<xml><detail><![CDATA[{"cost_price":1}]]></detail></xml>`},
		{"invalid keys become items", map[string]string{"": "e", "0": "z", "a b": "s", "-x": "d", "a\n": "n"},
			"<xml><item>e</item><item>d</item><item>z</item><item>n</item><item>s</item></xml>"},
		{"custom item", []any{"a"}, "<xml><entry>a</entry></xml>"},
		{"valid odd names", pairs("_a", "1", "a.b-c_d:e", "2", "Ωmega", "3", "名称", "4"), "<xml><_a>1</_a><a.b-c_d:e>2</a.b-c_d:e><Ωmega>3</Ωmega><名称>4</名称></xml>"},
		// A letter beyond XML 1.0 4th edition's tables, which encoding/xml
		// (and so ToMap) would refuse as a name.
		{"letter unknown to encoding/xml", pairs("\U00020000", "cjk ext b"), "<xml><item>cjk ext b</item></xml>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []Option
			if tt.name == "custom item" {
				opts = append(opts, WithItem("entry"))
			}
			got, err := ToXML(tt.in, opts...)
			if err != nil || string(got) != tt.want {
				t.Fatalf("ToXML = %q, %v; want %q", got, err, tt.want)
			}
			if _, err := ToMap(got); err != nil {
				t.Fatalf("ToMap cannot read it back: %v", err)
			}
		})
	}
}

func TestToXMLIndentTab(t *testing.T) {
	got, err := ToXML(map[string]any{"a": []string{"1"}, "b": ""}, WithIndent("\t"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "<xml>\n\t<a>\n\t\t<item>1</item>\n\t</a>\n\t<b></b>\n</xml>\n"; string(got) != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestToXMLRejects(t *testing.T) {
	self := map[string]any{}
	self["self"] = self
	deep := any("x")
	for range MaxDepth {
		deep = map[string]any{"a": deep}
	}
	tests := []struct {
		name    string
		in      any
		opts    []Option
		is      error
		mention string
	}{
		// Node: toXml() and toXml(Symbol('test')) throw a TypeError.
		{"nil", nil, nil, ErrNothingToWrite, "nil"},
		{"channel", make(chan int), nil, formatter.ErrUnsupportedValue, "chan int"},
		{"struct value", map[string]any{"detail": []any{struct{ A int }{1}}}, nil, formatter.ErrUnsupportedValue, `"detail/0"`},
		{"NaN", map[string]any{"total_fee": math.NaN()}, nil, formatter.ErrUnsupportedValue, `"total_fee"`},
		{"map with int keys", map[string]any{"m": map[int]string{1: "a"}}, nil, formatter.ErrUnsupportedValue, "map[int]string"},
		// PHP writes U+0001 raw, which no parser reads back.
		{"control character", map[string]string{"f": "\x01"}, nil, ErrInvalidText, "U+0001"},
		{"invalid utf-8", map[string]string{"f": "\xff"}, nil, ErrInvalidText, "not UTF-8"},
		{"noncharacter", pairs("f", "\uFFFE"), nil, ErrInvalidText, "U+FFFE"},
		{"self-containing map", self, nil, ErrTooDeep, "self/self/self"},
		{"too deep", deep, nil, ErrTooDeep, "contains itself"},
		{"empty root", map[string]any{}, []Option{WithRoot("")}, ErrInvalidName, `root ""`},
		{"root with a space", map[string]any{}, []Option{WithRoot("a b")}, ErrInvalidName, `root "a b"`},
		{"item name", map[string]any{}, []Option{WithItem("1")}, ErrInvalidName, `item "1"`},
		{"indent with text", map[string]any{}, []Option{WithIndent("--")}, ErrInvalidIndent, `"--"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToXML(tt.in, tt.opts...)
			if got != nil || !errors.Is(err, tt.is) {
				t.Fatalf("ToXML = %q, %v; want %v", got, err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
	if _, err := ToXML(map[string]any{"detail": []any{make(chan int)}}); true {
		var ve *ValueError
		if !errors.As(err, &ve) || ve.Path != "detail/0" {
			t.Fatalf("error %v is not a *ValueError at detail/0", err)
		}
	}
}

// equalJSON compares two values by their JSON form.
func equalJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

func TestToXMLDepthMatchesToMap(t *testing.T) {
	// The deepest value ToXML writes is the deepest document ToMap reads:
	// MaxDepth elements, the root included.
	deepest := any("x")
	for range MaxDepth - 1 {
		deepest = map[string]any{"a": deepest}
	}
	xml, err := ToXML(deepest)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(xml), "</"); got != MaxDepth {
		t.Fatalf("%d elements deep, want %d", got, MaxDepth)
	}
	if _, err := ToMap(xml); err != nil {
		t.Fatal(err)
	}
	if _, err := ToXML(map[string]any{"a": deepest}); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("one level more: %v, want ErrTooDeep", err)
	}
}
