package main

import (
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// Shell completion (`wxpay completion bash|zsh|fish|powershell`, cobra's)
// asks the command itself, through its hidden __complete command, so that
// it always knows the catalog of the binary that runs.

// completePaths completes an endpoint path of the catalog for method (any
// method for ""), a segment at a time: "v3/pay/" offers
// "v3/pay/transactions/", "v3/pay/partner/", … and a full path once only
// one is left under the prefix. A full path carries its official title,
// which zsh and fish show beside it.
func completePaths(method, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	titles := map[string]string{}
	for _, en := range cat.Entries() {
		if en.Chain == "" || (method != "" && en.Method != method) || !strings.HasPrefix(en.Chain, toComplete) {
			continue
		}
		if _, ok := titles[en.Chain]; !ok || titles[en.Chain] == "" {
			titles[en.Chain] = en.Title
		}
	}
	return segments(titles, toComplete)
}

// completeEvents completes a notification: its event type
// (TRANSACTION.SUCCESS) or its name (v3/TRANSACTION.SUCCESS,
// v2/refund-processed).
func completeEvents(toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, cobra.ShellCompDirectiveError
	}
	titles := map[string]string{}
	upper := strings.ToUpper(toComplete)
	for _, en := range cat.Webhooks("") {
		for _, t := range en.EventTypes {
			if strings.HasPrefix(t, upper) {
				if _, ok := titles[t]; !ok {
					titles[t] = en.Title
				}
			}
		}
		if name := en.Path(); strings.HasPrefix(strings.ToLower(name), strings.ToLower(toComplete)) {
			titles[name] = en.Title
		}
	}
	out := make([]cobra.Completion, 0, len(titles))
	for name, title := range titles {
		out = append(out, cobra.CompletionWithDesc(name, title))
	}
	sort.Strings(out)
	return out, cobra.ShellCompDirectiveNoFileComp
}

// segments offers, of the paths under prefix, each one's next segment
// (ending in "/", more to complete) or the whole path with its title.
func segments(titles map[string]string, prefix string) ([]cobra.Completion, cobra.ShellCompDirective) {
	next := map[string]string{}
	for p, title := range titles {
		rest := p[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 && len(titles) > 1 {
			next[prefix+rest[:i+1]] = ""
			continue
		}
		next[p] = title
	}
	out := make([]cobra.Completion, 0, len(next))
	partial := false
	for p, title := range next {
		if strings.HasSuffix(p, "/") {
			partial = true
			out = append(out, p)
			continue
		}
		out = append(out, cobra.CompletionWithDesc(p, title))
	}
	sort.Strings(out)
	dir := cobra.ShellCompDirectiveNoFileComp
	if partial {
		dir |= cobra.ShellCompDirectiveNoSpace
	}
	return out, dir
}
