package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/wechatpay-go/wechatpay"
)

// headerFlags collects repeated -H 'Name: value' flags.
type headerFlags http.Header

func (h headerFlags) String() string { return "" }

func (h headerFlags) Set(v string) error {
	name, value, ok := strings.Cut(v, ":")
	if !ok || strings.TrimSpace(name) == "" {
		return fmt.Errorf("%q is not 'Name: value'", v)
	}
	http.Header(h).Add(strings.TrimSpace(name), strings.TrimSpace(value))
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

	var out any
	if *v2 {
		n, err := nf.ParseV2Notification(http.Header(header), body)
		if err != nil {
			return fail(1, err)
		}
		switch {
		case n.ReqInfo != nil:
			out = n.ReqInfo
		case n.EventData != nil:
			fields := map[string]any{}
			for k, v := range n.Fields {
				fields[k] = v
			}
			fields["event_data"] = n.EventData
			out = fields
		default:
			out = n.Fields
		}
		fmt.Fprintln(e.stderr, "wxpay notify: verified APIv2 notification")
	} else {
		n, err := nf.ParseNotification(http.Header(header), body)
		if err != nil {
			return fail(1, err)
		}
		out = json.RawMessage(n.Plaintext)
		if !json.Valid(n.Plaintext) {
			out = string(n.Plaintext)
		}
		fmt.Fprintf(e.stderr, "wxpay notify: verified %s (id %s)\n", n.EventType, n.ID)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fail(1, err)
	}
	e.stdout.Write(buf.Bytes())
	return 0
}
