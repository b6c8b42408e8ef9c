package editdist

import "testing"

func TestDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "abc", 3}, {"kitten", "sitting", 3},
		{"out_trade_no", "out_trade_no", 0}, {"out_trade_no", "out_tarde_no", 2},
		{"v3/pay/transactions/native", "v3/pay/transaction/native", 1},
	} {
		if got := Distance(c.a, c.b); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.a, c.b, got, c.d)
		}
		if got := Distance(c.b, c.a); got != c.d {
			t.Errorf("Distance(%q, %q) = %d, want %d", c.b, c.a, got, c.d)
		}
	}
	// Bounded stops at its limit, from the lengths alone or from the table.
	if got := Bounded("kitten", "sitting", 2); got != 2 {
		t.Errorf("Bounded(kitten, sitting, 2) = %d, want 2", got)
	}
	if got := Bounded("a", "abcdef", 3); got != 3 {
		t.Errorf("Bounded(a, abcdef, 3) = %d, want 3", got)
	}
	if got := Bounded("kitten", "sitting", 4); got != 3 {
		t.Errorf("Bounded(kitten, sitting, 4) = %d, want 3", got)
	}
}
