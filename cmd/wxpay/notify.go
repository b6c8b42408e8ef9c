package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"

	"github.com/wechatpay-go/wechatpay"
)

// headerFlags collects repeated -H 'Name: value' flags.
type headerFlags http.Header

func (h headerFlags) String() string { return "" }

func (h headerFlags) Set(v string) error {
	name, value, err := headerValue("-H", v)
	if err != nil {
		return err
	}
	http.Header(h).Add(name, value)
	return nil
}

// runNotify is `wxpay notify`: it checks a captured notification, prints its
// plaintext as JSON, and exits 1 when it does not verify.
func runNotify(ctx context.Context, e *env, args []string) int {
	fs := flag.NewFlagSet("wxpay notify", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	v2 := fs.Bool("v2", false, "an APIv2 (XML) notification")
	header := headerFlags{}
	fs.Var(header, "H", "a header of the notification, `'Name: value'` (repeatable)")
	bodyPath := fs.String("body", "-", "the notification body: a `FILE`, or - for standard input")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, "usage: wxpay [-c FILE] notify [--v2] [-H 'Name: value']... [--body FILE|-]\n\n"+
			"Verifies a captured notification (回调通知) and, for APIv3, decrypts it; prints the\n"+
			"plaintext as JSON. Exits 1 with the reason when it does not verify.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(e.stderr, "wxpay notify: unexpected arguments %q\n", fs.Args())
		return 2
	}
	fail := func(code int, err error) int {
		fmt.Fprintf(e.stderr, "wxpay notify: %v\n", err)
		return code
	}
	cfg, err := e.loadConfig()
	if err != nil {
		return fail(1, err)
	}
	nf, err := wechatpay.NewNotifier(cfg)
	if err != nil {
		return fail(1, err)
	}
	var body []byte
	if *bodyPath == "-" {
		body, err = io.ReadAll(e.stdin)
	} else {
		body, err = os.ReadFile(*bodyPath)
	}
	if err != nil {
		return fail(1, err)
	}

	var out []byte
	if *v2 {
		n, err := nf.ParseV2Notification(http.Header(header), body)
		if err != nil {
			return fail(1, err)
		}
		var fields any = n.Fields
		switch {
		case n.ReqInfo != nil:
			fields = n.ReqInfo
		case n.EventData != nil:
			all := map[string]any{}
			for k, v := range n.Fields {
				all[k] = v
			}
			all["event_data"] = n.EventData
			fields = all
		}
		if out, err = marshalPretty(fields); err != nil {
			return fail(1, err)
		}
		fmt.Fprintln(e.stderr, "wxpay notify: verified APIv2 notification")
	} else {
		n, err := nf.ParseNotification(http.Header(header), body)
		if err != nil {
			return fail(1, err)
		}
		if out, err = prettyJSON(n.Plaintext); err != nil {
			// A resource that is not JSON is printed as a JSON string.
			if out, err = marshalPretty(string(n.Plaintext)); err != nil {
				return fail(1, err)
			}
		}
		fmt.Fprintf(e.stderr, "wxpay notify: verified %s (id %s)\n", n.EventType, n.ID)
	}
	e.stdout.Write(out)
	return 0
}
