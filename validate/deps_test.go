package validate_test

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The validate step and the sandbox check requests with code of their own,
// sharing only the catalog's data (and its corrections, internal/errata),
// so that a mistake in one is caught by the other: neither imports the
// other. And the client does not import this package.
func TestIndependentOfSandbox(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	const (
		module  = "github.com/wechatpay-go/wechatpay"
		self    = module + "/validate"
		sandbox = module + "/wechatpaytest"
	)
	for pkg, banned := range map[string]string{self: sandbox, sandbox: self, module: self} {
		out, err := exec.Command(goTool, "list", "-deps", pkg).CombinedOutput()
		if err != nil {
			t.Fatalf("go list: %v\n%s", err, out)
		}
		deps := strings.Fields(string(out))
		if slices.Contains(deps, banned) {
			t.Errorf("%s imports %s", pkg, banned)
		}
		if !slices.Contains(deps, module+"/middleware") {
			t.Fatalf("go list printed no dependencies:\n%s", out)
		}
	}
}
