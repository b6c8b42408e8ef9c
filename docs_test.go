package wechatpay_test

// The documentation's promise: every Go snippet in README.md and docs/
// compiles. TestDocSnippets extracts each ```go block, turns it into a
// package of its own under a temporary "_docsnippets…" folder of the module
// (the go tool leaves folders starting with "_" out of ./..., but builds
// them when named), and vets them all with one `go vet` run.
//
// A block that starts with "package" is a whole file, taken as it is. Any
// other block is top-level declarations, statements (wrapped in a function),
// or both: then every "func" or "type" at column 0 is a declaration and
// the rest are statements. Fragments share a prelude of imports and of the
// names a reader assumes (client, ctx, nf, db, …), less those the snippet
// declares itself. Variables a fragment declares and leaves unused are
// used for it, as the reader's code would go on to use them.
//
// A //line directive before the snippet's code makes the compiler report
// errors at the Markdown file and line of the snippet.

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"testing"
)

// snippet is one ```go block.
type snippet struct {
	file string // the Markdown file, relative to the module root
	line int    // the line of the block's first line of code
	code string
	// continues is set by the comment continuesMarker on the line before
	// the fence: the block is compiled in the package of the block before
	// it, as a file of its own, so that it may use that block's
	// declarations.
	continues bool
}

// continuesMarker, on the line before a ```go fence (where Markdown
// renderers show nothing), joins the block to the previous one.
const continuesMarker = "<!-- go: continues the previous snippet -->"

// docFiles returns README.md and every Markdown file under docs/.
func docFiles(t *testing.T) []string {
	files := []string{"README.md"}
	err := filepath.WalkDir("docs", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files[1:])
	return files
}

// extractSnippets returns the ```go blocks of a Markdown file. Fences may
// be indented (inside a list item); the indentation is removed.
func extractSnippets(file string, data []byte) ([]snippet, error) {
	var out []snippet
	var cur *snippet
	var indent string
	var b strings.Builder
	prev := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trimmed := strings.TrimLeft(line, " \t")
		switch {
		case cur == nil && (trimmed == "```go" || strings.HasPrefix(trimmed, "```go ")):
			cur = &snippet{file: file, line: n + 1, continues: strings.TrimSpace(prev) == continuesMarker}
			if cur.continues && len(out) == 0 {
				return nil, fmt.Errorf("%s:%d: %s before the first ```go block", file, n-1, continuesMarker)
			}
			indent = line[:len(line)-len(trimmed)]
			b.Reset()
		case cur != nil && strings.HasPrefix(trimmed, "```"):
			cur.code = b.String()
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			b.WriteString(strings.TrimPrefix(line, indent))
			b.WriteByte('\n')
		}
		prev = line
	}
	if cur != nil {
		return nil, fmt.Errorf("%s:%d: unclosed ```go block", file, cur.line-1)
	}
	return out, sc.Err()
}

// preludeImports are the packages a fragment may use without importing
// them, each with a name that keeps the import used.
var preludeImports = []struct{ path, use string }{
	{"bytes", "bytes.NewReader"},
	{"context", "context.Background"},
	{"crypto/rsa", "rsa.GenerateKey"},
	{"crypto/x509", "x509.ParseCertificate"},
	{"database/sql", "sql.Open"},
	{"encoding/json", "json.Marshal"},
	{"errors", "errors.New"},
	{"fmt", "fmt.Sprint"},
	{"io", "io.EOF"},
	{"log", "log.Print"},
	{"net/http", "http.Handle"},
	{"net/http/httptest", "httptest.NewServer"},
	{"os", "os.Getenv"},
	{"strconv", "strconv.Itoa"},
	{"strings", "strings.NewReader"},
	{"sync", "sync.NewCond"},
	{"testing", "testing.Short"},
	{"time", "time.Now"},
	{"github.com/valyala/fasthttp", "fasthttp.ListenAndServe"},
	{"github.com/wechatpay-go/wechatpay", "wechatpay.New"},
	{"github.com/wechatpay-go/wechatpay/crypto/openssl", "openssl.NewPrivateKey"},
	{"github.com/wechatpay-go/wechatpay/formatter", "formatter.Nonce"},
	{"github.com/wechatpay-go/wechatpay/middleware", "middleware.NewStack"},
	{"github.com/wechatpay-go/wechatpay/remotesign", "remotesign.DefaultTimeout"},
	{"github.com/wechatpay-go/wechatpay/transformer", "transformer.ToMap"},
	{"github.com/wechatpay-go/wechatpay/wechatpaytest", "wechatpaytest.NewServer"},
}

