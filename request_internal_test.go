package wechatpay

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestTemplateVars(t *testing.T) {
	for in, want := range map[string]string{
		"v3/pay/transactions/id/{transaction_id}": "transaction_id",
		"v3/a/{x}/b/{y}":                     "x,y",
		"{+path}":                            "path",
		"v3/x{?a,b*,c:3}":                    "a,b,c",
		"v3/plain":                           "",
		"v3/{x}/{x}":                         "x",
		"v3/applyment4sub/applyment/{empty}": "empty",
		"v3/broken/{x":                       "",
	} {
		if got := strings.Join(templateVars(in), ","); got != want {
			t.Errorf("templateVars(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestExpand(t *testing.T) {
	cases := []struct {
		tmpl string
		vars map[string]any
		want string
		err  string // substring of the error; "" for success
	}{
		{"v3/pay/transactions/id/{transaction_id}", map[string]any{"transaction_id": "4200000001"}, "v3/pay/transactions/id/4200000001", ""},
		// A value can neither add a segment nor change case.
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": "AB/cd"}, "v3/refunds/AB%2Fcd", ""},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": "ÄB c?&#"}, "v3/refunds/%C3%84B%20c%3F%26%23", ""},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": ".."}, "", "would change the path"},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": "."}, "", "would change the path"},
		// However the value is typed, and however a dot is written.
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": []byte("..")}, "", "would change the path"},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": []string{".."}}, "", "dot-segment"},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": json.Number("..")}, "", "would change the path"},
		{"v3/x/{+path}", map[string]any{"path": "a/%2e%2E/b"}, "", "dot-segment"},
		{"v3/x/{+path}", map[string]any{"path": "a/../b"}, "", "dot-segment"},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": "%2e%2e"}, "v3/refunds/%252e%252e", ""},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": "..."}, "v3/refunds/...", ""},
		{"v3/refunds/{out_refund_no}", map[string]any{"out_refund_no": []string{".", "."}}, "v3/refunds/.,.", ""},
		// An empty value would merge two segments ("refunds//cancel").
		{"v3/refunds/{out_refund_no}/cancel", map[string]any{"out_refund_no": ""}, "", "is empty"},
		{"v3/refunds/{out_refund_no}/cancel", map[string]any{"out_refund_no": nil}, "", "is empty"},
		{"v3/refunds/{out_refund_no}/cancel", map[string]any{"out_refund_no": []string{}}, "", "is empty"},
		{"v3/refunds/{out_refund_no}/cancel", map[string]any{"out_refund_no": []string{""}}, "", "is empty"},
		{"v3/x{?a}", map[string]any{"a": ""}, "v3/x?a=", ""},
		{"v3/refunds/{out_refund_no}", map[string]any{}, "", "is missing"},
		{"v3/refunds", map[string]any{"jsno": 1}, "", "neither an option nor a variable"},
		{"{+path}", map[string]any{"path": "v3/pay/transactions/native"}, "v3/pay/transactions/native", ""},
		{"v2/secapi/mch/{addinstitutionsub}", map[string]any{"addinstitutionsub": "addInstitutionsub"}, "v2/secapi/mch/addInstitutionsub", ""},
		{"v3/applyment4sub/applyment/{empty}", nil, "v3/applyment4sub/applyment/", ""},
		{"v3/stock/{stock_id}", map[string]any{"stock_id": 9856000}, "v3/stock/9856000", ""},
		{"v3/stock/{stock_id}", map[string]any{"stock_id": float64(9856000)}, "v3/stock/9856000", ""},
		{"v3/x{?ids*}", map[string]any{"ids": []string{"a", "b c"}}, "v3/x?ids=a&ids=b%20c", ""},
	}
	for _, c := range cases {
		got, err := expand(c.tmpl, c.vars)
		if c.err != "" {
			var oe *OptionError
			if err == nil || !strings.Contains(err.Error(), c.err) || !errors.As(err, &oe) {
				t.Errorf("expand(%q, %v) = %q, %v; want an *OptionError containing %q", c.tmpl, c.vars, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("expand(%q, %v) = %q, %v; want %q", c.tmpl, c.vars, got, err, c.want)
		}
	}
}
