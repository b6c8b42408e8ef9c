package wechatpay_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/wechatpay-go/wechatpay"
)

// Version is a semantic version, and the only place the module writes it:
// the User-Agent and the wxpay command read the constant.
func TestVersionIsTheOneSource(t *testing.T) {
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(wechatpay.Version) {
		t.Fatalf("Version %q is not a semantic version", wechatpay.Version)
	}
	literal := `"` + wechatpay.Version + `"`
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), "_") || d.Name() == "node_modules" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || path == "useragent.go" {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.Contains(string(data), literal) {
			t.Errorf("%s writes the version %s: use wechatpay.Version", path, literal)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
