package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// notes are a page's hand-written prose, kept in internal/docgen/notes/
// at the page's path and merged into the generated page. A note file is
// Markdown cut into sections by lines such as "<!-- request -->" (after
// the request table) or "<!-- DELETE response -->" (for one method of a
// page of several): intro, request, go, response.
type notes struct {
	file     string            // relative to the module root; "" when none
	sections map[string]string // "[METHOD ]section" → Markdown
	used     map[string]bool
}

var noteMarker = regexp.MustCompile(`^<!-- ((?:[A-Z]+ )?(?:intro|request|go|response)) -->$`)

// loadNotes reads the notes of a page, if it has any.
func loadNotes(root, page string) (notes, error) {
	rel := filepath.ToSlash(filepath.Join("internal/docgen/notes", page))
	data, err := os.ReadFile(filepath.Join(root, rel))
	if os.IsNotExist(err) {
		return notes{}, nil
	}
	if err != nil {
		return notes{}, err
	}
	n := notes{file: rel, sections: map[string]string{}, used: map[string]bool{}}
	cur := ""
	for i, line := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```go") {
			// Every Go block of a page is generated, and run by its test.
			return notes{}, fmt.Errorf("%s:%d: notes hold prose: write Go in the generator, where the tests run it", rel, i+1)
		}
		if m := noteMarker.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			cur = m[1]
			continue
		}
		if cur == "" {
			if strings.TrimSpace(line) != "" {
				return notes{}, fmt.Errorf("%s:%d: text before the first section marker", rel, i+1)
			}
			continue
		}
		n.sections[cur] += line + "\n"
	}
	return n, nil
}

// write writes a section, for a method of the page or ("") the page.
func (n notes) write(b *strings.Builder, method, section string) {
	key := section
	if method != "" {
		key = method + " " + section
	}
	if s := strings.TrimSpace(n.sections[key]); s != "" {
		n.used[key] = true
		b.WriteString(s + "\n\n")
	}
}

// unused returns the sections the page did not write, so that a note does
// not go missing when a page changes shape.
func (n notes) unused() []string {
	var out []string
	for _, k := range sortedKeys(n.sections) {
		if !n.used[k] {
			out = append(out, k)
		}
	}
	return out
}