// stdCryptoNames are the names of the standard library's package crypto a
// snippet may use; a snippet naming only these gets "crypto" from the
// standard library, any other gets the SDK's crypto package.
var stdCryptoNames = map[string]bool{
	"Signer": true, "SignerOpts": true, "PublicKey": true, "PrivateKey": true,
	"Decrypter": true, "DecrypterOpts": true, "Hash": true, "SHA256": true, "SHA1": true,
}

// ambient are the names a fragment may use without declaring them: a
// reader assumes a client, a context and the like are at hand.
var ambient = []struct{ name, decl string }{
	{"client", "var client *wechatpay.Client"},
	{"ctx", "var ctx context.Context"},
	{"err", "var err error"},
	{"cfg", "var cfg wechatpay.Config"},
	{"nf", "var nf *wechatpay.Notifier"},
	{"srv", "var srv *wechatpaytest.Server"},
	{"db", "var db *sql.DB"},
	{"header", "var header http.Header"},
	{"rawBody", "var rawBody []byte"},
	{"file", "var file *os.File"},
	{"merchantPublicKey", "var merchantPublicKey *rsa.PublicKey"},
	{"merchantCert", "var merchantCert *x509.Certificate"},
	{"markPaid", "func markPaid(ctx context.Context, outTradeNo, transactionID string, total int) error { return nil }"},
	{"markRefunded", "func markRefunded(ctx context.Context, outRefundNo string) error { return nil }"},
}

var cryptoSelector = regexp.MustCompile(`\bcrypto\.([A-Z]\w*)`)

// isDecl reports whether line starts a top-level declaration of a mixed
// snippet.
func isDecl(line string) bool {
	return strings.HasPrefix(line, "func ") || strings.HasPrefix(line, "type ")
}

// split separates a fragment into declarations and statements, keeping
// each piece's first line (1-based, within the snippet). A declaration runs
// from a "func" or "type" line at column 0 to the line where its braces and
// parentheses balance.
type piece struct {
	line int
	code string
}

func split(code string) (decls, stmts []piece) {
	lines := strings.Split(strings.TrimSuffix(code, "\n"), "\n")
	for i := 0; i < len(lines); {
		start := i
		if isDecl(lines[i]) {
			depth := 0
			for ; i < len(lines); i++ {
				depth += strings.Count(lines[i], "{") + strings.Count(lines[i], "(") -
					strings.Count(lines[i], "}") - strings.Count(lines[i], ")")
				if depth <= 0 {
					i++
					break
				}
			}
			decls = append(decls, piece{start + 1, strings.Join(lines[start:i], "\n") + "\n"})
			continue
		}
		for i < len(lines) && !isDecl(lines[i]) {
			i++
		}
		stmts = append(stmts, piece{start + 1, strings.Join(lines[start:i], "\n") + "\n"})
	}
	return decls, stmts
}

// useDeclared makes statements use every variable they declare, by adding
// "; _ = name" after each := or var statement of a block (on the same line,
// so that lines keep their numbers).
func useDeclared(stmts string) (string, error) {
	src := "package p\nfunc _() {\n" + stmts + "\n}\n"
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	type insert struct {
		at   int
		text string
	}
	var ins []insert
	addNames := func(end token.Pos, names []string) {
		var b strings.Builder
		for _, n := range names {
			if n != "_" {
				b.WriteString("; _ = " + n)
			}
		}
		if b.Len() > 0 {
			ins = append(ins, insert{fset.Position(end).Offset, b.String()})
		}
	}
	visitList := func(list []ast.Stmt) {
		for _, s := range list {
			switch s := s.(type) {
			case *ast.AssignStmt:
				if s.Tok != token.DEFINE {
					continue
				}
				var names []string
				for _, l := range s.Lhs {
					if id, ok := l.(*ast.Ident); ok {
						names = append(names, id.Name)
					}
				}
				addNames(s.End(), names)
			case *ast.DeclStmt:
				g, ok := s.Decl.(*ast.GenDecl)
				if !ok || g.Tok != token.VAR {
					continue
				}
				var names []string
				for _, sp := range g.Specs {
					for _, id := range sp.(*ast.ValueSpec).Names {
						names = append(names, id.Name)
					}
				}
				addNames(s.End(), names)
			}
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BlockStmt:
			visitList(n.List)
		case *ast.CaseClause:
			visitList(n.Body)
		case *ast.CommClause:
			visitList(n.Body)
		}
		return true
	})
	sort.Slice(ins, func(i, j int) bool { return ins[i].at > ins[j].at })
	for _, in := range ins {
		src = src[:in.at] + in.text + src[in.at:]
	}
	body := strings.TrimPrefix(src, "package p\nfunc _() {\n")
	return strings.TrimSuffix(body, "\n}\n"), nil
}

