package endpoints

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// The wire golden: the bytes the client sends for every page's call, as the
// sandbox received them, kept in testdata/wire.golden, so that no change
// moves the wire of a documented call without a reviewed update of that
// file. What varies from run to run is normalised: nonces, timestamps and
// signatures, the sandbox's key serials and APIv2 key (so APIv2 signs), the
// multipart boundary, RSA ciphertexts, and the User-Agent's versions.
//
// After a deliberate change of the wire, rewrite the golden and review its
// diff:
//
//	go test ./docs/endpoints -run TestCatalogCompleteness -update-wire

var updateWire = flag.Bool("update-wire", false, "rewrite testdata/wire.golden from what the pages' calls send")

// wireGolden is the golden's path, taken before TestMain moves to a
// temporary directory.
var wireGolden = func() string {
	wd, _ := os.Getwd()
	return filepath.Join(wd, "testdata", "wire.golden")
}()

// wires collects what each page's call sent, keyed by page and method.
var wires struct {
	sync.Mutex
	m map[string]string
}

// recordWire notes the normalised requests srv received for an example;
// the declarative and the asynchronous call normally send the same, which
// is written once.
func recordWire(srv *wechatpaytest.Server, c callExample, got []wechatpaytest.Received) {
	var reqs []string
	for _, r := range got {
		if w := normaliseWire(srv, r); len(reqs) == 0 || reqs[len(reqs)-1] != w {
			reqs = append(reqs, w)
		}
	}
	wires.Lock()
	defer wires.Unlock()
	if wires.m == nil {
		wires.m = map[string]string{}
	}
	wires.m[c.page+" "+c.method] = strings.Join(reqs, "\n")
}

var (
	reAuthorization = regexp.MustCompile(`(timestamp|nonce_str|signature)="[^"]*"`)
	reUserAgent     = regexp.MustCompile(`^wechatpay-go/\S+ \([^)]*\) Go/\S+`)
	reXMLVolatile   = regexp.MustCompile(`<(nonce_str|sign)>(<!\[CDATA\[)?[^<\]]*(\]\]>)?</(nonce_str|sign)>`)
	reQueryVolatile = regexp.MustCompile(`([?&](?:nonce_str|sign)=)[^&]*`)
	reFormSign      = regexp.MustCompile(`(name="sign"\r\n(?:[^\r\n]+\r\n)*\r\n)[0-9A-Fa-f]+`)
	reUnixTime      = regexp.MustCompile(`\b1\d{9}\b`)
	reBoundary      = regexp.MustCompile(`boundary=("?)([^";]+)`)
)

// normaliseWire writes one request as it arrived: request line, Host, the
// headers in name order, then the body, each line indented, control bytes
// and invalid UTF-8 escaped.
func normaliseWire(srv *wechatpaytest.Server, r wechatpaytest.Received) string {
	serials := strings.NewReplacer(srv.Merchant.Serial, "<merchant-serial>", srv.Platform.Serial, "<platform-serial>")
	target := reQueryVolatile.ReplaceAllString(r.Target, "$1<v>")
	target = string(maskCiphertexts([]byte(target)))
	target = reUnixTime.ReplaceAllStringFunc(target, nowish)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\nHost: %s\n", r.Method, target, r.Host)
	body := r.Body
	headers := r.Header.Clone()
	for _, te := range r.TransferEncoding {
		headers.Add("Transfer-Encoding", te)
	}
	if m := reBoundary.FindStringSubmatch(headers.Get("Content-Type")); m != nil {
		body = bytes.ReplaceAll(body, []byte(m[2]), []byte("<boundary>"))
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range headers {
			if !yield(k) {
				return
			}
		}
	}) {
		for _, v := range headers[k] {
			switch k {
			case "Authorization":
				v = reAuthorization.ReplaceAllString(v, `$1="<v>"`)
			case "User-Agent":
				v = reUserAgent.ReplaceAllString(v, "wechatpay-go/<version> (<os>) Go/<version>")
			case "Content-Type":
				v = reBoundary.ReplaceAllString(v, "boundary=$1<boundary>")
			}
			fmt.Fprintf(&b, "%s: %s\n", k, serials.Replace(v))
		}
	}
	body = reXMLVolatile.ReplaceAll(body, []byte("<$1><v></$4>"))
	body = reFormSign.ReplaceAll(body, []byte("$1<v>"))
	body = maskCiphertexts(body)
	body = reUnixTime.ReplaceAllFunc(body, func(b []byte) []byte { return []byte(nowish(string(b))) })
	if len(body) > 0 {
		b.WriteString("\n")
		for line := range strings.SplitSeq(serials.Replace(string(body)), "\n") {
			b.WriteString("  " + escapeLine(line) + "\n")
		}
	}
	return b.String()
}

