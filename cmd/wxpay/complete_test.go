package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// `wxpay completion SHELL` writes a script for each shell.
func TestCompletionScripts(t *testing.T) {
	for shell, want := range map[string]string{
		"bash":       "__start_wxpay",
		"zsh":        "#compdef wxpay",
		"fish":       "complete -c wxpay",
		"powershell": "Register-ArgumentCompleter",
	} {
		r := runOut("completion", shell)
		if r.code != 0 || !strings.Contains(r.stdout, want) || !strings.Contains(r.stdout, "__complete") {
			t.Errorf("%s: exit %d, %d bytes, stderr %s", shell, r.code, len(r.stdout), r.stderr)
		}
	}
}

// The scripts ask wxpay itself (its hidden __complete command): endpoint
// paths of the catalog for the verbs, a segment at a time, with their
// titles; event types for trigger; both for describe.
func TestCompletePaths(t *testing.T) {
	complete := func(args ...string) []string {
		t.Helper()
		r := runOut(append([]string{"__complete"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%q: %+v", args, r)
		}
		return strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n")
	}
	has := func(lines []string, want string) bool {
		for _, l := range lines {
			if l == want {
				return true
			}
		}
		return false
	}
	got := complete("get", "v3/pay/transactions/")
	if !has(got, "v3/pay/transactions/id/") || !has(got, "v3/pay/transactions/out-trade-no/") || len(got) != 3 || got[len(got)-1] != ":6" {
		t.Errorf("get v3/pay/transactions/: %q", got) // 6: no space, no files
	}
	got = complete("post", "v3/refund/domestic/")
	if !has(got, "v3/refund/domestic/refunds\t申请退款") {
		t.Errorf("post v3/refund/domestic/: %q", got)
	}
	got = complete("get", "v3/pay/transactions/out-trade-no/")
	if !has(got, "v3/pay/transactions/out-trade-no/{out_trade_no}\t商户订单号查询") || got[len(got)-1] != ":4" {
		t.Errorf("a single path: %q", got) // 4: no files, a space after
	}
	got = complete("post", "v")
	if !has(got, "v3/") || !has(got, "v2/") {
		t.Errorf("post v: %q", got)
	}
	got = complete("trigger", "REFUND.")
	if !has(got, "REFUND.SUCCESS\t退款成功(REFUND.SUCCESS)通知(JSON)") || !has(got, "REFUND.ABNORMAL\t退款异常(REFUND.ABNORMAL)通知(JSON)") {
		t.Errorf("trigger REFUND.: %q", got)
	}
	got = complete("describe", "v2/refund")
	if !has(got, "v2/refund-processed\t退款结果通知(XML)") {
		t.Errorf("describe v2/refund: %q", got)
	}
}

// The bash script, sourced in bash with bash-completion (which Debian's
// interactive bash loads, and the script needs), completes a path from
// the catalog through the built wxpay.
func TestCompletionInBash(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Fatal("bash is needed: ", err)
	}
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		t.Fatal("the bash-completion package is needed (apt-get install bash-completion): ", err)
	}
	script := filepath.Join(t.TempDir(), "wxpay.bash")
	r := runOut("completion", "bash")
	if err := os.WriteFile(script, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", `source `+bashCompletion+`
source "$1"
PATH="$(dirname "$2"):$PATH"
COMP_WORDS=(wxpay post v3/refund/domestic/ref); COMP_CWORD=2; COMP_LINE="wxpay post v3/refund/domestic/ref"; COMP_POINT=${#COMP_LINE}
__start_wxpay
printf '%s\n' "${COMPREPLY[@]}"`, "bash", script, wxpayBin)
	cmd.Env = environ(nil)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "v3/refund/domestic/refunds") {
		t.Fatalf("%v\n%s", err, out)
	}
}
