package wechatpay

import (
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
)

// Version is this SDK's version, as sent in the User-Agent header.
const Version = "0.1.0"

// defaultUserAgent names the SDK, its HTTP library, the OS and Go, as
// WeChat Pay asks SDKs to do:
// "wechatpay-go/0.1.0 fasthttp/1.77.0 (linux/6.1.0-28-amd64; amd64) Go/go1.26.8".
var defaultUserAgent = sync.OnceValue(func() string {
	ua := "wechatpay-go/" + Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/valyala/fasthttp" {
				ua += " fasthttp/" + strings.TrimPrefix(m.Version, "v")
			}
		}
	}
	osName := runtime.GOOS
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		osName += "/" + strings.TrimSpace(string(b))
	}
	return ua + " (" + osName + "; " + runtime.GOARCH + ") Go/" + runtime.Version()
})
