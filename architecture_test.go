package wechatpay_test

// docs/architecture.md is the map of the module; these tests keep it true.
// Each package has a paragraph in its "Packages" section, opened by its
// name in bold code (**`middleware/`**, **`wechatpay`** for the root), with
// lines "Must not import: `a/`, `b/`." (nothing on any import path, as
// `go list -deps` sees it) and "Must not import directly: …" (no import
// statement). The imports are those of the package's non-test files under
// the default build tags and under "openssl pkcs11", together.

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/wechatpay-go/wechatpay"

// goPackage is what `go list -json` says of a package, for these tests.
type goPackage struct {
	ImportPath string
	Imports    []string // direct imports of the non-test files
	Deps       []string // every package they depend on
	NonTest    bool     // has Go files outside tests, under some build tags
}

// listPackages runs `go list` on the module under both tag sets and merges
// what it finds.
func listPackages(t *testing.T) map[string]*goPackage {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	pkgs := map[string]*goPackage{}
	for _, tags := range []string{"", "openssl pkcs11"} {
		cmd := exec.Command(goTool, "list", "-e", "-json", "-tags", tags, "./...")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list -tags %q: %v\n%s", tags, err, stderr.Bytes())
		}
		dec := json.NewDecoder(bytes.NewReader(out))
		for {
			var p struct {
				ImportPath                        string
				Imports, Deps                     []string
				GoFiles, CgoFiles, IgnoredGoFiles []string
				Error                             *struct{ Err string }
			}
			if err := dec.Decode(&p); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatal(err)
			}
			if p.Error != nil {
				t.Fatalf("go list -tags %q: %s: %s", tags, p.ImportPath, p.Error.Err)
			}
			q := pkgs[p.ImportPath]
			if q == nil {
				q = &goPackage{ImportPath: p.ImportPath}
				pkgs[p.ImportPath] = q
			}
			q.Imports = union(q.Imports, p.Imports)
			q.Deps = union(q.Deps, p.Deps)
			for _, f := range slices.Concat(p.GoFiles, p.CgoFiles, p.IgnoredGoFiles) {
				if !strings.HasSuffix(f, "_test.go") {
					q.NonTest = true
				}
			}
		}
	}
	if pkgs[modulePath] == nil || len(pkgs[modulePath].Deps) == 0 {
		t.Fatalf("go list did not describe %s and its dependencies", modulePath)
	}
	return pkgs
}

func union(a, b []string) []string {
	for _, x := range b {
		if !slices.Contains(a, x) {
			a = append(a, x)
		}
	}
	return a
}

// mapRules are the rules of one package paragraph.
type mapRules struct {
	line         int      // of the paragraph, for messages
	never        []string // Must not import
	neverDirect  []string // Must not import directly
	paragraphHas bool     // a "Must not import" line was found
}

var (
	packageName = regexp.MustCompile("\\*\\*`([^`]+)`\\*\\*")
	codeSpan    = regexp.MustCompile("`([^`]+)`")
	goFileName  = regexp.MustCompile(`^[\w./*-]+\.go$`)
)

// readMap returns docs/architecture.md and the rules of its Packages
// section, by import path.
func readMap(t *testing.T) (string, map[string]*mapRules) {
	t.Helper()
	b, err := os.ReadFile("docs/architecture.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	rules := map[string]*mapRules{}
	inPackages := false
	var cur []*mapRules
	for i, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "## ") {
			inPackages = line == "## Packages"
			cur = nil
			continue
		}
		if !inPackages {
			continue
		}
		if strings.TrimSpace(line) == "" {
			cur = nil
			continue
		}
		direct := strings.HasPrefix(line, "Must not import directly:")
		if !direct && !strings.HasPrefix(line, "Must not import:") {
			// Prose: the packages it names in bold code are the paragraph's.
			for _, m := range packageName.FindAllStringSubmatch(line, -1) {
				p, ok := importPathOf(m[1])
				if !ok {
					t.Errorf("docs/architecture.md:%d: %q is not written as a package (`dir/`, or `wechatpay` for the root)", i+1, m[1])
					continue
				}
				if rules[p] != nil {
					t.Errorf("docs/architecture.md:%d: %s has a second paragraph", i+1, m[1])
				}
				r := &mapRules{line: i + 1}
				rules[p] = r
				cur = append(cur, r)
			}
			continue
		}
		if len(cur) == 0 {
			t.Errorf("docs/architecture.md:%d: a rule in a paragraph that names no package in bold code", i+1)
		}
		var targets []string
		for _, m := range codeSpan.FindAllStringSubmatch(line, -1) {
			p, ok := importPathOf(m[1])
			if !ok {
				t.Errorf("docs/architecture.md:%d: %q is not a package (`dir/`, `wechatpay`, or an outside import path)", i+1, m[1])
				continue
			}
			targets = append(targets, p)
		}
		if len(targets) == 0 {
			t.Errorf("docs/architecture.md:%d: a rule that names nothing", i+1)
		}
		for _, r := range cur {
			r.paragraphHas = true
			if direct {
				r.neverDirect = append(r.neverDirect, targets...)
			} else {
				r.never = append(r.never, targets...)
			}
		}
	}
	if len(rules) == 0 {
		t.Fatal("docs/architecture.md has no Packages section with package paragraphs")
	}
	return doc, rules
}

