package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay"
	"github.com/wechatpay-go/wechatpay/catalog"
)

// triggerFlags are the flags of `wxpay trigger`.
type triggerFlags struct {
	to, eventType, resource string
	set                     []string
	retry, verbose, list    bool
}

// triggerCommand is `wxpay trigger EVENT --to URL`: a running sandbox
// sends a notification of the catalog, signed and encrypted with its
// keys, through its _sandbox/notify route.
func triggerCommand(e *env) *cobra.Command {
	var f triggerFlags
	cmd := &cobra.Command{
		Use:   "trigger EVENT --to URL",
		Short: "have a running sandbox send a notification (any of the catalog's) to URL",
		Long: "Has the running sandbox (the one the configuration -c names; start it with\n" +
			"`wxpay sandbox --data sandbox`) send a notification of the catalog to URL, as WeChat\n" +
			"Pay does: APIv3 JSON with its resource encrypted under the APIv3 key and the\n" +
			"headers signed, or APIv2 XML signed (a refund's req_info encrypted). EVENT is an\n" +
			"event type (TRANSACTION.SUCCESS, REFUND.SUCCESS) or a notification's name\n" +
			"(v3/REFUND.SUCCESS, v2/refund-processed); --list lists them all.\n\n" +
			"The content is built from the catalog (every documented field); --set PATH=VALUE\n" +
			"overrides a field: for APIv3 a path into the decrypted resource (amount.total, or\n" +
			"resource.amount.total), for APIv2 a field name or req_info.NAME. VALUE is JSON when\n" +
			"it parses as JSON (1, true, {\"a\":1}), else text. Prints what the receiver answered;\n" +
			"exits 1 when it did not acknowledge the notification.",
		Example: "  wxpay trigger TRANSACTION.SUCCESS --to http://127.0.0.1:8080/notify --set amount.total=1\n" +
			"  wxpay trigger v2/refund-processed --to http://127.0.0.1:8080/notify --set req_info.refund_fee=1\n" +
			"  wxpay trigger --list",
		Args: func(cmd *cobra.Command, args []string) error {
			if f.list {
				return noArgs(cmd, args)
			}
			return exactArgs(1, "EVENT")(cmd, args)
		},
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return completeEvents(toComplete)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := catalog.Load()
			if err != nil {
				return fail(e, cmd, exitFailure, "%v", err)
			}
			if f.list {
				return listWebhooks(e, cat)
			}
			return runTrigger(cmd, e, cat, args[0], &f)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&f.to, "to", "", "the receiver's `URL` (required)")
	fs.StringArrayVar(&f.set, "set", nil, "override a field of the content: `PATH=VALUE` (repeatable)")
	fs.StringVar(&f.eventType, "event-type", "", "the APIv3 event_type sent (default: EVENT's)")
	fs.StringVar(&f.resource, "resource", "", "the whole decrypted resource of an APIv3 notification: `JSON|@FILE` (@- standard input)")
	fs.BoolVar(&f.retry, "retry", false, "retry on WeChat Pay's schedule (15s, 15s, 30s, 3m, … over 24h) in the sandbox until acknowledged")
	fs.BoolVarP(&f.verbose, "verbose", "v", false, "print the notification as sent (headers, body, decrypted content) on standard error")
	fs.BoolVar(&f.list, "list", false, "list the notifications EVENT may name")
	return cmd
}

// listWebhooks is `wxpay trigger --list`.
func listWebhooks(e *env, cat *catalog.Catalog) error {
	var b strings.Builder
	for _, en := range cat.Webhooks("") {
		fmt.Fprintf(&b, "%-50s %s\n", en.Path(), en.Title)
	}
	fmt.Fprint(e.stdout, b.String())
	return nil
}

// resolveWebhook finds the notification EVENT names, as the sandbox
// does: a name, else the APIv3 (then APIv2) page of that name, else the
// first page that sends that event type. It returns the event_type to
// send when EVENT is one the page sends but not its first.
func resolveWebhook(cat *catalog.Catalog, event string) (*catalog.Entry, string, error) {
	es, err := cat.Match(event)
	var hooks []*catalog.Entry
	for _, en := range es {
		if en.IsWebhook() {
			hooks = append(hooks, en)
		}
	}
	if len(hooks) == 0 {
		nf, _ := errors.AsType[*catalog.NotFoundError](err)
		if nf == nil {
			nf = &catalog.NotFoundError{Path: event}
		}
		var near []*catalog.Entry
		for _, n := range append(nf.Nearest, cat.Nearest(event, 20)...) {
			if n.IsWebhook() && len(near) < 5 {
				near = append(near, n)
			}
		}
		nf.Nearest = near
		msg := notFound(nf)
		return nil, "", errors.New(strings.Replace(msg, "no endpoint", "no notification", 1) + "\n(wxpay trigger --list lists them)")
	}
	pick := hooks[0]
	for _, proto := range []string{"v3/", "v2/"} {
		for _, en := range hooks {
			if strings.EqualFold(en.Path(), proto+strings.TrimPrefix(strings.TrimPrefix(event, "v3/"), "v2/")) {
				return en, "", nil
			}
		}
	}
	for _, en := range hooks {
		if en.Protocol == "v3" {
			pick = en
			break
		}
	}
	eventType := ""
	for i, t := range pick.EventTypes {
		if i > 0 && strings.EqualFold(t, event) {
			eventType = t
		}
	}
	return pick, eventType, nil
}

