package formatter

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The bill download APIs (APIv2 downloadbill and downloadfundflow, the APIv3
// bill files) return a CSV text laid out as:
//
//	[UTF-8 BOM]header captions, comma separated, unquoted
//	`cell,`cell,`cell          one line per record, each cell led by a back-tick
//	…
//	summary captions, comma separated, unquoted
//	`cell,`cell,`cell          one summary record
//
// The back-tick keeps spreadsheet programs from reading order numbers as
// numbers; as cells may hold commas, a record is split on ",`" rather than ",".

const (
	// utf8BOM is the byte order mark WeChat Pay puts at the start of a bill.
	utf8BOM = "\xEF\xBB\xBF"
	// billCellMark leads every cell of a bill record.
	billCellMark = '`'
	// billCellSeparator separates the cells of a bill record.
	billCellSeparator = ",`"
)

// Bill is a parsed CSV bill: the records keyed by the header captions, and
// the summary record keyed by the summary captions. The caption slices keep
// the column order the maps lose.
type Bill struct {
	Header        []string            // captions of the records, in file order
	Rows          []map[string]string // one map per record, keyed by Header
	SummaryHeader []string            // captions of the summary record
	Summary       map[string]string   // the summary record, keyed by SummaryHeader
}

// CastCSVBill parses a CSV bill (see Bill). A leading UTF-8 byte order mark
// is dropped if present, lines may end in "\n" or "\r\n", and trailing empty
// lines are ignored. Input that does not follow the layout (too few lines, a
// record without back-ticks, a record whose cell count differs from its
// captions, text that is not UTF-8) returns a *BillError matching
// ErrMalformedBill.
func CastCSVBill(data []byte) (*Bill, error) {
	data = bytes.TrimPrefix(data, []byte(utf8BOM))
	if !utf8.Valid(data) {
		return nil, &BillError{Msg: "the bill is not UTF-8 text"}
	}
	lines := strings.Split(string(data), "\n")
	for i, line := range lines {
		lines[i] = strings.TrimSuffix(line, "\r")
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if len(lines) == 0 {
		return nil, &BillError{Msg: "the bill is empty"}
	}
	if len(lines) < 3 {
		return nil, &BillError{Line: len(lines), Msg: "a bill needs a header line, a summary caption line and a summary line, found " + strconv.Itoa(len(lines)) + " line(s)"}
	}
	last := len(lines) - 1
	header, err := castCaptions(lines[0])
	if err != nil {
		return nil, atLine(err, 1)
	}
	summaryHeader, err := castCaptions(lines[last-1])
	if err != nil {
		return nil, atLine(err, last)
	}
	record := csvLineConfig{separator: billCellSeparator}
	bill := &Bill{Header: header, SummaryHeader: summaryHeader, Rows: make([]map[string]string, 0, last-2)}
	for i := 1; i < last-1; i++ {
		row, err := castLine(lines[i], header, record)
		if err != nil {
			return nil, atLine(err, i+1)
		}
		bill.Rows = append(bill.Rows, row)
	}
	if bill.Summary, err = castLine(lines[last], summaryHeader, record); err != nil {
		return nil, atLine(err, last+1)
	}
	return bill, nil
}

// castCaptions splits a caption line, which has no back-ticks.
func castCaptions(line string) ([]string, error) {
	if line == "" {
		return nil, &BillError{Msg: "empty caption line"}
	}
	if line[0] == billCellMark {
		return nil, &BillError{Msg: "expected a caption line, found a record (it starts with a back-tick)"}
	}
	captions := strings.Split(line, ",")
	if err := checkKeys(captions); err != nil {
		return nil, err
	}
	return captions, nil
}

// checkKeys rejects empty and repeated captions, which would lose cells.
func checkKeys(keys []string) error {
	seen := make(map[string]struct{}, len(keys))
	for i, k := range keys {
		if k == "" {
			return &BillError{Msg: "caption " + strconv.Itoa(i+1) + " is empty"}
		}
		if _, dup := seen[k]; dup {
			return &BillError{Msg: "caption " + strconv.Quote(k) + " appears twice"}
		}
		seen[k] = struct{}{}
	}
	return nil
}

// atLine puts a line number on a line-level error.
func atLine(err error, line int) error {
	if be, ok := err.(*BillError); ok && be.Line == 0 {
		return &BillError{Line: line, Msg: be.Msg}
	}
	return err
}

// CSVLineOption changes how CastCSVLine splits a line.
type CSVLineOption func(*csvLineConfig)

type csvLineConfig struct {
	keepFirst bool
	separator string
}

// KeepFirstChar makes CastCSVLine keep the first character of the line
// instead of requiring and dropping the back-tick that leads a bill record.
func KeepFirstChar() CSVLineOption {
	return func(c *csvLineConfig) { c.keepFirst = true }
}

// WithSeparator makes CastCSVLine split the line on sep instead of ",`".
func WithSeparator(sep string) CSVLineOption {
	return func(c *csvLineConfig) { c.separator = sep }
}

// CastCSVLine splits one bill record into its cells and keys them by keys.
// By default the line must start with a back-tick, which is dropped, and is
// split on ",`", so "`a,`b" gives the cells "a" and "b". With no keys the
// cells are keyed by their index ("0", "1", …); with keys the number of
// cells must match. Errors are *BillError values matching ErrMalformedBill.
func CastCSVLine(line string, keys []string, opts ...CSVLineOption) (map[string]string, error) {
	cfg := csvLineConfig{separator: billCellSeparator}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.separator == "" {
		return nil, &BillError{Msg: "the cell separator is empty"}
	}
	if err := checkKeys(keys); err != nil {
		return nil, err
	}
	return castLine(line, keys, cfg)
}

// castLine does the work of CastCSVLine once the keys are known to be good.
func castLine(line string, keys []string, cfg csvLineConfig) (map[string]string, error) {
	if !cfg.keepFirst {
		if line == "" || line[0] != billCellMark {
			return nil, &BillError{Msg: "a record must start with a back-tick, found " + strconv.Quote(clip(line))}
		}
		line = line[1:]
	}
	cells := strings.Split(line, cfg.separator)
	if len(keys) > 0 && len(cells) != len(keys) {
		return nil, &BillError{Msg: strconv.Itoa(len(cells)) + " cells for " + strconv.Itoa(len(keys)) + " captions"}
	}
	row := make(map[string]string, len(cells))
	for i, cell := range cells {
		if len(keys) > 0 {
			row[keys[i]] = cell
		} else {
			row[strconv.Itoa(i)] = cell
		}
	}
	return row, nil
}

// clip shortens a line quoted in an error message.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
