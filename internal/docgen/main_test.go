package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// The committed pages, index, generated tests and compressed catalog are
// what the generator makes from catalog/endpoints.json and the notes.
func TestGeneratedFilesUpToDate(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range sortedKeys(files) {
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil || !bytes.Equal(got, files[name]) {
			t.Errorf("%s is not what internal/docgen makes (%v): run go generate ./internal/docgen", name, err)
		}
	}
	stale, err := staleFiles(root, files)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range stale {
		t.Errorf("%s is generated but no longer made: run go generate ./internal/docgen", name)
	}
	t.Logf("%d generated files up to date", len(files))
}

// Every group a rule names is in the index; few endpoints fall outside the
// products.
func TestGroups(t *testing.T) {
	known := map[string]bool{}
	for _, g := range groups {
		known[g.key] = true
	}
	for prefix, g := range groupRules {
		if !known[g] {
			t.Errorf("rule %q names the unknown group %q", prefix, g)
		}
	}
	root, _ := moduleRoot()
	raw, err := os.ReadFile(filepath.Join(root, "catalog/endpoints.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []catalog.Entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	var other []string
	for i := range entries {
		if e := &entries[i]; !e.IsWebhook() && groupOf(e) == "other" {
			other = append(other, e.String())
		}
	}
	if len(other) > 10 {
		t.Errorf("%d endpoints in no product; add their prefixes to groupRules: %v", len(other), other)
	}
}
