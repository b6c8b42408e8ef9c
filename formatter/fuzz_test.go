package formatter

import (
	"errors"
	"os"
	"testing"
)

// FuzzCastCSVBill checks that no input panics, and that every failure is a
// *BillError and every success is self-consistent.
func FuzzCastCSVBill(f *testing.F) {
	if data, err := os.ReadFile("testdata/bill.ALL.csv"); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"", utf8BOM, "a,b\n`1,`2\ntotal\n`1\n", "a\n`1\ntotal\n`1", "a,a\n`1,`2\nt\n`1\n",
		"a\r\n`1\r\ntotal\r\n`1\r\n", "`a\n`b\n`c\n", "a\n\n\n`x", "\xff\n\xfe\n`\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		bill, err := CastCSVBill(data)
		if err != nil {
			var be *BillError
			if bill != nil || !errors.As(err, &be) || !errors.Is(err, ErrMalformedBill) {
				t.Fatalf("CastCSVBill = %v, %v; want nil and a *BillError", bill, err)
			}
			return
		}
		for i, row := range bill.Rows {
			if len(row) != len(bill.Header) {
				t.Fatalf("row %d has %d cells for %d captions", i, len(row), len(bill.Header))
			}
		}
		if len(bill.Summary) != len(bill.SummaryHeader) {
			t.Fatalf("summary has %d cells for %d captions", len(bill.Summary), len(bill.SummaryHeader))
		}
	})
}
