package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// describeCommand is `wxpay describe PATH` and `wxpay describe --list
// [PREFIX]`: an endpoint or notification of the catalog, as its page under
// docs/endpoints shows it, with a ready command line.
func describeCommand(e *env) *cobra.Command {
	var (
		list   bool
		method string
	)
	cmd := &cobra.Command{
		Use:   "describe PATH | --list [PREFIX]",
		Short: "show an endpoint or notification of the catalog: title, URL, parameters, a ready command",
		Long: "Shows an endpoint of the SDK's catalog (every documented WeChat Pay endpoint and\n" +
			"notification): its official title (官方名称), method, URL and host, WeChat Pay's own\n" +
			"documentation, the request and answer fields (required ones, types, enum values,\n" +
			"the fields to encrypt), and a ready wxpay command line with the documentation's\n" +
			"sample values. PATH is written as Client.Chain takes it, expanded, in\n" +
			"wechatpay-php's segments (v3/merchantRiskManage/tradeRiskInformation), as a URL, or\n" +
			"for a notification as its event type (TRANSACTION.SUCCESS) or name. A path the\n" +
			"catalog does not have gets the nearest ones. --list lists the endpoints under PREFIX.",
		Example: "  wxpay describe v3/pay/transactions/native\n" +
			"  wxpay describe 'v3/pay/transactions/id/{transaction_id}'\n" +
			"  wxpay describe REFUND.SUCCESS\n" +
			"  wxpay describe --list v3/refund",
		Args: cobra.MaximumNArgs(1),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			paths, dir := completePaths("", toComplete)
			events, _ := completeEvents(toComplete)
			return append(paths, events...), dir
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cat, err := catalog.Load()
			if err != nil {
				return fail(e, cmd, exitFailure, "%v", err)
			}
			if list {
				prefix := ""
				if len(args) > 0 {
					prefix = args[0]
				}
				return describeList(cmd, e, cat, prefix)
			}
			if len(args) == 0 {
				return fail(e, cmd, exitUsage, "give a PATH, or --list [PREFIX]\nRun '%s -h' for the usage.", cmd.CommandPath())
			}
			var entries []*catalog.Entry
			if method != "" {
				var en *catalog.Entry
				if en, err = cat.Lookup(method, args[0]); err == nil {
					entries = []*catalog.Entry{en}
				}
			} else {
				entries, err = cat.Match(args[0])
			}
			if nf, ok := errors.AsType[*catalog.NotFoundError](err); ok {
				return fail(e, cmd, exitFailure, "%s", notFound(nf))
			}
			if err != nil {
				return fail(e, cmd, exitFailure, "%v", err)
			}
			for i, en := range entries {
				if i > 0 {
					fmt.Fprintln(e.stdout, "\n"+strings.Repeat("-", 72)+"\n")
				}
				describeEntry(e.stdout, en)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&list, "list", false, "list the endpoints and notifications whose path starts with PREFIX (all without one)")
	cmd.Flags().StringVarP(&method, "method", "X", "", "only the endpoint of this `METHOD` at PATH")
	return cmd
}

// notFound explains a path the catalog does not have, with the nearest.
func notFound(nf *catalog.NotFoundError) string {
	var b strings.Builder
	b.WriteString("no endpoint ")
	if nf.Method != "" {
		b.WriteString(nf.Method + " ")
	}
	b.WriteString(nf.Path + " in the catalog")
	if len(nf.Nearest) > 0 {
		b.WriteString("; nearest:")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, n := range nf.Nearest {
			method := n.Method
			if n.IsWebhook() {
				method = "NOTIFY"
			}
			fmt.Fprintf(tw, "\n  %s\t%s\t%s", method, n.Path(), n.Title)
		}
		tw.Flush()
	}
	return b.String()
}

// describeList is `wxpay describe --list [PREFIX]`.
func describeList(cmd *cobra.Command, e *env, cat *catalog.Catalog, prefix string) error {
	entries := cat.List(prefix)
	if len(entries) == 0 {
		msg := fmt.Sprintf("no endpoint under %q", prefix)
		if near := cat.Nearest(prefix, 5); len(near) > 0 {
			msg = notFound(&catalog.NotFoundError{Path: prefix, Nearest: near})
			msg = strings.Replace(msg, "no endpoint "+prefix+" in the catalog", fmt.Sprintf("no endpoint under %q", prefix), 1)
		}
		return fail(e, cmd, exitFailure, "%s", msg)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
	for _, en := range entries {
		method := en.Method
		if en.IsWebhook() {
			method = "NOTIFY"
		}
		title := en.Title
		if en.Deprecated() {
			title += " (deprecated)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", method, en.Path(), title)
	}
	tw.Flush()
	fmt.Fprintf(e.stderr, "%s: %d entries\n", cmd.CommandPath(), len(entries))
	return nil
}

// describeEntry writes what the entry's page under docs/endpoints shows,
// for a terminal.
func describeEntry(w io.Writer, en *catalog.Entry) {
	var b strings.Builder
	b.WriteString(en.Title + "\n")
	proto := "APIv3"
	if en.Protocol == "v2" {
		proto = "APIv2"
	}
	switch {
	case en.IsWebhook():
		format := "JSON, its resource encrypted with AEAD_AES_256_GCM under the APIv3 key (APIv3密钥)"
		if en.Protocol == "v2" {
			format = "XML"
		}
		fmt.Fprintf(&b, "A notification (回调通知), %s: WeChat Pay POSTs it to your notify_url as %s, signed.\n", proto, format)
		if len(en.EventTypes) > 0 {
			fmt.Fprintf(&b, "event_type %s; ", strings.Join(en.EventTypes, ", "))
		}
		fmt.Fprintf(&b, "sandbox name %s\n", en.Path())
	case en.Chain == "":
		fmt.Fprintf(&b, "%s %s\n%s, host %s: a URL, not an SDK call.\n", en.Method, en.URL, proto, en.Host())
	default:
		answer := map[string]string{"json": "JSON", "xml": "XML, its sign checked", "binary": "a file", "none": "no body"}[en.ResponseFormat]
		if en.ResponseStatus != 0 {
			answer = fmt.Sprintf("%d, %s", en.ResponseStatus, answer)
		}
		fmt.Fprintf(&b, "%s %s\n%s, host %s, chain %s; answer: %s.\n", en.Method, en.FullURL(), proto, en.Host(), en.Path(), answer)
	}
	for _, f := range en.Flags {
		if note := flagNotes[f]; note != "" {
			b.WriteString(note + "\n")
		}
	}
	if docs := en.Docs(); len(docs) > 0 {
		// The first link of each edition; the page has them all.
		b.WriteString("Official documentation (官方文档):\n")
		for _, ed := range []string{"merchant", "partner", "institution", "global", ""} {
			var urls []string
			for _, d := range docs {
				if d.Edition == ed {
					urls = append(urls, d.URL)
				}
			}
			if len(urls) == 0 {
				continue
			}
			fmt.Fprintf(&b, "  %s: %s", editions[ed], urls[0])
			if len(urls) > 1 {
				fmt.Fprintf(&b, " (and %d more on the page)", len(urls)-1)
			}
			b.WriteString("\n")
		}
	}
	fmt.Fprintf(&b, "Page: docs/endpoints/%s\n", en.Page)

	request, response := "Request (请求参数)", "Answer (应答参数)"
	if en.IsWebhook() {
		request, response = "Notification (通知参数)", "Acknowledgement (应答)"
	}
	if len(en.Request) > 0 {
		b.WriteString("\n" + request + ":\n")
		fieldTable(&b, en.Request)
	}
	if len(en.Response) > 0 {
		b.WriteString("\n" + response + ":\n")
		fieldTable(&b, en.Response)
	}
	if enc := en.EncryptedFields(); len(enc) > 0 {
		fmt.Fprintf(&b, "\nSensitive fields (敏感信息), sent encrypted with WeChat Pay's public key or platform\n"+
			"certificate, whose ID the Wechatpay-Serial header names: %s.\n", strings.Join(enc, ", "))
	}
	b.WriteString("\n")
	b.WriteString(tryIt(en))
	io.WriteString(w, trimLines(b.String()))
}

// trimLines drops the spaces tabwriter leaves at the end of lines whose
// last cells are empty.
func trimLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// editions label the official documentation's editions, as the pages do.
var editions = map[string]string{"merchant": "merchant (直连商户)", "partner": "partner (服务商)", "institution": "institution (机构)", "global": "global (境外)", "": "reference"}

// flagNotes are the pages' notices.
var flagNotes = map[string]string{
	catalog.FlagDeprecated:     "Deprecated (已废弃): a newer endpoint replaces it.",
	catalog.FlagDiscarded:      "Discarded (已下线): no longer served.",
	catalog.FlagRedesigned:     "Redesigned (已升级): a new version of this product exists.",
	catalog.FlagPrivated:       "Not public (非公开): for invited merchants only.",
	catalog.FlagNeedAssessment: "Needs assessment (需评估): open after WeChat Pay's assessment.",
}

// fieldTable writes a field tree with dotted names, as the pages do.
func fieldTable(b *strings.Builder, nodes catalog.Nodes) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tTYPE\tREQUIRED\tVALUES")
	nodes.Walk(func(path string, _ int, n *catalog.Node) error {
		req := "no"
		if n.Required {
			req = "yes"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", path, n.Type, req, fieldValues(n))
		return nil
	})
	tw.Flush()
}

// fieldValues is the Values column of the pages: enum values, a constant,
// the encryption and encoding markers.
func fieldValues(n *catalog.Node) string {
	var parts []string
	if len(n.Enum) > 0 {
		parts = append(parts, strings.Join(n.Enum, " | "))
	}
	if n.Const != nil {
		parts = append(parts, fmt.Sprintf("%v", n.Const))
	}
	parts = append(parts, n.Markers()...)
	return strings.Join(parts, "; ")
}

// tryIt is the "Try it" section: a wxpay command line with the sample's
// values, or what to run for a notification.
func tryIt(en *catalog.Entry) string {
	var b strings.Builder
	switch {
	case en.IsWebhook():
		b.WriteString("Try it, against a sandbox (wxpay sandbox --data sandbox; -c sandbox/wechatpay.json):\n")
		fmt.Fprintf(&b, "  wxpay listen --addr 127.0.0.1:8080 &\n  wxpay trigger %s --to http://127.0.0.1:8080/notify\n", shellQuote(en.Path()))
	case en.Chain == "":
		fmt.Fprintf(&b, "Open it in a browser: %s\n", en.URL)
	default:
		line, notes := commandLine(en)
		b.WriteString("Try it:\n")
		if line != "" {
			b.WriteString("  " + line + "\n")
		}
		for _, n := range notes {
			b.WriteString("  # " + n + "\n")
		}
	}
	return b.String()
}
