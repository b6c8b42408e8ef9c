// Command wxpay is the WeChat Pay (微信支付) command line of this SDK.
//
//	wxpay [-c FILE] get|post|put|patch|delete PATH [flags]
//	wxpay [-c FILE] certificates [-o DIR]
//	wxpay [-c FILE] notify [--v2] [-H 'Name: value']... [--body FILE|-]
//	wxpay sandbox [--listen ADDR] [--config-out FILE] [--mode MODE]
//	wxpay demo
//
// Every command that calls WeChat Pay reads its client configuration from
// the file given with -c FILE (see internal/configfile for its format);
// `wxpay sandbox` writes such a file for a local fake WeChat Pay, and
// `wxpay demo` runs the main flows against one in the same process.
//
// Exit codes: 0 when the call succeeded and its answer verified, 1 when it
// failed or did not verify (the reason is on standard error), 2 for bad
// flags or arguments. docs/cli.md is the manual.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/internal/configfile"
)

// command is one subcommand: it parses its own flags from args and returns
// the process exit code.
type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) int
}

// env is what a command works with: the standard streams and the global
// flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// config is the -c FILE given before the command, if any.
	config string
}

// configPath is where the client configuration is read from: -c FILE, then
// $WECHATPAY_CONFIG, then ./wechatpay.json.
func (e *env) configPath() string {
	if e.config != "" {
		return e.config
	}
	if p := os.Getenv("WECHATPAY_CONFIG"); p != "" {
		return p
	}
	return "wechatpay.json"
}

// loadConfig reads the client configuration.
func (e *env) loadConfig() (wechatpay.Config, error) {
	return configfile.Load(e.configPath())
}

// commands are the subcommands by name; add new ones here.
var commands = map[string]command{
	"get":          requestCommand(http.MethodGet),
	"post":         requestCommand(http.MethodPost),
	"put":          requestCommand(http.MethodPut),
	"patch":        requestCommand(http.MethodPatch),
	"delete":       requestCommand(http.MethodDelete),
	"demo":         {summary: "walk the main flows against a fake WeChat Pay in this process (no network, no files)", run: runDemo},
	"certificates": {summary: "download, decrypt, verify and save the platform certificates (平台证书)", run: runCertificates},
	"sandbox":      {summary: "run a local fake WeChat Pay and write a client config for it", run: runSandbox},
	"notify":       {summary: "verify (and decrypt) a captured notification, print its plaintext", run: runNotify},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// run reads the global flags, then dispatches to a subcommand.
func run(ctx context.Context, args []string, e *env) int {
	stderr := e.stderr
	for len(args) > 0 {
		switch a := args[0]; {
		case a == "-c" || a == "--config" || a == "-config":
			if len(args) < 2 {
				fmt.Fprintln(stderr, "wxpay: -c needs a FILE")
				return 2
			}
			e.config, args = args[1], args[2:]
			continue
		case strings.HasPrefix(a, "-c=") || strings.HasPrefix(a, "--config=") || strings.HasPrefix(a, "-config="):
			_, e.config, _ = strings.Cut(a, "=")
			args = args[1:]
			continue
		}
		break
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "wxpay: unknown command %q\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(ctx, e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: wxpay [-c FILE] COMMAND [flags]\n\n-c FILE is the client configuration (default $WECHATPAY_CONFIG, then ./wechatpay.json).\n\ncommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-13s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun wxpay COMMAND -h for a command's flags.")
}
