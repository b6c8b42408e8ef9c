package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// index writes docs/endpoints/README.md: every endpoint by product, under
// its official Chinese title, then every notification.
func index(entries []catalog.Entry, pages map[string]*pageDoc) string {
	byGroup := map[string][]*catalog.Entry{}
	var hooks []*catalog.Entry
	for i := range entries {
		e := &entries[i]
		if e.IsWebhook() {
			hooks = append(hooks, e)
			continue
		}
		g := groupOf(e)
		byGroup[g] = append(byGroup[g], e)
	}
	var b strings.Builder
	b.WriteString(generatedMark + "\n\n# Endpoint pages (接口文档)\n\n")
	calls := len(entries) - len(hooks)
	fmt.Fprintf(&b, "Every endpoint and notification of WeChat Pay's documentation, %d entries on %d pages: %d calls and %d notifications (回调通知). Find one by the name WeChat Pay gives it (Ctrl+F: `Native下单`, `申请退款`, `分账`), by product below, or by path.\n\n", len(entries), len(pages), calls, len(hooks))
	b.WriteString("Each page gives the official name, method, URL and host, links to WeChat Pay's own documentation, the request and answer tables, the Go code (declarative under a deadline; segment by segment and asynchronously; the sensitive-field encryption the endpoint needs, the client naming the key in `Wechatpay-Serial` itself; a handler for each notification) and the wechatpay-php call beside it. The Go of every page runs in `go test ./docs/endpoints`, checked by the validate step ([validation.md](../validation.md)) and then by the strict sandbox ([testing.md](../testing.md)).\n\n")
	b.WriteString("The pages are generated from the catalog ([catalog](../../catalog/README.md), the same data the sandbox and the tests use) by `go generate ./internal/docgen`; hand-written notes live in `internal/docgen/notes/`. Guides: [README](../../README.md) · [getting started](../getting-started.md) · [APIv3](../apiv3.md) · [APIv2](../apiv2.md) · [notifications](../notifications.md).\n\n")

	b.WriteString("## Products\n\n")
	for _, g := range groups {
		if n := len(byGroup[g.key]); n > 0 {
			fmt.Fprintf(&b, "- [%s](#%s) (%d)\n", g.title, slug(g.title), n)
		}
	}
	fmt.Fprintf(&b, "- [Notifications (回调通知)](#notifications-回调通知) (%d)\n\n", len(hooks))

	for _, g := range groups {
		es := byGroup[g.key]
		if len(es) == 0 {
			continue
		}
		fmt.Fprintf(&b, "## %s\n\n| Name (官方名称) | Method | Path |\n| --- | --- | --- |\n", g.title)
		sort.SliceStable(es, func(i, j int) bool { return es[i].Path() < es[j].Path() })
		for _, e := range es {
			fmt.Fprintf(&b, "| [%s](%s)%s | %s | `%s` |\n", cell(e.Title), link(e, pages), marks(e), e.Method, e.Path())
		}
		b.WriteString("\n")
	}
	b.WriteString("## Notifications (回调通知)\n\n| Name (官方名称) | Protocol | Sandbox name |\n| --- | --- | --- |\n")
	sort.SliceStable(hooks, func(i, j int) bool { return hooks[i].Path() < hooks[j].Path() })
	for _, e := range hooks {
		fmt.Fprintf(&b, "| [%s](%s)%s | %s | `%s` |\n", cell(e.Title), link(e, pages), marks(e), "API"+e.Protocol, e.Path())
	}
	return b.String()
}

// link is the page of an entry, relative to docs/endpoints, with the
// method's anchor on a page of several.
func link(e *catalog.Entry, pages map[string]*pageDoc) string {
	if p := pages[e.Page]; p != nil && len(p.entries) > 1 {
		return e.Page + "#" + slug(e.Method+" "+e.Title)
	}
	return e.Page
}

func marks(e *catalog.Entry) string {
	switch {
	case e.HasFlag(catalog.FlagDiscarded):
		return " (已下线)"
	case e.HasFlag(catalog.FlagDeprecated):
		return " (已废弃)"
	}
	return ""
}