// maskCiphertexts replaces the RSA ciphertexts of sensitive fields, which
// differ on every run: runs of 340 or more base64 characters ("+" and "/"
// also escaped, %2B and %2F), with their padding.
func maskCiphertexts(b []byte) []byte {
	const min = 340
	var out []byte
	last, start, n := 0, -1, 0 // n counts the characters of the run at start
	flush := func(end int) {
		if start >= 0 && n >= min {
			for _, pad := range [...]string{"=", "%3D"} {
				for bytes.HasPrefix(b[end:], []byte(pad)) {
					end += len(pad)
				}
			}
			out = append(append(out, b[last:start]...), "<ciphertext>"...)
			last = end
		}
		start, n = -1, 0
	}
	for i := 0; i < len(b); {
		c, w := b[i], 1
		ok := 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/'
		if c == '%' && (bytes.HasPrefix(b[i:], []byte("%2B")) || bytes.HasPrefix(b[i:], []byte("%2F"))) {
			ok, w = true, 3
		}
		if ok {
			if start < 0 {
				start = i
			}
			n++
		} else {
			flush(i)
		}
		i += w
	}
	flush(len(b))
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// nowish stands for a Unix time within a day of now, which a page's code
// took from the clock: it leaves any other ten-digit number as it is.
func nowish(s string) string {
	n, err := strconv.ParseInt(s, 10, 64)
	if d := time.Now().Unix() - n; err == nil && d > -86400 && d < 86400 {
		return "<now>"
	}
	return s
}

// escapeLine writes a body line readably: printable text as it is,
// backslashes doubled, anything else as \r, \t or \xNN.
func escapeLine(s string) string {
	var b strings.Builder
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// checkWire compares what the pages' calls sent with the golden, or
// rewrites it under -update-wire.
func checkWire(t *testing.T) {
	wires.Lock()
	got := wires.m
	wires.Unlock()
	keys := slices.Sorted(func(yield func(string) bool) {
		for k := range got {
			if !yield(k) {
				return
			}
		}
	})
	if *updateWire {
		var b strings.Builder
		b.WriteString("# What the client sends for each endpoint page's call: go test ./docs/endpoints -run TestCatalogCompleteness -update-wire rewrites it.\n")
		for _, k := range keys {
			fmt.Fprintf(&b, "=== %s\n%s", k, got[k])
		}
		if err := os.WriteFile(wireGolden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s: %d calls", wireGolden, len(keys))
		return
	}
	data, err := os.ReadFile(wireGolden)
	if err != nil {
		t.Fatalf("%v (run with -update-wire to write it)", err)
	}
	want := parseWire(string(data))
	shown := 0
	for _, k := range keys {
		w, ok := want[k]
		switch {
		case !ok:
			t.Errorf("%s: not in the wire golden (run with -update-wire and review the diff)", k)
		case w != got[k]:
			if shown++; shown <= 10 {
				t.Errorf("%s: the wire moved:\n%s", k, firstDifference(w, got[k]))
			}
		}
	}
	if shown > 10 {
		t.Errorf("… and %d more calls whose wire moved", shown-10)
	}
	for k := range want {
		if _, ok := got[k]; !ok {
			t.Errorf("%s: in the wire golden but no longer called", k)
		}
	}
	if shown > 0 {
		t.Log("if the change is deliberate: go test ./docs/endpoints -run TestCatalogCompleteness -update-wire, then review the diff of docs/endpoints/testdata/wire.golden")
	}
}

// parseWire splits the golden into its calls.
func parseWire(s string) map[string]string {
	out := map[string]string{}
	var key string
	var cur strings.Builder
	flush := func() {
		if key != "" {
			out[key] = cur.String()
		}
		cur.Reset()
	}
	for line := range strings.SplitSeq(s, "\n") {
		switch {
		case strings.HasPrefix(line, "=== "):
			flush()
			key = line[4:]
		case strings.HasPrefix(line, "#") && key == "":
		case key != "":
			cur.WriteString(line + "\n")
		}
	}
	flush()
	for k, v := range out {
		out[k] = strings.TrimSuffix(v, "\n") // the last line's, added by the split
		if !strings.HasSuffix(out[k], "\n") {
			out[k] += "\n"
		}
	}
	return out
}

// firstDifference shows the first line where want and got part.
func firstDifference(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d\n  golden: %q\n  sent:   %q", i+1, wl, gl)
		}
	}
	return "(same lines)"
}