// importPathOf reads a package as the map writes it: `wechatpay` for the
// root, `dir/` for a package of the module, or an outside import path
// (github.com/…).
func importPathOf(name string) (string, bool) {
	switch {
	case name == "wechatpay":
		return modulePath, true
	case strings.HasSuffix(name, "/") && !strings.Contains(name, "."):
		return modulePath + "/" + strings.TrimSuffix(name, "/"), true
	case strings.Contains(strings.SplitN(name, "/", 2)[0], ".") && strings.Contains(name, "/"):
		return name, true
	}
	return "", false
}

// inModule reports whether p is a package of this module.
func inModule(p string) bool { return p == modulePath || strings.HasPrefix(p, modulePath+"/") }

// reaches returns whether pkg depends on target (for an outside module, on
// any of its packages).
func reaches(deps []string, target string) (string, bool) {
	for _, d := range deps {
		if d == target || !inModule(target) && strings.HasPrefix(d, target+"/") {
			return d, true
		}
	}
	return "", false
}

// importChain finds a chain of imports from one module package to target
// through the module's packages, for a readable failure.
func importChain(pkgs map[string]*goPackage, from, target string) string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		q := pkgs[p]
		if q == nil {
			continue
		}
		for _, imp := range q.Imports {
			if _, seen := prev[imp]; seen {
				continue
			}
			prev[imp] = p
			if imp == target || !inModule(target) && strings.HasPrefix(imp, target+"/") {
				chain := []string{shortName(imp)}
				for at := p; at != ""; at = prev[at] {
					chain = append(chain, shortName(at))
				}
				slices.Reverse(chain)
				return strings.Join(chain, " → ")
			}
			queue = append(queue, imp)
		}
	}
	return shortName(from) + " → … (through an outside module) → " + shortName(target)
}

// TestArchitectureMapNamesEveryPackage: every package of the module has
// its paragraph, every paragraph is of a package that exists, and a package
// with code outside its tests says what it must not import.
func TestArchitectureMapNamesEveryPackage(t *testing.T) {
	pkgs := listPackages(t)
	_, rules := readMap(t)
	for p, q := range pkgs {
		r := rules[p]
		switch {
		case r == nil:
			t.Errorf("docs/architecture.md has no paragraph for %s: add one to its Packages section, opened by **`%s`**", p, shortName(p))
		case q.NonTest && !r.paragraphHas:
			t.Errorf("docs/architecture.md:%d: %s has no \"Must not import:\" line", r.line, shortName(p))
		}
	}
	for p, r := range rules {
		if pkgs[p] == nil {
			t.Errorf("docs/architecture.md:%d: %s is not a package of the module", r.line, shortName(p))
		}
		for _, target := range slices.Concat(r.never, r.neverDirect) {
			if inModule(target) && pkgs[target] == nil {
				t.Errorf("docs/architecture.md:%d: the rule names %s, which is not a package of the module", r.line, shortName(target))
			}
		}
	}
}

// TestArchitectureMapImportRules: the "Must not import" lines hold.
func TestArchitectureMapImportRules(t *testing.T) {
	pkgs := listPackages(t)
	_, rules := readMap(t)
	checked := 0
	for p, r := range rules {
		q := pkgs[p]
		if q == nil {
			continue // reported by TestArchitectureMapNamesEveryPackage
		}
		for _, target := range r.never {
			checked++
			if dep, ok := reaches(q.Deps, target); ok {
				t.Errorf("%s must not import %s (docs/architecture.md:%d), but does: %s", shortName(p), shortName(target), r.line, importChain(pkgs, p, dep))
			}
		}
		for _, target := range r.neverDirect {
			checked++
			if dep, ok := reaches(q.Imports, target); ok {
				t.Errorf("%s must not import %s directly (docs/architecture.md:%d), but imports %s", shortName(p), shortName(target), r.line, dep)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d import rules were read from docs/architecture.md", checked)
	}
}

// TestArchitectureMapFilesExist: every Go file the map names exists, by
// its path from the module root, or by its base name (a glob, for
// "notifier*.go") somewhere in the module.
func TestArchitectureMapFilesExist(t *testing.T) {
	doc, _ := readMap(t)
	var files []string
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (strings.HasPrefix(d.Name(), ".") || strings.HasPrefix(d.Name(), "_") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			files = append(files, filepath.ToSlash(p))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	named := 0
	for _, m := range codeSpan.FindAllStringSubmatch(doc, -1) {
		name := m[1]
		if !goFileName.MatchString(name) {
			continue
		}
		named++
		found := slices.ContainsFunc(files, func(f string) bool {
			if strings.Contains(name, "/") {
				ok, _ := path.Match(name, f)
				return ok
			}
			ok, _ := path.Match(name, path.Base(f))
			return ok
		})
		if !found {
			t.Errorf("docs/architecture.md names %s, which does not exist", name)
		}
	}
	if named < 20 {
		t.Fatalf("only %d Go files are named in docs/architecture.md", named)
	}
}

// shortName writes an import path as the map does.
func shortName(p string) string {
	switch {
	case p == modulePath:
		return "wechatpay"
	case inModule(p):
		return strings.TrimPrefix(p, modulePath+"/") + "/"
	}
	return p
}
