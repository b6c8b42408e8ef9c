package transformer

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// expected reads the map PHP's toArray returned for a fixture.
func expected(t testing.TB, fixture string) map[string]any {
	t.Helper()
	var m map[string]any
	name := strings.TrimSuffix(fixture, ".xml") + ".expected.json"
	if err := json.Unmarshal(readFixture(t, name), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestToMapFixtures(t *testing.T) {
	// PHP TransformerTest::xmlToArrayDataProvider: every listed key is a
	// string without CDATA markers; and the whole map equals the one PHP
	// returns (testdata/*.expected.json).
	tests := map[string][]string{
		"sendredpack.sample.xml": {
			"sign", "mch_billno", "mch_id", "wxappid", "send_name", "re_openid", "total_amount",
			"total_num", "wishing", "client_ip", "act_name", "remark", "scene_id", "nonce_str", "risk_info",
		},
		"paysuccess.notification.sample.xml": {
			"appid", "attach", "bank_type", "fee_type", "is_subscribe", "mch_id", "nonce_str", "openid",
			"out_trade_no", "result_code", "return_code", "sign", "time_end", "total_fee", "coupon_fee",
			"coupon_count", "coupon_type", "coupon_id", "trade_type", "transaction_id",
		},
		"unifiedorder.sample.xml": {
			"appid", "attach", "body", "mch_id", "detail", "nonce_str", "notify_url", "openid",
			"out_trade_no", "spbill_create_ip", "total_fee", "trade_type", "sign",
		},
		"refund.notification.req_info.sample.xml": {
			"out_refund_no", "out_trade_no",
			"refund_account", "refund_fee", "refund_id", "refund_recv_accout", "refund_request_source", "refund_status",
			"settlement_refund_fee", "settlement_total_fee", "success_time", "total_fee", "transaction_id",
		},
		"getpublickey.response.sample.xml": {
			"return_code", "return_msg", "result_code", "mch_id", "pub_key",
		},
	}
	for fixture, keys := range tests {
		t.Run(fixture, func(t *testing.T) {
			got, err := ToMap(readFixture(t, fixture))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(keys) {
				t.Errorf("%d fields, want %d", len(got), len(keys))
			}
			for _, k := range keys {
				s, ok := got[k].(string)
				if !ok {
					t.Errorf("%s = %#v, want a string", k, got[k])
				}
				if strings.Contains(s, "<![CDATA[") || strings.Contains(s, "]]>") {
					t.Errorf("%s = %q still holds CDATA markers", k, s)
				}
			}
			if want := expected(t, fixture); !reflect.DeepEqual(got, want) {
				t.Errorf("got  %#v\nwant %#v (PHP)", got, want)
			}
		})
	}
}

func TestToMapPublicKeyKeepsItsLastLineFeed(t *testing.T) {
	got, err := ToMap(readFixture(t, "getpublickey.response.sample.xml"))
	if err != nil {
		t.Fatal(err)
	}
	key := got["pub_key"].(string)
	if !strings.HasPrefix(key, "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA") || !strings.HasSuffix(key, "-----END RSA PUBLIC KEY-----\n") {
		t.Fatalf("pub_key = %q", key)
	}
}

func TestToMapBadPhrases(t *testing.T) {
	// PHP TransformerTest::xmlToArrayBadPhrasesDataProvider: the fragment
	// injection and the XXE samples parse (to a non-empty array), the bad
	// entity sample and an HTML 404 page fail.
	t.Run("fragment_injection.sample.xml", func(t *testing.T) {
		got, err := ToMap(readFixture(t, "fragment_injection.sample.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if want := expected(t, "fragment_injection.sample.xml"); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v", got, want)
		}
		// The injected record shows up as a second payment, not merged
		// into the first one.
		if payments := got["payment"].([]any); len(payments) != 2 {
			t.Fatalf("%d payments, want 2", len(payments))
		}
	})
	t.Run("invalid.xxe_injection.sample.xml", func(t *testing.T) {
		// The external entity is declared, so the document is well-formed;
		// it is never fetched and reads as "" (PHP gives the same).
		got, err := ToMap(readFixture(t, "invalid.xxe_injection.sample.xml"))
		if err != nil {
			t.Fatal(err)
		}
		if want := (map[string]any{"value": ""}); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v", got, want)
		}
		if want := expected(t, "invalid.xxe_injection.sample.xml"); !reflect.DeepEqual(got, want) {
			t.Fatalf("got %#v, want %#v (PHP)", got, want)
		}
	})
	for _, tt := range []struct{ fixture, mention string }{
		// PHP: "Opening and ending tag mismatch: titles line 4 and title".
		{"invalid.bad_entity.sample.xml", "line 4: element <titles> closed by </title>"},
		// PHP: "Premature end of data in tag html line 1".
		{"invalid.normal_404.sample.html", "element <hr> closed by </body>"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := ToMap(readFixture(t, tt.fixture))
			if got != nil || !errors.Is(err, ErrInvalidXML) {
				t.Fatalf("ToMap = %#v, %v; want ErrInvalidXML", got, err)
			}
			var se *SyntaxError
			if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q is not a *SyntaxError mentioning %q", err, tt.mention)
			}
		})
	}
}

