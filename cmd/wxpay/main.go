// Command wxpay is the WeChat Pay (微信支付) command line of this SDK.
//
//	wxpay [-c FILE] get|post|put|patch|delete PATH [flags]   call an API
//	wxpay [-c FILE] certificates [-o DIR]                     download the platform certificates
//	wxpay [-c FILE] notify [--v2] [-H 'N: V']… [--body FILE]  check a captured notification
//	wxpay describe PATH | --list [PREFIX]                     an endpoint from the catalog
//	wxpay sandbox [--data DIR] [--tls] [--config-out FILE]    run a local fake WeChat Pay
//	wxpay [-c FILE] sandbox pay|refund-complete|orders        drive a running sandbox
//	wxpay [-c FILE] trigger EVENT --to URL [--set K=V]…       send a notification from the sandbox
//	wxpay [-c FILE] listen [--addr ADDR] [--forward-to URL]   receive, verify and print notifications
//	wxpay demo                                                the main flows against the sandbox
//	wxpay completion bash|zsh|fish|powershell                 shell completion
//
// Every command that calls WeChat Pay reads its client configuration from
// the file given with -c FILE, else $WECHATPAY_CONFIG, else
// ./wechatpay.json (wechatpay.LoadConfig documents it); `wxpay sandbox`
// writes such a file for a local fake WeChat Pay.
//
// Exit codes: 0 when the call succeeded and its answer verified, 1 when it
// failed or did not verify (the reason is on standard error), 2 for bad
// flags or arguments. docs/cli.md is the manual.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// Exit codes of every command.
const (
	exitOK      = 0 // the call succeeded and its answer verified
	exitFailure = 1 // the call failed, or its answer did not verify
	exitUsage   = 2 // bad flags or arguments; nothing was sent
)

// env is what a command works with: the standard streams and the global
// flags.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// config is the -c FILE given, if any.
	config string
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr})
	stop()
	os.Exit(code)
}

// exitError ends a command with an exit code; its message, if any, has
// been printed already.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run runs the command line args and returns the exit code. A fresh
// command tree each time keeps runs independent (tests run many).
func run(ctx context.Context, args []string, e *env) int {
	root := newRoot(e)
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	if ee, ok := errors.AsType[exitError](err); ok {
		return ee.code
	}
	// Cobra's own errors: an unknown command or flag, a missing argument.
	name := "wxpay"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	fmt.Fprintf(e.stderr, "%s: %v\nRun '%s -h' for the usage.\n", name, err, name)
	return exitUsage
}

// newRoot builds the command tree.
func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "wxpay",
		Short: "WeChat Pay (微信支付) from the command line",
		Long: "wxpay calls any WeChat Pay (微信支付) endpoint, APIv3 or APIv2, with the SDK's signing\n" +
			"and verification; downloads platform certificates; checks, sends and receives\n" +
			"notifications; and runs a local fake WeChat Pay (the sandbox) to try it all.\n\n" +
			"The client configuration is -c FILE, else $WECHATPAY_CONFIG, else ./wechatpay.json;\n" +
			"`wxpay sandbox --data sandbox` writes one (sandbox/wechatpay.json). docs/cli.md is the manual.",
		Version:       version(),
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cmd.SetOut(e.stderr)
			cmd.Usage()
			return exitError{exitUsage}
		},
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetVersionTemplate("{{.Version}}\n")
	root.PersistentFlags().StringVarP(&e.config, "config", "c", "", "client configuration `FILE` (default $WECHATPAY_CONFIG, then ./wechatpay.json)")

	for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
		root.AddCommand(requestCommand(e, method))
	}
	root.AddCommand(
		certificatesCommand(e),
		notifyCommand(e),
		describeCommand(e),
		sandboxCommand(e),
		triggerCommand(e),
		listenCommand(e),
		demoCommand(e),
	)
	return root
}

// fail prints a command's failure and returns the exit error for code.
func fail(e *env, cmd *cobra.Command, code int, format string, a ...any) error {
	fmt.Fprintf(e.stderr, "%s: %s\n", cmd.CommandPath(), fmt.Sprintf(format, a...))
	return exitError{code}
}

// noArgs refuses positional arguments.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("unexpected arguments %q", args)
	}
	return nil
}

// exactArgs wants n positional arguments, named what.
func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return fmt.Errorf("want %d %s, got %d arguments %q", n, what, len(args), args)
		}
		return nil
	}
}
