// Command docgen generates what derives from the endpoint catalog
// (catalog/endpoints.json): the compressed copy the catalog package embeds,
// one page per catalog page under docs/endpoints/ with its index, and the
// tests that run the Go code of every page (docs/endpoints/examples_*_test.go).
// Hand-written prose of a page lives in internal/docgen/notes/, at the
// page's path, and is merged into it.
//
// Run it with go generate ./internal/docgen. Its test fails while the
// committed files differ from what it makes.
package main

//go:generate go run .

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

func main() {
	log.SetFlags(0)
	root, err := moduleRoot()
	if err != nil {
		log.Fatal(err)
	}
	files, err := generate(root)
	if err != nil {
		log.Fatal(err)
	}
	written := 0
	for _, name := range sortedKeys(files) {
		path := filepath.Join(root, name)
		if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, files[name]) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			log.Fatal(err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			log.Fatal(err)
		}
		written++
	}
	stale, err := staleFiles(root, files)
	if err != nil {
		log.Fatal(err)
	}
	for _, name := range stale {
		if err := os.Remove(filepath.Join(root, name)); err != nil {
			log.Fatal(err)
		}
	}
	log.Printf("docgen: %d files, %d written, %d stale removed", len(files), written, len(stale))
}

// moduleRoot finds the directory of go.mod, from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// generate returns every generated file, by its path under root.
func generate(root string) (map[string][]byte, error) {
	raw, err := os.ReadFile(filepath.Join(root, "catalog/endpoints.json"))
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	zst, _ := os.ReadFile(filepath.Join(root, "catalog/endpoints.json.zst"))
	if files["catalog/endpoints.json.zst"], err = packCatalog(raw, zst); err != nil {
		return nil, err
	}
	// The JSON itself, not the package's embedded copy, which may be the
	// one this run replaces.
	var entries []catalog.Entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("catalog/endpoints.json: %w", err)
	}

	pages := map[string]*pageDoc{}
	var order []string
	for i := range entries {
		e := &entries[i]
		p := pages[e.Page]
		if p == nil {
			n, err := loadNotes(root, e.Page)
			if err != nil {
				return nil, err
			}
			p = &pageDoc{page: e.Page, ex: map[*catalog.Entry]*example{}, notes: n}
			pages[e.Page] = p
			order = append(order, e.Page)
		}
		p.entries = append(p.entries, e)
	}

	byGroup := map[string][]*example{}
	names := map[string]bool{}
	for _, name := range order {
		p := pages[name]
		for _, e := range p.entries {
			ex, err := exampleOf(e, names)
			if err != nil {
				return nil, err
			}
			if err := formatBlocks(ex); err != nil {
				return nil, err
			}
			p.ex[e] = ex
			g := "webhooks"
			if !e.IsWebhook() {
				g = groupOf(e)
			}
			byGroup[g] = append(byGroup[g], ex)
		}
		files[p.file()] = []byte(p.render())
		if unused := p.notes.unused(); len(unused) > 0 {
			return nil, fmt.Errorf("%s: sections %v are not on the page", p.notes.file, unused)
		}
	}
	files["docs/endpoints/README.md"] = []byte(index(entries, pages))
	for g, exs := range byGroup {
		src, err := testFile(g, exs)
		if err != nil {
			return nil, err
		}
		files["docs/endpoints/examples_"+g+"_test.go"] = src
	}
	return files, nil
}

// exampleOf writes the Go of an entry, named uniquely.
func exampleOf(e *catalog.Entry, names map[string]bool) (*example, error) {
	var ex *example
	var err error
	switch {
	case e.IsWebhook():
		ex, err = webhookExample(e, names)
		if err == nil {
			ex.name = funcName("webhook", e.Protocol+" "+strings.TrimPrefix(e.Path(), e.Protocol+"/"), names)
		}
	case e.Chain == "":
		ex, err = urlExample(e)
		if err == nil {
			ex.name = funcName("link", e.Method+" "+e.Path(), names)
		}
	default:
		ex, err = openapiExample(e)
		if err == nil {
			ex.name = funcName("call", e.Method+" "+e.Chain, names)
		}
	}
	return ex, err
}

// staleFiles lists generated files on disk that generate no longer makes:
// pages of entries gone from the catalog, tests of groups gone.
func staleFiles(root string, files map[string][]byte) ([]string, error) {
	var out []string
	dir := filepath.Join(root, "docs/endpoints")
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if _, ok := files[rel]; ok {
			return nil
		}
		generated := strings.HasPrefix(filepath.Base(rel), "examples_") && strings.HasSuffix(rel, "_test.go")
		if strings.HasSuffix(rel, ".md") {
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			generated = bytes.HasPrefix(data, []byte(generatedMark))
		}
		if generated {
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}