func TestToMapShapes(t *testing.T) {
	// Each "PHP:" note is what the PHP SDK's toArray returns for the same
	// input (PHP 8.2, libxml2), where it differs or is worth recording.
	tests := []struct {
		name string
		in   string
		want map[string]any
	}{
		// Node: toObject('<xml><mch_id>10000100</mch_id></xml>').
		{"node vector", "<xml><mch_id>10000100</mch_id></xml>", map[string]any{"mch_id": "10000100"}},
		{"empty root", "<xml/>", map[string]any{}},
		{"empty root pair", "<xml></xml>", map[string]any{}},
		{"blank root", "<xml>\n  \n</xml>", map[string]any{}},
		{"empty element", "<xml><a/><b></b></xml>", map[string]any{"a": "", "b": ""}},
		{"whitespace kept in leaves", "<xml><b> x </b><c>  </c></xml>", map[string]any{"b": " x ", "c": "  "}},
		// PHP: "x  " (libxml2 drops the leading blank text node only).
		{"whitespace around CDATA", "<xml><a>  <![CDATA[x]]>  </a></xml>", map[string]any{"a": "  x  "}},
		{"comment inside a value", "<xml><a>x<!--c-->y</a></xml>", map[string]any{"a": "xy"}},
		{"references", "<xml><c>&#x41;&#66;&amp;&lt;&gt;&quot;&apos;</c></xml>", map[string]any{"c": `AB&<>"'`}},
		{"empty CDATA", "<xml><e><![CDATA[]]></e></xml>", map[string]any{"e": ""}},
		{"CDATA split at ]]>", "<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a></xml>", map[string]any{"a": "x]]>y"}},
		{"CDATA and text", "<xml><a>1<![CDATA[<2>]]>3</a></xml>", map[string]any{"a": "1<2>3"}},
		{"repeated tags", "<xml><a>1</a><a>2</a><b/><a><c>3</c></a></xml>",
			map[string]any{"a": []any{"1", "2", map[string]any{"c": "3"}}, "b": ""}},
		{"nested", "<xml><a><b><c>1</c></b></a></xml>", map[string]any{"a": map[string]any{"b": map[string]any{"c": "1"}}}},
		// PHP: the same, text between children is dropped.
		{"mixed content", "<xml>x<a>1</a>y<b>2</b></xml>", map[string]any{"a": "1", "b": "2"}},
		{"mixed content in a child", "<xml><a>x<b>1</b>y</a></xml>", map[string]any{"a": map[string]any{"b": "1"}}},
		// PHP keeps the attributes of elements with children under
		// "@attributes"; they are dropped here.
		{"attributes", `<xml a="1"><b c="2">t</b><d e="3"><f>g</f></d></xml>`, map[string]any{"b": "t", "d": map[string]any{"f": "g"}}},
		// PHP drops <a:b> (its namespace is declared) and keeps "c:d".
		{"prefixed names", `<xml><a:b xmlns:a="urn:x">1</a:b><c:d>2</c:d></xml>`, map[string]any{"a:b": "1", "c:d": "2"}},
		{"repeated prefixed", "<xml><a:b>1</a:b><a:b>2</a:b></xml>", map[string]any{"a:b": []any{"1", "2"}}},
		{"chinese", "<xml><名称>中文</名称></xml>", map[string]any{"名称": "中文"}},
		{"declaration", `<?xml version="1.0" encoding="UTF-8"?><xml><a>1</a></xml>`, map[string]any{"a": "1"}},
		{"declaration lower case utf-8", `<?xml version="1.0" encoding="utf-8"?><xml><a>1</a></xml>`, map[string]any{"a": "1"}},
		{"byte order mark", "\xEF\xBB\xBF<xml><a>1</a></xml>", map[string]any{"a": "1"}},
		{"control characters stripped", "<xml><a>\x01b\x0c</a></xml>", map[string]any{"a": "b"}},
		{"stripped in names too", "<xml><a\x00b>1</a\x00b></xml>", map[string]any{"ab": "1"}},
		{"line ends normalised", "<xml><a>x\r\ny\rz</a></xml>", map[string]any{"a": "x\ny\nz"}},
		{"carriage return reference", "<xml><a>x&#13;y</a></xml>", map[string]any{"a": "x\ry"}},
		{"comments and PIs around", "<!--c--><?pi x?><xml><a>1</a></xml><!--d-->\n", map[string]any{"a": "1"}},
		{"internal entity not expanded", `<!DOCTYPE x [<!ENTITY e "<b>inj</b>">]><xml><a>&e;</a></xml>`, map[string]any{"a": ""}},
		{"parameter entity", `<!DOCTYPE x [<!ENTITY % p SYSTEM "http://example.com/p.dtd"> %p;]><xml><a>1</a></xml>`, map[string]any{"a": "1"}},
		{"other root name", "<root><a>1</a></root>", map[string]any{"a": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToMap([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestToMapEntityBomb(t *testing.T) {
	// PHP: "Detected an entity reference loop". Here nothing is expanded,
	// so the bomb is a few hundred bytes of input and an empty value.
	bomb := `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz><a>&lol9;</a><b>&lol9;&lol9;</b></lolz>`
	start := time.Now()
	got, err := ToMap([]byte(bomb))
	if err != nil {
		t.Fatal(err)
	}
	if want := (map[string]any{"a": "", "b": ""}); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v, want %#v", got, want)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
}

func TestToMapDepth(t *testing.T) {
	nest := func(depth int) []byte {
		return []byte(strings.Repeat("<a>", depth) + "x" + strings.Repeat("</a>", depth))
	}
	if _, err := ToMap(nest(MaxDepth)); err != nil {
		t.Fatalf("%d levels: %v", MaxDepth, err)
	}
	_, err := ToMap(nest(MaxDepth + 1))
	if !errors.Is(err, ErrTooDeep) || !errors.Is(err, ErrInvalidXML) {
		t.Fatalf("%d levels: %v, want ErrTooDeep and ErrInvalidXML", MaxDepth+1, err)
	}
	// Far too deep for a recursive reader's stack.
	if _, err := ToMap(nest(1 << 20)); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("a million levels: %v", err)
	}
}

func TestToMapRejects(t *testing.T) {
	tests := []struct {
		name, in, mention string
	}{
		// Node: toObject() and toObject(Buffer.from([])) give no object.
		{"empty", "", "no root element"},
		{"blank", " \n\t", "no root element"},
		{"only a BOM", "\xEF\xBB\xBF", "no root element"},
		{"only a declaration", `<?xml version="1.0"?>`, "no root element"},
		// Node: toObject('test') gives undefined. PHP: "Start tag expected".
		{"plain text", "test", "text outside the root element"},
		{"json", `{"return_code":"FAIL"}`, "text outside the root element"},
		// PHP: "Extra content at the end of the document".
		{"two roots", "<xml><a>1</a></xml><xml><b>2</b></xml>", "a second root element <xml>"},
		{"text after the root", "<xml><a>1</a></xml>trailing", "text outside the root element"},
		// PHP: "XML declaration allowed only at the start of the document".
		{"late declaration", ` <?xml version="1.0"?><xml><a>1</a></xml>`, "only at the start"},
		// PHP: "Entity 'undef' not defined".
		{"undeclared entity", "<xml><a>&undef;</a></xml>", "&undef;"},
		{"unclosed", "<xml><a>1</a>", "the input ends inside <xml>"},
		{"unclosed leaf", "<xml><a>1", "<a>"},
		{"mismatched", "<xml><a>1</b></xml>", "element <a> closed by </b>"},
		{"stray end tag", "</xml>", "unexpected end tag </xml>"},
		{"prefix mismatch", "<xml><a:b>1</c:b></xml>", "element <a:b> closed by </c:b>"},
		{"bare ampersand", "<xml><a>a & b</a></xml>", "invalid"},
		{"bare less-than", "<xml><a>a < b</a></xml>", "invalid"},
		// PHP fails the whole input for invalid UTF-8 as well.
		{"invalid utf-8", "<xml><a>\xff</a></xml>", "not UTF-8"},
		// PHP reads GBK; WeChat Pay sends UTF-8 only.
		{"other encoding", `<?xml version="1.0" encoding="GBK"?><xml><a>1</a></xml>`, `unsupported encoding "GBK"`},
		{"second doctype", "<!DOCTYPE a><!DOCTYPE b><xml/>", "DOCTYPE is allowed once"},
		{"doctype inside", "<xml><!DOCTYPE a><a>1</a></xml>", "DOCTYPE is allowed once"},
		{"other directive", "<!ELEMENT xml ANY><xml/>", "unexpected markup <!ELEMENT"},
		{"bad name", "<xml><1a>1</1a></xml>", "invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ToMap([]byte(tt.in))
			if got != nil || !errors.Is(err, ErrInvalidXML) {
				t.Fatalf("ToMap = %#v, %v; want ErrInvalidXML", got, err)
			}
			if !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q does not mention %q", err, tt.mention)
			}
		})
	}
}

func TestToMapRootWithText(t *testing.T) {
	// Node: toObject('<span>test</span>') gives "test"; PHP gives
	// ["test"]. A map has no place for it.
	for _, in := range []string{"<span>test</span>", "<xml><![CDATA[FAIL]]></xml>"} {
		got, err := ToMap([]byte(in))
		if got != nil || !errors.Is(err, ErrNotDataSet) || errors.Is(err, ErrInvalidXML) {
			t.Fatalf("ToMap(%q) = %#v, %v; want ErrNotDataSet", in, got, err)
		}
	}
}
