package main

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// parseRequest parses args as `wxpay get` does, and returns the flags and
// the PATH, without calling anything.
func parseRequest(t *testing.T, args []string) (*requestFlags, []string, result) {
	t.Helper()
	e := &env{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	root := newRoot(e)
	var got requestFlags
	var positional []string
	for _, c := range root.Commands() {
		if c.Name() == "get" {
			f := c.Flags()
			c.RunE = func(cmd *cobra.Command, args []string) error {
				got.query, _ = f.GetStringArray("query")
				got.vars, _ = f.GetStringArray("var")
				got.include, _ = f.GetBool("include")
				positional = args
				return nil
			}
			c.Args = cobra.ArbitraryArgs
		}
	}
	root.SetArgs(append([]string{"get"}, args...))
	_, err := root.ExecuteC()
	code := 0
	if err != nil {
		code = exitUsage
		e.stderr.(*bytes.Buffer).WriteString(err.Error())
	}
	return &got, positional, result{code, e.stdout.(*bytes.Buffer).String(), e.stderr.(*bytes.Buffer).String()}
}

// The request flags as before cobra: both forms of each name, before and
// after PATH, values verbatim (commas, later "=", spaces, Chinese, a
// leading "-"), "--" ending the flags, "-" a positional argument.
func TestRequestFlagForms(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		query      []string
		vars       []string
		include    bool
		positional []string
	}{
		{args: []string{"-q", "a=1", "PATH", "--query", "b=2", "-q=c=3", "--query=d=4"}, query: []string{"a=1", "b=2", "c=3", "d=4"}, positional: []string{"PATH"}},
		{args: []string{"PATH", "-i"}, include: true, positional: []string{"PATH"}},
		{args: []string{"--include", "PATH"}, include: true, positional: []string{"PATH"}},
		{args: []string{"--include=false", "PATH", "-i=0"}, positional: []string{"PATH"}},
		{args: []string{"PATH", "-q", "description=Image形象店-深圳腾大, QQ公仔=1", "--var", "id=-1", "-q", "-x"},
			query: []string{"description=Image形象店-深圳腾大, QQ公仔=1", "-x"}, vars: []string{"id=-1"}, positional: []string{"PATH"}},
		{args: []string{"--query=k=", "PATH"}, query: []string{"k="}, positional: []string{"PATH"}},
		{args: []string{"-i", "--", "-q", "--include"}, include: true, positional: []string{"-q", "--include"}},
		{args: []string{"-", "-i"}, include: true, positional: []string{"-"}},
	} {
		f, pos, r := parseRequest(t, tc.args)
		if r.code != 0 {
			t.Errorf("%q: %+v", tc.args, r)
			continue
		}
		if !reflect.DeepEqual(f.query, tc.query) && (len(f.query) != 0 || len(tc.query) != 0) ||
			!reflect.DeepEqual(f.vars, tc.vars) && (len(f.vars) != 0 || len(tc.vars) != 0) ||
			f.include != tc.include || !reflect.DeepEqual(pos, tc.positional) {
			t.Errorf("%q: query %q vars %q include %t positional %q", tc.args, f.query, f.vars, f.include, pos)
		}
	}
}

// Bad flags exit 2, naming the flag, before anything is sent.
func TestRequestFlagErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-z"}, "unknown shorthand flag: 'z' in -z"},
		{[]string{"--zz=1"}, "unknown flag: --zz"},
		{[]string{"--q", "a=1"}, "unknown flag: --q"}, // a short name written long
		{[]string{"PATH", "-q"}, "flag needs an argument: 'q' in -q"},
		{[]string{"--var"}, "flag needs an argument: --var"},
		{[]string{"-i=maybe"}, `invalid argument "maybe" for "-i, --include"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), append([]string{"get"}, tc.args...), &env{stdout: &stdout, stderr: &stderr})
		if code != exitUsage || !strings.Contains(stderr.String(), tc.want) || !strings.Contains(stderr.String(), "wxpay get -h") {
			t.Errorf("%q: exit %d, want 2 and an error about %q: %s", tc.args, code, tc.want, stderr.String())
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