func runTrigger(cmd *cobra.Command, e *env, cat *catalog.Catalog, event string, f *triggerFlags) error {
	if f.to == "" {
		return fail(e, cmd, exitUsage, "--to URL is required: the receiver's address, e.g. http://127.0.0.1:8080/notify (wxpay listen)")
	}
	if u, err := url.Parse(f.to); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fail(e, cmd, exitUsage, "--to %q is not an http(s) URL", f.to)
	}
	en, eventType, err := resolveWebhook(cat, event)
	if err != nil {
		return fail(e, cmd, exitUsage, "%v", err)
	}
	if f.eventType != "" {
		eventType = f.eventType
	}
	req := map[string]any{"webhook": en.Path(), "url": f.to, "retry": f.retry}
	if eventType != "" {
		req["event_type"] = eventType
	}
	if f.resource != "" {
		if en.Protocol != "v3" {
			return fail(e, cmd, exitUsage, "--resource is for APIv3 notifications; %s is APIv2: use --set", en.Path())
		}
		body, err := readData(f.resource, e.stdin)
		if err != nil {
			return fail(e, cmd, exitUsage, "%s", strings.Replace(err.Error(), "-d", "--resource", 1))
		}
		req["resource"] = json.RawMessage(body)
	}
	if len(f.set) > 0 {
		set := map[string]any{}
		for _, s := range f.set {
			k, v, err := keyValue("--set", s)
			if err != nil {
				return fail(e, cmd, exitUsage, "%v", err)
			}
			if en.Protocol == "v3" {
				k = strings.TrimPrefix(k, "resource.")
			}
			var value any = v
			var parsed any
			if d := json.NewDecoder(strings.NewReader(v)); json.Valid([]byte(v)) {
				d.UseNumber()
				if d.Decode(&parsed) == nil {
					value = parsed
				}
			}
			set[k] = value
		}
		req["set"] = set
	}

	client, err := e.sandboxClient(cmd)
	if err != nil {
		return err
	}
	defer client.Close()
	res, err := client.Chain("_sandbox/notify").PostContext(cmd.Context(), wechatpay.M{"json": req})
	if err != nil {
		return fail(e, cmd, exitFailure, "%s", explainAdmin(err))
	}
	n := res.Get("notification")
	if f.verbose {
		var b strings.Builder
		fmt.Fprintf(&b, "POST %s\n", f.to)
		h := http.Header{}
		json.Unmarshal([]byte(n.Get("sent.header").Raw), &h)
		for k, vs := range h {
			for _, v := range vs {
				fmt.Fprintf(&b, "%s: %s\n", k, v)
			}
		}
		fmt.Fprintf(&b, "\n%s\n", n.Get("sent.body").String())
		if p := n.Get("sent.plaintext").String(); p != "" {
			fmt.Fprintf(&b, "decrypted: %s\n", p)
		}
		fmt.Fprint(e.stderr, b.String())
	}
	attempts := n.Get("attempts").Array()
	if len(attempts) == 0 {
		return fail(e, cmd, exitFailure, "the sandbox made no attempt: %s", n.Get("error"))
	}
	a := attempts[len(attempts)-1]
	status := int(a.Get("status").Int())
	if status != 0 {
		fmt.Fprintf(e.stdout, "%d %s\n", status, http.StatusText(status))
		if body := a.Get("body").String(); body != "" {
			fmt.Fprintln(e.stdout, strings.TrimRight(body, "\n"))
		}
	}
	what := fmt.Sprintf("%s (%s) to %s", en.Path(), en.Title, f.to)
	switch {
	case n.Get("delivered").Bool():
		fmt.Fprintf(e.stderr, "%s: %s: acknowledged\n", cmd.CommandPath(), what)
		return nil
	case f.retry && !n.Get("done").Bool():
		fmt.Fprintf(e.stderr, "%s: %s: not acknowledged yet: %s; the sandbox retries on WeChat Pay's schedule\n",
			cmd.CommandPath(), what, strings.TrimPrefix(a.Get("error").String(), "wechatpaytest: "))
		return exitError{exitFailure}
	}
	return fail(e, cmd, exitFailure, "%s: not acknowledged: %s", what, strings.TrimPrefix(a.Get("error").String(), "wechatpaytest: "))
}
