// Package editdist measures how far apart two names are, for the
// suggestions of the catalog ("did you mean …" for a path) and of the
// validate package (for a field name).
package editdist

// Distance is the Levenshtein distance between a and b, in bytes.
func Distance(a, b string) int { return Bounded(a, b, max(len(a), len(b))+1) }

// Bounded is Distance(a, b), or limit when that is at least limit: a
// length difference of limit or more is known without the table.
func Bounded(a, b string, limit int) int {
	if d := len(a) - len(b); d >= limit || -d >= limit {
		return limit
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return min(prev[len(b)], limit)
}
