package main

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var testFlags = flagSet{defs: []flagDef{
	{short: "q", long: "query", arg: "K=V"},
	{short: "i", long: "include"},
	{long: "var", arg: "K=V"},
}}

func TestScanFlags(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		query      []string
		vars       []string
		include    bool
		positional []string
	}{
		// Both forms of each name, before and after the positional.
		{args: []string{"-q", "a=1", "PATH", "--query", "b=2", "-q=c=3", "--query=d=4"}, query: []string{"a=1", "b=2", "c=3", "d=4"}, positional: []string{"PATH"}},
		{args: []string{"PATH", "-i"}, include: true, positional: []string{"PATH"}},
		{args: []string{"--include", "PATH"}, include: true, positional: []string{"PATH"}},
		{args: []string{"--include=false", "PATH", "-i=0"}, positional: []string{"PATH"}},
		// Values verbatim: commas, later "=", spaces, non-ASCII, a leading "-".
		{args: []string{"PATH", "-q", "description=Image形象店-深圳腾大, QQ公仔=1", "--var", "id=-1", "-q", "-x"},
			query: []string{"description=Image形象店-深圳腾大, QQ公仔=1", "-x"}, vars: []string{"id=-1"}, positional: []string{"PATH"}},
		{args: []string{"--query=k=", "PATH"}, query: []string{"k="}, positional: []string{"PATH"}},
		// "--" ends the flags; "-" is positional.
		{args: []string{"-i", "--", "-q", "--include"}, include: true, positional: []string{"-q", "--include"}},
		{args: []string{"-", "-i"}, include: true, positional: []string{"-"}},
		{args: nil},
	} {
		p, err := testFlags.parse(tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !reflect.DeepEqual(p.values["query"], tc.query) || !reflect.DeepEqual(p.values["var"], tc.vars) ||
			p.bools["include"] != tc.include || !reflect.DeepEqual(p.positional, tc.positional) {
			t.Errorf("%q: query %q vars %q include %t positional %q", tc.args, p.values["query"], p.values["var"], p.bools["include"], p.positional)
		}
	}
}

func TestScanFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-z"}, "unknown flag -z"},
		{[]string{"--zz=1"}, "unknown flag --zz"},
		{[]string{"--q", "a=1"}, "unknown flag --q"},       // a short name written long
		{[]string{"-query", "a=1"}, "unknown flag -query"}, // a long name written short
		{[]string{"PATH", "-q"}, "flag -q needs a value (K=V)"},
		{[]string{"--var"}, "flag --var needs a value"},
		{[]string{"-i=maybe"}, "takes no value, or =true or =false"},
	} {
		_, err := testFlags.parse(tc.args)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: want an error about %q, got %v", tc.args, tc.want, err)
		}
	}
	for _, help := range []string{"-h", "--help"} {
		if _, err := testFlags.parse([]string{"PATH", help}); !errors.Is(err, errHelp) {
			t.Errorf("%s: %v", help, err)
		}
	}
}

func TestKeyValue(t *testing.T) {
	for in, want := range map[string][2]string{
		"a=1":      {"a", "1"},
		"a=":       {"a", ""},
		"a=b=c,d":  {"a", "b=c,d"},
		"备注=微信 支付": {"备注", "微信 支付"},
	} {
		k, v, err := keyValue("-q", in)
		if err != nil || k != want[0] || v != want[1] {
			t.Errorf("%q: %q %q %v", in, k, v, err)
		}
	}
	for _, bad := range []string{"a", "=1", ""} {
		if _, _, err := keyValue("-q", bad); err == nil || !strings.Contains(err.Error(), "want NAME=VALUE") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	if n, v, err := headerValue("-H", "Wechatpay-Serial:  PUB_KEY_ID_1 "); err != nil || n != "Wechatpay-Serial" || v != "PUB_KEY_ID_1" {
		t.Errorf("%q %q %v", n, v, err)
	}
	for _, bad := range []string{"no colon", ": v", "Bad Name: v"} {
		if _, _, err := headerValue("-H", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
