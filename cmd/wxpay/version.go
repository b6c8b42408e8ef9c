package main

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/wechatpay-go/wechatpay"
)

// version is what `wxpay --version` prints: the SDK's version
// (wechatpay.Version, its one source), the Go toolchain and platform, and
// the commit the binary was built from when the build recorded it.
func version() string {
	v := "wxpay version " + wechatpay.Version + " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH
	if info, ok := debug.ReadBuildInfo(); ok {
		var rev, at string
		modified := false
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if rev != "" {
			v += fmt.Sprintf("; commit %.12s", rev)
			if at != "" {
				v += " of " + at
			}
			if modified {
				v += ", modified"
			}
		}
		if m := info.Main.Version; m != "" && m != "(devel)" && strings.TrimPrefix(m, "v") != wechatpay.Version {
			v += "; module " + m
		}
	}
	return v + ")"
}