// returnsValues reports whether statements return values (return err), so
// that the function wrapping them must have a result; bare returns need
// none. Returns inside function literals are their own.
func returnsValues(stmts string) bool {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\nfunc _() {\n"+stmts+"\n}\n", parser.SkipObjectResolution)
	if err != nil {
		return false
	}
	found := false
	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit:
			return false
		case *ast.ReturnStmt:
			found = found || len(n.Results) > 0
		}
		return true
	})
	return found
}

// topLevelNames returns the names a piece of declarations declares.
func topLevelNames(decls string) (map[string]bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+decls, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				names[d.Name.Name] = true
			}
		case *ast.GenDecl:
			for _, sp := range d.Specs {
				switch sp := sp.(type) {
				case *ast.TypeSpec:
					names[sp.Name.Name] = true
				case *ast.ValueSpec:
					for _, id := range sp.Names {
						names[id.Name] = true
					}
				}
			}
		}
	}
	return names, nil
}

// parts is a fragment split into what it declares at top level and what
// runs inside a function.
type parts struct {
	decls, stmts []piece
	declared     map[string]bool // the top-level names of decls
}

// classify splits a fragment into declarations and statements.
func classify(s snippet) (parts, error) {
	var p parts
	if _, err := parser.ParseFile(token.NewFileSet(), "", "package p\n"+s.code, parser.SkipObjectResolution); err == nil {
		p.decls = []piece{{1, s.code}}
	} else if _, err := useDeclared(s.code); err == nil {
		p.stmts = []piece{{1, s.code}}
	} else {
		p.decls, p.stmts = split(s.code)
	}
	p.declared = map[string]bool{}
	for _, d := range p.decls {
		names, err := topLevelNames(d.code)
		if err != nil {
			return p, fmt.Errorf("%s:%d: neither declarations nor statements: %v", s.file, s.line+d.line-1, err)
		}
		for n := range names {
			p.declared[n] = true
		}
	}
	for _, st := range p.stmts {
		if _, err := useDeclared(st.code); err != nil {
			return p, fmt.Errorf("%s:%d: neither declarations nor statements: %v", s.file, s.line+st.line-1, err)
		}
	}
	return p, nil
}

// isWholeFile reports whether a snippet is a Go file of its own.
func isWholeFile(s snippet) bool {
	return strings.HasPrefix(strings.TrimSpace(s.code), "package ") || strings.HasPrefix(s.code, "//go:build")
}

