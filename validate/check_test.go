package validate

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/internal/errata"
)

func TestIsCiphertext(t *testing.T) {
	for _, n := range []int{256, 384, 512} {
		ct := base64.StdEncoding.EncodeToString(make([]byte, n))
		if !isCiphertext(ct) {
			t.Errorf("%d bytes: not taken for ciphertext", n)
		}
		if isCiphertext(strings.Replace(ct, "A", "-", 1)) {
			t.Errorf("%d bytes, URL alphabet: taken for ciphertext", n)
		}
	}
	for _, s := range []string{"", "张三", "110101199003071234", base64.StdEncoding.EncodeToString(make([]byte, 255)),
		base64.RawStdEncoding.EncodeToString(make([]byte, 256)) + "A="} {
		if isCiphertext(s) {
			t.Errorf("%q taken for ciphertext", s)
		}
	}
}

func TestQuote(t *testing.T) {
	if got := quote(strings.Repeat("微", 20)); got != `"`+strings.Repeat("微", 13)+`"…` {
		t.Errorf("quote cut a character: %s", got)
	}
	if got := quote("100"); got != `"100"` {
		t.Error(got)
	}
}

// Every correction of internal/errata names fields the catalog has.
func TestErrataMatchCatalog(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range errata.OneOf {
		e, err := cat.Lookup(a.Method, a.Chain)
		if err != nil || e.Chain != a.Chain {
			t.Errorf("%s %s: %v", a.Method, a.Chain, err)
			continue
		}
		for _, name := range a.Names {
			if n := e.Request.Find(a.Path + "." + name); n == nil || !n.Required {
				t.Errorf("%s %s: %s.%s is not a required field of the catalog", a.Method, a.Chain, a.Path, name)
			}
		}
		ep := compileEntry(e)
		if o := ep.xml.obj; len(o.anyOf) != 1 {
			t.Errorf("%s %s: the alternatives were not applied", a.Method, a.Chain)
		}
	}
}
