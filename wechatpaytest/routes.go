package wechatpaytest

import (
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// route is an endpoint the server answers: one of the catalog's, or one
// registered with HandleFunc.
type route struct {
	method   string
	template string   // the chain, e.g. "v3/pay/transactions/id/{transaction_id}"
	protocol string   // "v2" or "v3"
	segments []string // of the path on the wire; "{name}" matches one segment
	handler  HandlerFunc
	entry    *catalog.Entry // the catalog's facts; nil for a route of the caller's own
	security bool           // APIv2 mutual TLS: the merchant certificate is required
}

// HandlerFunc answers a request that passed authentication.
type HandlerFunc func(*Request) *Answer

// HandleFunc registers h for method and template, ahead of the catalog's
// routes. The template is written as in the client's chain:
// "v3/pay/transactions/id/{transaction_id}" or "v2/pay/micropay"; a {name}
// segment matches any one segment, and its decoded value is in
// Request.Vars. A template the catalog knows keeps the catalog's place on the
// wire (v3/statements is served under /hk/) and its mutual TLS rule. A later
// registration of the same method and template replaces the earlier one.
func (s *Server) HandleFunc(method, template string, h HandlerFunc) {
	method = strings.ToUpper(method)
	rt := &route{method: method, template: template, handler: h}
	if c := catalogRoutes().find(method, template); c != nil {
		rt.protocol, rt.segments, rt.security = c.protocol, c.segments, c.security
	} else {
		rt.protocol, rt.segments = wireSegments(template, "")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, old := range s.routes {
		if old.method == rt.method && old.template == rt.template {
			s.routes[i] = rt
			return
		}
	}
	s.routes = append(s.routes, rt)
}

// wireSegments splits a chain into its protocol and the segments of its path
// on the wire, under the path of a base URL (e.g. "hk/").
func wireSegments(chain, basePath string) (protocol string, segments []string) {
	protocol, wire := "v3", chain
	if len(wire) >= 3 && strings.EqualFold(wire[:3], "v2/") {
		protocol, wire = "v2", wire[3:]
	}
	wire = strings.Trim(basePath, "/") + "/" + strings.TrimPrefix(wire, "/")
	segments = strings.Split(strings.TrimPrefix(wire, "/"), "/")
	for i, seg := range segments {
		if seg == "{empty}" { // an empty trailing segment: the path ends in "/"
			segments[i] = ""
		}
	}
	return protocol, segments
}

// match finds the route for a method and escaped path: the caller's routes
// first, then the sandbox's own (_sandbox/…), then the catalog's. Literal
// segments win over variables.
func (s *Server) match(method, escapedPath string) (*route, map[string]string) {
	parts := strings.Split(strings.TrimPrefix(escapedPath, "/"), "/")
	s.mu.Lock()
	rt, vars := bestMatch(s.routes, method, parts)
	s.mu.Unlock()
	if rt != nil {
		return rt, vars
	}
	if rt, vars := bestMatch(s.admin, method, parts); rt != nil {
		return rt, vars
	}
	return catalogRoutes().match(method, parts)
}

func bestMatch(routes []*route, method string, parts []string) (*route, map[string]string) {
	var best *route
	var bestVars map[string]string
	bestScore := -1
	for _, rt := range routes {
		if rt.method != method || len(rt.segments) != len(parts) {
			continue
		}
		vars, score, ok := map[string]string{}, 0, true
		for i, seg := range rt.segments {
			if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
				v, err := url.PathUnescape(parts[i])
				if err != nil || v == "" {
					ok = false
					break
				}
				vars[seg[1:len(seg)-1]] = v
				continue
			}
			if seg != parts[i] {
				ok = false
				break
			}
			score++
		}
		if ok && score > bestScore {
			best, bestVars, bestScore = rt, vars, score
		}
	}
	return best, bestVars
}

// routeTable is the catalog's routes, indexed by method and segment count.
type routeTable struct {
	byShape map[string][]*route
	byChain map[string]*route // method + " " + chain
}

func shapeKey(method string, n int) string { return method + " " + strconv.Itoa(n) }

func (t *routeTable) match(method string, parts []string) (*route, map[string]string) {
	return bestMatch(t.byShape[shapeKey(method, len(parts))], method, parts)
}

func (t *routeTable) find(method, chain string) *route { return t.byChain[method+" "+chain] }

// catalogRoutes builds, once per process, a route for every endpoint of the
// catalog that the SDK calls, placed under the path of the base URL its
// sample uses, whatever the host (api, apihk, fraud, payapp): the server
// serves them all on its one address.
var catalogRoutes = sync.OnceValue(func() *routeTable {
	t := &routeTable{byShape: map[string][]*route{}, byChain: map[string]*route{}}
	entries, err := catalog.All()
	if err != nil {
		panic("wechatpaytest: the embedded catalog does not parse: " + err.Error())
	}
	for i := range entries {
		e := &entries[i]
		if e.Kind != "openapi" || !e.SDKCall || e.Chain == "" {
			continue
		}
		smp := sampleOf(e)
		chain := e.Chain
		if e.Protocol == "v2" {
			// A few APIv2 chains hold a fixed mixed-case segment in a
			// variable; the sample gives it.
			for _, v := range e.URIVars {
				if lit, ok := smp[v].(string); ok {
					chain = strings.ReplaceAll(chain, "{"+v+"}", lit)
				}
			}
		}
		basePath := ""
		if b, ok := smp["base_uri"].(string); ok {
			if u, err := url.Parse(b); err == nil {
				basePath = u.Path
			}
		}
		rt := &route{method: e.Method, template: e.Chain, entry: e}
		rt.protocol, rt.segments = wireSegments(chain, basePath)
		rt.security, _ = smp["security"].(bool)
		key := shapeKey(rt.method, len(rt.segments))
		t.byShape[key] = append(t.byShape[key], rt)
		t.byChain[rt.method+" "+rt.template] = rt
	}
	return t
})

// sampleOf decodes an entry's PHP sample options; empty when there is none.
func sampleOf(e *catalog.Entry) map[string]any {
	var m map[string]any
	json.Unmarshal(e.Sample, &m)
	return m
}
