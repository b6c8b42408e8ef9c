package formatter

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

var base62Only = regexp.MustCompile(`^[0-9A-Za-z]+$`)

func TestNonceDefault(t *testing.T) {
	// Node: nonce() and nonce(undefined) are 32 characters of [0-9a-zA-Z],
	// none of $#%^&~<>+-.
	for range 100 {
		n := Nonce()
		if len(n) != 32 || !base62Only.MatchString(n) {
			t.Fatalf("Nonce() = %q, want 32 base62 characters", n)
		}
		if strings.ContainsAny(n, `$#%^&*~'"/<>+-`) {
			t.Fatalf("Nonce() = %q holds a character outside base62", n)
		}
	}
}

func TestNonceN(t *testing.T) {
	// PHP FormatterTest::nonceRulesProvider (positive sizes) and Node nonce(16).
	for _, n := range []int{32, 16, 100, 1, 61, 62, 63, 64, 65, 1000} {
		s, err := NonceN(n)
		if err != nil {
			t.Fatalf("NonceN(%d): %v", n, err)
		}
		if len(s) != n || !base62Only.MatchString(s) {
			t.Fatalf("NonceN(%d) = %q, want %d base62 characters", n, s, n)
		}
	}
}

func TestNonceNRejectsShortLengths(t *testing.T) {
	// PHP gives |size-2| characters for sizes 0, -1, -16, -32; an empty or
	// negative length is a caller bug here.
	for _, n := range []int{0, -1, -16, -32} {
		s, err := NonceN(n)
		if !errors.Is(err, ErrNonceLength) || s != "" {
			t.Fatalf("NonceN(%d) = %q, %v; want ErrNonceLength", n, s, err)
		}
		if !strings.Contains(err.Error(), "at least 1") {
			t.Fatalf("NonceN(%d) error %q does not say what is wrong", n, err)
		}
	}
}

func TestNonceIsUnbiased(t *testing.T) {
	// With i%62 over bytes the first eight characters come up 5/4 as often
	// as the others (+25%). Rejection sampling keeps every count close to
	// the mean; ±15% is more than 8 standard deviations here.
	const total = 62 * 3200
	s, err := NonceN(total)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[rune]int{}
	for _, r := range s {
		counts[r]++
	}
	if len(counts) != 62 {
		t.Fatalf("saw %d distinct characters, want 62", len(counts))
	}
	mean := float64(total) / 62
	for r, c := range counts {
		if dev := (float64(c) - mean) / mean; dev > 0.15 || dev < -0.15 {
			t.Errorf("character %q came up %d times, %.1f%% off the mean %.0f", r, c, dev*100, mean)
		}
	}
}

func TestNoncesDiffer(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		n := Nonce()
		if seen[n] {
			t.Fatalf("Nonce() repeated %q", n)
		}
		seen[n] = true
	}
}

func TestTimestamp(t *testing.T) {
	// PHP and Node: an integer of 10 digits starting with 1.
	ts := Timestamp()
	if ts < 1_000_000_000 || ts > 9_999_999_999 {
		t.Fatalf("Timestamp() = %d, want 10 digits", ts)
	}
}
