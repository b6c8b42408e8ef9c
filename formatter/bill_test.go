package formatter

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
)

func readBillFixture(t testing.TB) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/bill.ALL.csv")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

var summaryCaptions = []string{"总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"}

func TestCastCSVBillFixture(t *testing.T) {
	// Node: castCsvBill(readFileSync('fixtures/bill.ALL.csv')) and the same
	// file read as a string: 45 rows, the first has 交易时间, the summary has
	// the seven captions and 总交易单数 is "45.0".
	bill, err := CastCSVBill(readBillFixture(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(bill.Rows) != 45 {
		t.Fatalf("%d rows, want 45", len(bill.Rows))
	}
	if bill.Rows[0]["交易时间"] != "2019-02-19 05:01:46" {
		t.Fatalf("first row 交易时间 = %q", bill.Rows[0]["交易时间"])
	}
	if len(bill.Header) != 27 || bill.Header[0] != "交易时间" || bill.Header[26] != "费率备注" {
		t.Fatalf("header = %q", bill.Header)
	}
	if !reflect.DeepEqual(bill.SummaryHeader, summaryCaptions) {
		t.Fatalf("summary captions = %q", bill.SummaryHeader)
	}
	if bill.Summary["总交易单数"] != "45.0" {
		t.Fatalf("总交易单数 = %q, want 45.0", bill.Summary["总交易单数"])
	}

	// The whole result equals the one wechatpay-axios-plugin 0.9.6 gives
	// for the same file (recorded in testdata/bill.ALL.node.json).
	golden, err := os.ReadFile("testdata/bill.ALL.node.json")
	if err != nil {
		t.Fatal(err)
	}
	var node struct {
		Rows    []map[string]string `json:"rows"`
		Summary map[string]string   `json:"summary"`
	}
	if err := json.Unmarshal(golden, &node); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(bill.Rows, node.Rows) {
		t.Error("rows differ from the Node SDK's")
	}
	if !reflect.DeepEqual(bill.Summary, node.Summary) {
		t.Errorf("summary %v differs from the Node SDK's %v", bill.Summary, node.Summary)
	}
}

func TestCastCSVBillVariants(t *testing.T) {
	data := readBillFixture(t)
	want, err := CastCSVBill(data)
	if err != nil {
		t.Fatal(err)
	}
	variants := map[string][]byte{
		// The Node SDK drops three bytes blindly and would lose 交 here.
		"without BOM":          bytes.TrimPrefix(data, []byte(utf8BOM)),
		"CRLF line ends":       bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n")),
		"no final line feed":   bytes.TrimSuffix(data, []byte("\n")),
		"extra blank lines":    append(append([]byte(nil), data...), "\n\r\n\n"...),
		"string like the Node": []byte(string(data)),
	}
	for name, in := range variants {
		t.Run(name, func(t *testing.T) {
			got, err := CastCSVBill(in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatal("result differs from the plain fixture's")
			}
		})
	}
}

func TestCastCSVBillSmall(t *testing.T) {
	in := "a,b\n`1,`x,y\n`2,`\ntotal\n`2\n"
	got, err := CastCSVBill([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := &Bill{
		Header:        []string{"a", "b"},
		Rows:          []map[string]string{{"a": "1", "b": "x,y"}, {"a": "2", "b": ""}},
		SummaryHeader: []string{"total"},
		Summary:       map[string]string{"total": "2"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}

	// A bill without records: header, summary caption, summary.
	got, err = CastCSVBill([]byte("a,b\ntotal\n`0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Rows) != 0 || got.Rows == nil || got.Summary["total"] != "0" {
		t.Fatalf("got %+v", got)
	}
}

func TestCastCSVBillMalformed(t *testing.T) {
	tests := []struct {
		name, in, mention string
	}{
		// Node: castCsvBill() throws; castCsvBill(''), castCsvBill(BOM)
		// give {rows: [], summary: {0: ''}}. An empty download is an error here.
		{"nil", "", "empty"},
		{"only BOM", utf8BOM, "empty"},
		{"only blank lines", "\n\r\n\n", "empty"},
		{"one line", "a,b\n", "found 1 line"},
		{"two lines", "a,b\n`1,`2\n", "found 2 line"},
		{"header is a record", "`a,`b\ntotal\n`1\n", "line 1"},
		{"summary caption is a record", "a\n`1\n`2\n", "line 2"},
		{"record without back-tick", "a,b\n1,2\ntotal\n`1\n", "line 2: a record must start with a back-tick"},
		{"blank line among records", "a\n`1\n\n`2\ntotal\n`3\n", "line 3"},
		{"too few cells", "a,b,c\n`1,`2\ntotal\n`1\n", "line 2: 2 cells for 3 captions"},
		{"too many cells", "a\n`1,`2\ntotal\n`1\n", "line 2: 2 cells for 1 captions"},
		{"summary cell count", "a\n`1\ntotal,sum\n`1\n", "line 4: 1 cells for 2 captions"},
		{"duplicate caption", "a,a\n`1,`2\ntotal\n`1\n", `"a" appears twice`},
		{"empty caption", "a,,b\n`1,`2,`3\ntotal\n`1\n", "caption 2 is empty"},
		{"not utf-8", "a\n`\xff\ntotal\n`1\n", "not UTF-8"},
		{"xml error answer", "<xml><return_code><![CDATA[FAIL]]></return_code></xml>", "found 1 line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CastCSVBill([]byte(tt.in))
			if got != nil || !errors.Is(err, ErrMalformedBill) {
				t.Fatalf("CastCSVBill = %v, %v; want ErrMalformedBill", got, err)
			}
			var be *BillError
			if !errors.As(err, &be) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q is not a *BillError mentioning %q", err, tt.mention)
			}
		})
	}
}

func TestCastCSVLine(t *testing.T) {
	tests := []struct {
		name string
		line string
		keys []string
		opts []CSVLineOption
		want map[string]string
	}{
		// Node castCsvLine vectors, cross-checked with wechatpay-axios-plugin 0.9.6.
		{"node `a", "`a", nil, nil, map[string]string{"0": "a"}},
		{"node `a,`b", "`a,`b", nil, nil, map[string]string{"0": "a", "1": "b"}},
		{"node keys Z,Y", "`a,`b", []string{"Z", "Y"}, nil, map[string]string{"Z": "a", "Y": "b"}},
		{"node keep first char", "`a,`b", []string{"Z", "Y"}, []CSVLineOption{KeepFirstChar()}, map[string]string{"Z": "`a", "Y": "b"}},
		{"node keep first char, comma", "`a,`b", []string{"Z", "Y"}, []CSVLineOption{KeepFirstChar(), WithSeparator(",")}, map[string]string{"Z": "`a", "Y": "`b"}},
		{"empty cells", "`,`,`", nil, nil, map[string]string{"0": "", "1": "", "2": ""}},
		{"comma inside a cell", "`a,b,`c", []string{"x", "y"}, nil, map[string]string{"x": "a,b", "y": "c"}},
		{"chinese", "`系统拨测,`39.00%", []string{"商品名称", "费率"}, nil, map[string]string{"商品名称": "系统拨测", "费率": "39.00%"}},
		{"keep first char, empty line", "", nil, []CSVLineOption{KeepFirstChar()}, map[string]string{"0": ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CastCSVLine(tt.line, tt.keys, tt.opts...)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("CastCSVLine(%q, %q) = %v, %v; want %v", tt.line, tt.keys, got, err, tt.want)
			}
		})
	}
}

func TestCastCSVLineMalformed(t *testing.T) {
	tests := []struct {
		name, line string
		keys       []string
		opts       []CSVLineOption
		mention    string
	}{
		// Node: castCsvLine() gives {0: ''}; a record needs its back-tick here.
		{"node no arguments", "", nil, nil, "must start with a back-tick"},
		{"no back-tick", "a,`b", nil, nil, `found "a,` + "`" + `b"`},
		{"cell count", "`a,`b", []string{"one"}, nil, "2 cells for 1 captions"},
		{"duplicate keys", "`a,`b", []string{"k", "k"}, nil, "appears twice"},
		{"empty separator", "`a", nil, []CSVLineOption{WithSeparator("")}, "separator is empty"},
		{"long line is clipped", strings.Repeat("长", 30), nil, nil, "…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CastCSVLine(tt.line, tt.keys, tt.opts...)
			if got != nil || !errors.Is(err, ErrMalformedBill) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("CastCSVLine = %v, %v; want ErrMalformedBill mentioning %q", got, err, tt.mention)
			}
		})
	}
}