// render writes the Go file of a fragment: the prelude's imports, the
// ambient names unless declared is nil (a continuation's file; the
// group's first file has them) or declares them, and the fragment's pieces,
// each behind a //line directive. n numbers the file within its package.
func render(s snippet, p parts, n int, declared map[string]bool, absFile string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "// Code generated from %s:%d by TestDocSnippets. DO NOT EDIT.\n\npackage snippet\n\nimport (\n", s.file, s.line)
	var uses []string
	cryptoPath, cryptoUse := "github.com/wechatpay-go/wechatpay/crypto", "crypto.NewSecret"
	if m := cryptoSelector.FindAllStringSubmatch(s.code, -1); len(m) > 0 {
		std := true
		for _, x := range m {
			std = std && stdCryptoNames[x[1]]
		}
		if std {
			cryptoPath, cryptoUse = "crypto", "crypto.SHA256"
		}
	}
	for _, imp := range append(preludeImports, struct{ path, use string }{cryptoPath, cryptoUse}) {
		fmt.Fprintf(&b, "\t%q\n", imp.path)
		uses = append(uses, imp.use)
	}
	b.WriteString(")\n\n")
	for _, u := range uses {
		fmt.Fprintf(&b, "var _ = %s\n", u)
	}
	if declared != nil {
		for _, a := range ambient {
			if !declared[a.name] {
				b.WriteString(a.decl + "\n")
			}
		}
	}
	for _, d := range p.decls {
		fmt.Fprintf(&b, "\n//line %s:%d\n%s", absFile, s.line+d.line-1, d.code)
	}
	for i, st := range p.stmts {
		body, _ := useDeclared(st.code) // classify checked it parses
		if returnsValues(st.code) {
			fmt.Fprintf(&b, "\nfunc _%d_%d() error {\n//line %s:%d\n%s\n\treturn nil\n}\n", n, i, absFile, s.line+st.line-1, body)
		} else {
			fmt.Fprintf(&b, "\nfunc _%d_%d() {\n//line %s:%d\n%s\n}\n", n, i, absFile, s.line+st.line-1, body)
		}
	}
	return b.String()
}

// writePackage writes a group of snippets (one, and those that continue
// it) as the files of one package in dir.
func writePackage(dir, root string, group []snippet) error {
	if err := os.Mkdir(dir, 0o755); err != nil {
		return err
	}
	all := make([]parts, len(group))
	declared := map[string]bool{}
	for i, s := range group {
		if isWholeFile(s) {
			continue
		}
		p, err := classify(s)
		if err != nil {
			return err
		}
		all[i] = p
		for n := range p.declared {
			declared[n] = true
		}
	}
	for i, s := range group {
		abs := filepath.Join(root, s.file)
		src := fmt.Sprintf("//line %s:%d\n%s", abs, s.line, s.code)
		if !isWholeFile(s) {
			d := declared
			if i > 0 {
				d = nil
			}
			src = render(s, all[i], i, d, abs)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("snippet%d.go", i)), []byte(src), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func TestDocSnippets(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every documentation snippet with the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	var all []snippet
	for _, f := range docFiles(t) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := extractSnippets(f, data)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, s...)
	}
	if len(all) == 0 {
		t.Fatal("no ```go block found: the extraction is broken")
	}

	dir, err := os.MkdirTemp(root, "_docsnippets")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	var groups [][]snippet
	for _, s := range all {
		if s.continues {
			groups[len(groups)-1] = append(groups[len(groups)-1], s)
			continue
		}
		groups = append(groups, []snippet{s})
	}
	var pkgs []string
	nonIdent := regexp.MustCompile(`[^a-z0-9]+`)
	for i, g := range groups {
		name := fmt.Sprintf("s%03d_%s_%d", i, strings.Trim(nonIdent.ReplaceAllString(strings.ToLower(g[0].file), "_"), "_"), g[0].line)
		if err := writePackage(filepath.Join(dir, name), root, g); err != nil {
			t.Error(err)
			continue
		}
		pkgs = append(pkgs, "./"+filepath.ToSlash(filepath.Join(filepath.Base(dir), name)))
	}
	cmd := exec.Command(goTool, append([]string{"vet"}, pkgs...)...)
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the documentation's Go snippets do not all compile (go vet: %v):\n%s", err, bytes.ReplaceAll(out, []byte(root+string(filepath.Separator)), nil))
	}
	t.Logf("%d snippets from README.md and docs/, in %d packages, compile", len(all), len(pkgs))
}

// markdownLink matches the target of an inline Markdown link, without its
// #fragment.
var markdownLink = regexp.MustCompile(`\]\(([^)#\s]+)(?:#[^)]*)?\)`)

// Every relative link of README.md and docs/ names a file that exists, so
// that a renamed page does not leave dead links behind.
func TestDocLinks(t *testing.T) {
	n := 0
	for _, file := range docFiles(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range markdownLink.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			n++
			if _, err := os.Stat(filepath.Join(filepath.Dir(file), target)); err != nil {
				t.Errorf("%s: dead link %s", file, target)
			}
		}
	}
	t.Logf("%d relative links resolve", n)
}
