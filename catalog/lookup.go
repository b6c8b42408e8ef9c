package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay/internal/editdist"
	"github.com/wechatpay-go/wechatpay/internal/pathseg"
)

// ErrNotFound matches every *NotFoundError.
var ErrNotFound = errors.New("catalog: not found")

// NotFoundError reports a path, or a method of a path, the catalog does
// not document.
type NotFoundError struct {
	// Method and Path are as asked; Method is "" for Match.
	Method, Path string
	// Nearest are the closest documented entries: the path's other methods
	// when only the method is wrong, else the paths nearest to Path.
	Nearest []*Entry
}

// Error names what was asked and the nearest entries.
func (e *NotFoundError) Error() string {
	var b strings.Builder
	b.WriteString("catalog: no endpoint ")
	if e.Method != "" {
		b.WriteString(e.Method + " ")
	}
	b.WriteString(e.Path)
	for i, n := range e.Nearest {
		if i == 0 {
			b.WriteString("; nearest: ")
		} else {
			b.WriteString(", ")
		}
		b.WriteString(n.Method + " " + n.Path())
	}
	return b.String()
}

// Is makes errors.Is(err, ErrNotFound) true.
func (e *NotFoundError) Is(target error) bool { return target == ErrNotFound }

// route is one SDK path and its entries, one per method.
type route struct {
	chain    string
	segments []string // of chain; "{name}" is a variable
	entries  []*Entry
}

func (c *Catalog) index() {
	c.routes = map[int][]*route{}
	c.pages = map[string][]*Entry{}
	c.hooks = map[string]*Entry{}
	c.events = map[string][]*Entry{}
	byChain := map[string]*route{}
	for i := range c.entries {
		e := &c.entries[i]
		c.pages[e.Page] = append(c.pages[e.Page], e)
		switch {
		case e.IsWebhook():
			c.hooks[strings.ToLower(e.Path())] = e
			for _, t := range e.EventTypes {
				t = strings.ToLower(t)
				c.events[t] = append(c.events[t], e)
			}
		case e.Chain != "":
			rt := byChain[e.Chain]
			if rt == nil {
				rt = &route{chain: e.Chain, segments: strings.Split(e.Chain, "/")}
				byChain[e.Chain] = rt
				c.paths = append(c.paths, rt)
				c.routes[len(rt.segments)] = append(c.routes[len(rt.segments)], rt)
			}
			rt.entries = append(rt.entries, e)
			if alias := literalChain(e); alias != "" {
				// A few APIv2 chains hold a fixed segment in a variable
				// ("v2/secapi/mch/{addinstitutionsub}", sent as
				// addInstitutionsub): its value routes to it alone.
				segs := normalizeSegments(alias)
				c.routes[len(segs)] = append(c.routes[len(segs)], &route{chain: e.Chain, segments: segs, entries: rt.entries})
			}
		}
	}
}

// literalChain returns an APIv2 chain with its variables filled from the
// sample, or "" when it has none.
func literalChain(e *Entry) string {
	if e.Protocol != "v2" || len(e.URIVars) == 0 {
		return ""
	}
	var smp map[string]any
	if json.Unmarshal(e.Sample, &smp) != nil {
		return ""
	}
	chain := e.Chain
	for _, v := range e.URIVars {
		lit, ok := smp[v].(string)
		if !ok || lit == "" {
			return ""
		}
		chain = strings.ReplaceAll(chain, "{"+v+"}", lit)
	}
	return chain
}

// Lookup returns the entry of method (any case) and path. The path may be
// written as the client's Chain takes it ("v3/pay/transactions/id/{transaction_id}"),
// expanded ("v3/pay/transactions/id/4200000001"), in wechatpay-php's
// segments ("v3/merchantRiskManage/tradeRiskInformation",
// "v3/pay/transactions/id/_transaction_id_"), as a URL
// ("https://api.mch.weixin.qq.com/pay/micropay", with or without a query),
// or, for a notification, as its webhook name ("v3/REFUND.SUCCESS"), page
// or event type. A literal segment matches before a variable.
//
// A path or method the catalog does not have returns a *NotFoundError
// naming the nearest entries.
func (c *Catalog) Lookup(method, path string) (*Entry, error) {
	method = strings.ToUpper(method)
	es := c.match(path)
	for _, e := range es {
		if e.Method == method {
			return e, nil
		}
	}
	if len(es) > 0 {
		return nil, &NotFoundError{Method: method, Path: path, Nearest: es}
	}
	return nil, &NotFoundError{Method: method, Path: path, Nearest: c.Nearest(path, 5)}
}

// Match returns the entries of the path, one per method, as Lookup reads
// paths; a *NotFoundError naming the nearest entries when there are none.
func (c *Catalog) Match(path string) ([]*Entry, error) {
	if es := c.match(path); len(es) > 0 {
		return slices.Clone(es), nil
	}
	return nil, &NotFoundError{Path: path, Nearest: c.Nearest(path, 5)}
}

func (c *Catalog) match(path string) []*Entry {
	if es := c.webhooks(path); len(es) > 0 {
		return es
	}
	for _, cand := range candidates(path) {
		if rt := c.bestRoute(cand); rt != nil {
			return rt.entries
		}
	}
	if es := c.pages[strings.TrimPrefix(path, "/")]; len(es) > 0 {
		return es
	}
	for i := range c.entries {
		e := &c.entries[i]
		if e.Chain == "" && !e.IsWebhook() && (e.Path() == strings.Trim(path, "/") || e.URL == path) {
			return []*Entry{e}
		}
	}
	return nil
}

// webhooks finds a notification by name or page, or the notifications of
// an event type.
func (c *Catalog) webhooks(path string) []*Entry {
	p := strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(strings.Trim(path, "/"), "webhook/"), ".md"))
	if e := c.hooks[p]; e != nil {
		return []*Entry{e}
	}
	return c.events[p]
}

