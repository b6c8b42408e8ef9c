package wechatpay

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Every catalog entry with a chain: the declarative form and the PHP pure
// chain form (its segments) make the same path, and expand with the
// sample's variables to the same URL path.
func TestCatalogChainsAgree(t *testing.T) {
	entries, err := catalog.All()
	if err != nil {
		t.Fatal(err)
	}
	c := &Client{}
	n := 0
	for _, e := range entries {
		if e.Chain == "" {
			continue
		}
		n++
		decl := c.Chain(e.Chain)
		seg := c.Chain(e.Segments[0])
		for _, s := range e.Segments[1:] {
			seg = seg.Chain(s)
		}
		if decl.String() != seg.String() || decl.String() != e.Chain {
			t.Errorf("%s %s: declarative %q, segments %q", e.Method, e.Chain, decl, seg)
			continue
		}
		vars := sampleVars(t, e)
		p1, err1 := expand(decl.String(), vars)
		p2, err2 := expand(seg.String(), vars)
		if err1 != nil || err2 != nil || p1 != p2 {
			t.Errorf("%s %s: expand %q/%v and %q/%v", e.Method, e.Chain, p1, err1, p2, err2)
		}
		if strings.Contains(p1, "{") {
			t.Errorf("%s %s: unexpanded %q", e.Method, e.Chain, p1)
		}
	}
	if n < 1100 {
		t.Fatalf("only %d chains in the catalog", n)
	}
	t.Logf("%d catalog chains agree", n)
}

// sampleVars returns the URI variables of an entry's sample, with a value
// for any the sample lacks or leaves empty (its placeholder for an ID).
func sampleVars(t *testing.T, e catalog.Entry) map[string]any {
	var sample map[string]any
	if len(e.Sample) > 0 {
		if err := json.Unmarshal(e.Sample, &sample); err != nil {
			t.Fatalf("%s: %v", e.Page, err)
		}
	}
	vars := map[string]any{}
	for _, v := range e.URIVars {
		if v == "empty" {
			continue
		}
		if s, ok := sample[v].(string); ok && s != "" {
			vars[v] = s
		} else {
			vars[v] = "X" + v
		}
	}
	return vars
}

// Every catalog sample ports to an M literal: its keys are options or the
// path's own variables, and the values have the types the options take.
func TestCatalogSamplesAsM(t *testing.T) {
	entries, err := catalog.All()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.SDKCall || len(e.Sample) == 0 {
			continue
		}
		var raw map[string]any
		if err := json.Unmarshal(e.Sample, &raw); err != nil {
			t.Fatal(e.Page, err)
		}
		m := M{}
		for k, v := range raw {
			m[k] = sampleValue(k, v)
		}
		o, err := m.options()
		if err != nil {
			t.Errorf("%s %s: %v", e.Method, e.Chain, err)
			continue
		}
		if typo, ok := sampleTypos[e.Page]; ok {
			// The documented sample names a variable the path does not
			// have; PHP would send the call to a wrong path, this client
			// refuses it before sending.
			var oe *OptionError
			if _, err := expand(e.Chain, withMissingVars(o.Vars, e.URIVars)); !errors.As(err, &oe) || oe.Option != typo {
				t.Errorf("%s: the sample's %q was not refused: %v", e.Page, typo, err)
			}
			n++
			continue
		}
		for k := range o.Vars {
			if !slices.Contains(e.URIVars, k) {
				t.Errorf("%s %s: sample key %q read as a URI variable", e.Method, e.Chain, k)
			}
		}
		if _, err := expand(e.Chain, withMissingVars(o.Vars, e.URIVars)); err != nil {
			t.Errorf("%s %s: %v", e.Method, e.Chain, err)
		}
		n++
	}
	t.Logf("%d samples port to M", n)
}

// sampleTypos are documented samples whose URI variable is misnamed.
var sampleTypos = map[string]string{
	"openapi/v3/global/papay/transactions/out-trade-no/{out_trade_no}.md":                                     "transaction_id",
	"openapi/v3/offlinefacemch/organizations/{organization_id}/users/user-id/{user_id}/terminate-contract.md": "use_id",
}

// sampleValue turns a sample value into what Go code would write: objects
// become M, PHP expressions a stand-in of the right type.
func sampleValue(key string, v any) any {
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["$php"]; ok {
			switch key {
			case "handler":
				return &middleware.Stack{}
			case "body":
				return strings.NewReader("stream")
			}
			return "php-expression"
		}
		if _, ok := x["$call"]; ok {
			return "json-encoded"
		}
		m := M{}
		for k, vv := range x {
			m[k] = sampleValue(k, vv)
		}
		return m
	case float64:
		if key == "timeout" {
			return x
		}
	}
	return v
}

// withMissingVars fills in the URI variables a sample leaves out or empty
// (its placeholder for an ID to write in): an empty path variable is
// refused.
func withMissingVars(vars map[string]any, names []string) map[string]any {
	out := map[string]any{}
	for k, v := range vars {
		out[k] = v
	}
	for _, n := range names {
		if v, ok := out[n]; (!ok || v == "") && n != "empty" {
			out[n] = "X"
		}
	}
	return out
}