// candidates returns the normalised segment lists a path may stand for: as
// written, and for a URL or a path without "v2/" or "v3/", the APIv2 path
// it is on the wire and the path under the Hong Kong base paths.
func candidates(path string) [][]string {
	p := path
	if i := strings.Index(p, "://"); i >= 0 {
		if u, err := url.Parse(p); err == nil {
			p = u.EscapedPath()
		}
	}
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return nil
	}
	out := [][]string{normalizeSegments(p)}
	lower := strings.ToLower(p)
	if !strings.HasPrefix(lower, "v2/") && !strings.HasPrefix(lower, "v3/") {
		for _, base := range []string{"hk/", "global/"} {
			if strings.HasPrefix(lower, base+"v3/") {
				out = append(out, normalizeSegments(p[len(base):]))
			}
		}
		out = append(out, normalizeSegments("v2/"+p))
	}
	return out
}

// normalizeSegments splits a path and applies wechatpay-php's segment
// rules to each segment, as the client's Chain does: a leading capital is
// lowered, any other capital becomes "-" and its lower case, and
// "_name_" becomes "{name}". An empty last segment stands for {empty}.
func normalizeSegments(p string) []string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = pathseg.Normalize(s)
	}
	if len(segs) > 0 && segs[0] != "" {
		segs[0] = strings.ToLower(segs[0]) // "V2/…" routes as "v2/…"
	}
	return segs
}

// bestRoute finds the route matching segs with the most literal segments.
func (c *Catalog) bestRoute(segs []string) *route {
	var best *route
	bestScore := -1
	for _, rt := range c.routes[len(segs)] {
		if score, ok := rt.match(segs); ok && score > bestScore {
			best, bestScore = rt, score
		}
	}
	if best == nil && len(segs) > 1 && segs[len(segs)-1] == "" {
		// "v3/applyment4sub/applyment/" is written {empty} in the chain.
		segs = append(segs[:len(segs)-1:len(segs)-1], "{empty}")
		return c.bestRoute(segs)
	}
	return best
}

// match tells whether segs is an expansion of the route, or the route
// itself, and how many literal segments matched.
func (rt *route) match(segs []string) (score int, ok bool) {
	for i, t := range rt.segments {
		s := segs[i]
		switch {
		case s == t:
			if !isVar(t) {
				score++
			}
		case isVar(t) && t != "{empty}" && s != "" && !isVar(s):
			// an expanded variable
			if _, err := url.PathUnescape(s); err != nil {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	return score, true
}

func isVar(s string) bool { return len(s) > 2 && s[0] == '{' && s[len(s)-1] == '}' }

// List returns the entries whose Path starts with prefix, read as Lookup
// reads paths ("v3/pay/transactions", "v3/merchantRiskManage"), in catalog
// order; every entry for "". Notifications are listed under "v3/" and
// "v2/" with their webhook names.
func (c *Catalog) List(prefix string) []*Entry {
	p := strings.Join(normalizeSegments(strings.TrimPrefix(prefix, "/")), "/")
	if prefix == "" {
		p = ""
	}
	var out []*Entry
	for i := range c.entries {
		e := &c.entries[i]
		path := e.Path()
		if e.IsWebhook() {
			// Webhook names keep their capitals: compare them as written.
			if strings.HasPrefix(strings.ToLower(path), strings.ToLower(strings.TrimPrefix(prefix, "/"))) {
				out = append(out, e)
			}
			continue
		}
		if strings.HasPrefix(path, p) {
			out = append(out, e)
		}
	}
	return out
}

// Webhooks returns the notifications whose event_type is eventType
// ("TRANSACTION.SUCCESS", any case), or every notification for "".
func (c *Catalog) Webhooks(eventType string) []*Entry {
	if eventType != "" {
		return slices.Clone(c.events[strings.ToLower(eventType)])
	}
	var out []*Entry
	for i := range c.entries {
		if c.entries[i].IsWebhook() {
			out = append(out, &c.entries[i])
		}
	}
	return out
}

// Nearest returns up to n entries, one per path, whose paths are closest to
// path (by edit distance over the normalised path, an expanded variable
// costing nothing), closest first: the suggestions for a mistyped path.
func (c *Catalog) Nearest(path string, n int) []*Entry {
	type scored struct {
		e *Entry
		d int
	}
	cands := candidates(path)
	var all []scored
	for _, rt := range c.paths {
		best := -1
		for _, segs := range cands {
			if d := distance(segs, rt.segments); best < 0 || d < best {
				best = d
			}
		}
		if best >= 0 {
			all = append(all, scored{rt.entries[0], best})
		}
	}
	q := strings.ToLower(strings.Trim(path, "/"))
	for name, e := range c.hooks {
		all = append(all, scored{e, editdist.Distance(q, name)})
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].d != all[j].d {
			return all[i].d < all[j].d
		}
		return all[i].e.Path() < all[j].e.Path()
	})
	var out []*Entry
	for i := 0; i < len(all) && len(out) < n; i++ {
		out = append(out, all[i].e)
	}
	return out
}

// distance is the edit distance between a path and a route, each variable
// of the route taking the segment in its place for free.
func distance(segs, route []string) int {
	filled := make([]string, len(route))
	for i, t := range route {
		filled[i] = t
		if isVar(t) && i < len(segs) {
			filled[i] = segs[i]
		}
	}
	return editdist.Distance(strings.Join(segs, "/"), strings.Join(filled, "/"))
}

// String returns "METHOD path", e.g. "GET v3/pay/transactions/id/{transaction_id}".
func (e *Entry) String() string { return fmt.Sprintf("%s %s", e.Method, e.Path()) }
