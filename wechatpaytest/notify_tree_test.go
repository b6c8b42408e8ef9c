package wechatpaytest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/transformer"
	"github.com/wechatpay-go/wechatpay/wechatpaytest"
)

// captured is a notification as the merchant's URL received it.
type captured struct {
	header http.Header
	body   []byte
}

// capture starts a receiver that keeps the last notification and
// acknowledges it the way its protocol expects.
func capture(t *testing.T) (url string, last func() captured) {
	var mu sync.Mutex
	var got captured
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = captured{r.Header.Clone(), body}
		mu.Unlock()
		if bytes.HasPrefix(bytes.TrimSpace(body), []byte("<")) {
			w.Write([]byte("<xml><return_code><![CDATA[SUCCESS]]></return_code></xml>"))
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hs.Close)
	return hs.URL, func() captured {
		mu.Lock()
		defer mu.Unlock()
		return got
	}
}

// Every notification of the catalog, generated with the default fields and
// with fields given explicitly, matches the catalog's tree of it field by
// field: no undocumented field, every required field, each of its
// documented type, enum or constant, and JSON, XML or ciphertext inside a
// string decoded and checked against the children the catalog gives it.
func TestNotificationsMatchCatalog(t *testing.T) {
	srv := wechatpaytest.NewServer()
	defer srv.Close()
	url, last := capture(t)
	entries, err := catalog.All()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for i := range entries {
		e := &entries[i]
		if e.Kind != "webhook" {
			continue
		}
		n++
		name := strings.TrimSuffix(strings.TrimPrefix(e.Page, "webhook/"), ".md")
		for _, explicit := range []bool{false, true} {
			note := wechatpaytest.Notification{Webhook: name}
			if explicit {
				note = explicitNotification(e, name)
			}
			if _, err := srv.Notify(context.Background(), url, note, wechatpaytest.WithSchedule()); err != nil {
				t.Errorf("%s (explicit %t): %v", name, explicit, err)
				continue
			}
			c := &treeChecker{v2: e.Protocol == "v2", srv: srv}
			c.check(e, last())
			if explicit {
				c.checkExplicit(note, last())
			}
			for _, p := range c.problems {
				t.Errorf("%s (explicit %t): %s", name, explicit, p)
			}
		}
	}
	if n != 112 {
		t.Fatalf("%d webhooks in the catalog, want 112", n)
	}
}

// explicitNotification gives a notification's fields explicitly, as a
// caller overriding the defaults does: for APIv2 one documented field
// (and one of req_info's for a refund); for APIv3 the event type and one
// documented field of the resource.
func explicitNotification(e *catalog.Entry, name string) wechatpaytest.Notification {
	n := wechatpaytest.Notification{Webhook: name}
	body := catalogChild(e.Request, "body")
	if e.Protocol == "v2" {
		n.Fields = map[string]string{}
		for _, c := range body.Children {
			if c.Encrypted == "" && len(c.Children) == 0 && c.Name != "sign" && len(c.Enum) == 0 && c.Type == "string" {
				n.Fields[c.Name] = "explicit-" + c.Name
				break
			}
		}
		if ri := catalogChild(body.Children, "req_info"); ri != nil {
			n.ReqInfo = map[string]string{"out_refund_no": "explicit-refund"}
		}
		return n
	}
	if len(e.EventTypes) > 0 {
		n.EventType = e.EventTypes[len(e.EventTypes)-1]
	}
	res := catalogChild(body.Children, "resource")
	ct := catalogChild(res.Children, "ciphertext")
	for _, c := range ct.Children {
		if c.Type == "string" && len(c.Enum) == 0 && len(c.Children) == 0 && c.Const == nil && c.Encrypted == "" {
			n.Set = map[string]any{c.Name: "explicit-" + c.Name}
			break
		}
	}
	return n
}

func catalogChild(nodes []catalog.Node, name string) *catalog.Node {
	for i := range nodes {
		if nodes[i].Name == name {
			return &nodes[i]
		}
	}
	return nil
}

// treeChecker compares a received notification with its catalog tree.
type treeChecker struct {
	v2       bool
	srv      *wechatpaytest.Server
	problems []string
	plain    map[string]any // the decrypted content, for checkExplicit
}

func (c *treeChecker) fail(at, format string, a ...any) {
	c.problems = append(c.problems, at+": "+fmt.Sprintf(format, a...))
}

func (c *treeChecker) check(e *catalog.Entry, got captured) {
	headers := catalogChild(e.Request, "headers")
	for _, h := range headers.Children {
		v := got.header.Get(h.Name)
		switch {
		case v == "" && h.Required:
			c.fail("headers/"+h.Name, "required, missing")
		case v != "" && h.Const != nil && v != fmt.Sprint(h.Const):
			c.fail("headers/"+h.Name, "%q, want the constant %v", v, h.Const)
		case v != "" && len(h.Enum) > 0 && !contains(h.Enum, v):
			c.fail("headers/"+h.Name, "%q is none of %v", v, h.Enum)
		}
	}
	body := catalogChild(e.Request, "body")
	if c.v2 {
		fields, err := transformer.ToMap(got.body)
		if err != nil {
			c.fail("body", "not XML: %v", err)
			return
		}
		c.object("body", fields, body.Children)
		return
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(got.body))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		c.fail("body", "not JSON: %v", err)
		return
	}
	c.value("body", v, []catalog.Node{*body})
}

// object checks the fields of obj against nodes: each documented, each
// required one present.
func (c *treeChecker) object(at string, obj map[string]any, nodes []catalog.Node) {
	seen := map[string]bool{}
	for name, v := range obj {
		alts := matching(nodes, name)
		if len(alts) == 0 {
			c.fail(at+"/"+name, "not in the catalog's tree")
			continue
		}
		seen[alts[0].Name] = true
		if alts[0].Encrypted == "by-aes-gcm" {
			c.sealed(at+"/"+name, obj, v, plaintextTrees(alts[0], nodes))
			continue
		}
		c.value(at+"/"+name, v, alts)
	}
	for _, n := range nodes {
		if n.Required && !seen[n.Name] && !strings.Contains(n.Name, "$") {
			c.fail(at+"/"+n.Name, "required, missing")
			seen[n.Name] = true
		}
	}
}

// matching returns the nodes a field name stands for: the same name, or a
// $n/$m pattern ("coupon_type_$n" for "coupon_type_0").
func matching(nodes []catalog.Node, name string) []catalog.Node {
	var out []catalog.Node
	for _, n := range nodes {
		if n.Name == name {
			out = append(out, n)
		}
	}
	if len(out) > 0 {
		return out
	}
	for _, n := range nodes {
		if !strings.Contains(n.Name, "$") {
			continue
		}
		re := strings.NewReplacer(`\$n`, `\d+`, `\$m`, `\d+`).Replace(regexp.QuoteMeta(n.Name))
		if regexp.MustCompile("^" + re + "$").MatchString(name) {
			out = append(out, n)
		}
	}
	return out
}

// value checks one value against its alternatives: it passes when it
// matches any of them, and otherwise reports the first's problems.
func (c *treeChecker) value(at string, v any, alts []catalog.Node) {
	var first []string
	for _, n := range alts {
		sub := &treeChecker{v2: c.v2, srv: c.srv}
		sub.one(at, v, &n)
		if len(sub.problems) == 0 {
			if sub.plain != nil {
				c.plain = sub.plain
			}
			return
		}
		if first == nil {
			first = sub.problems
		}
	}
	c.problems = append(c.problems, first...)
}

func (c *treeChecker) one(at string, v any, n *catalog.Node) {
	if n.Const != nil {
		if fmt.Sprint(v) != fmt.Sprint(n.Const) {
			c.fail(at, "%v, want the constant %v", v, n.Const)
		}
		return
	}
	if len(n.Enum) > 0 && !strings.HasSuffix(n.Type, "[]") && !contains(n.Enum, scalar(v)) {
		c.fail(at, "%v is none of %v", v, n.Enum)
	}
	// A string the catalog gives children is content: ciphertext to
	// decrypt, or JSON (XML for APIv2 event data) to decode.
	// (In APIv3 JSON only an encoded string holds JSON: the children a
	// plain string has on two pages are the misplaced plaintext of the
	// ciphertext above it; see plaintextTrees.)
	if s, ok := v.(string); ok && len(n.Children) > 0 && ((c.v2 && n.Type == "string") || n.Encoded != "") {
		c.content(at, s, n)
		return
	}
	switch n.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			c.fail(at, "%T, want an object", v)
			return
		}
		c.object(at, obj, n.Children)
	case "object[]", "string[]", "integer[]", "number[]":
		list, ok := v.([]any)
		if !ok {
			c.fail(at, "%T, want an array", v)
			return
		}
		elem := *n
		elem.Type = strings.TrimSuffix(n.Type, "[]")
		if n.Type == "object[]" {
			elem.Type = "object"
		}
		elem.Enum = n.Enum
		for i, x := range list {
			c.one(at+"/"+strconv.Itoa(i), x, &elem)
		}
	case "integer":
		if !c.isInteger(v) {
			c.fail(at, "%v (%T) is not an integer", v, v)
		}
	case "number", "float":
		if !c.isNumber(v) {
			c.fail(at, "%v (%T) is not a number", v, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok && !(c.v2 && (v == "true" || v == "false")) {
			c.fail(at, "%v (%T) is not a boolean", v, v)
		}
	case "string", "":
		if _, ok := v.(string); !ok {
			c.fail(at, "%v (%T) is not a string", v, v)
		}
	default:
		c.fail(at, "unknown catalog type %q", n.Type)
	}
}

// content decodes a string that holds structured content and checks it
// against the node's children.
func (c *treeChecker) content(at, s string, n *catalog.Node) {
	var plain []byte
	switch n.Encrypted {
	case "by-aes-gcm":
		c.fail(at, "an AES-GCM ciphertext is checked with its envelope")
		return
	case "by-aes-ecb":
		p, err := crypto.DecryptAESECB(crypto.ECBKeyFromAPIv2Key([]byte(c.srv.Secret)), s)
		if err != nil {
			c.fail(at, "does not decrypt: %v", err)
			return
		}
		plain = p
	case "":
		plain = []byte(s)
	default:
		c.fail(at, "unknown encryption %q", n.Encrypted)
		return
	}
	c.decoded(at, plain, n.Children)
}

// decoded checks decrypted or encoded content: JSON or XML.
func (c *treeChecker) decoded(at string, plain []byte, children []catalog.Node) {
	if t := bytes.TrimSpace(plain); len(t) > 0 && t[0] == '<' {
		m, err := transformer.ToMap(t)
		if err != nil {
			c.fail(at, "the content is not XML: %v", err)
			return
		}
		c.plain = m
		sub := &treeChecker{v2: true, srv: c.srv}
		sub.object(at, m, children)
		c.problems = append(c.problems, sub.problems...)
		return
	}
	var v any
	d := json.NewDecoder(bytes.NewReader(plain))
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		c.fail(at, "the content is not JSON: %v: %q", err, plain)
		return
	}
	obj, ok := v.(map[string]any)
	if !ok {
		c.fail(at, "the content is %T, want an object", v)
		return
	}
	c.plain = obj
	sub := &treeChecker{v2: false, srv: c.srv}
	sub.object(at, obj, children)
	c.problems = append(c.problems, sub.problems...)
}

// plaintextTrees returns the trees a ciphertext's plaintext may follow:
// its children, or where the catalog documents none under it, those of the
// siblings that hold them (original_data variants, or original_type, as
// three pages document the plaintext).
func plaintextTrees(ciphertext catalog.Node, siblings []catalog.Node) [][]catalog.Node {
	if len(ciphertext.Children) > 0 {
		return [][]catalog.Node{ciphertext.Children}
	}
	var out [][]catalog.Node
	for _, s := range siblings {
		if s.Name != ciphertext.Name && len(s.Children) > 0 {
			out = append(out, s.Children)
		}
	}
	return append(out, nil)
}

// sealed decrypts an AES-GCM ciphertext under the APIv3 key, with the
// nonce and associated data its siblings give (event_nonce and
// event_associated_data in APIv2 event notifications), and checks it
// against the first tree it matches.
func (c *treeChecker) sealed(at string, siblings map[string]any, v any, trees [][]catalog.Node) {
	ct, _ := v.(string)
	nonce, aad := scalar(siblings["nonce"]), scalar(siblings["associated_data"])
	if c.v2 {
		nonce, aad = scalar(siblings["event_nonce"]), scalar(siblings["event_associated_data"])
	}
	if siblings["associated_data"] == nil && siblings["event_associated_data"] == nil {
		aad = ""
	}
	plain, err := crypto.DecryptAESGCM([]byte(c.srv.APIv3Key), []byte(nonce), ct, []byte(aad))
	if err != nil {
		c.fail(at, "does not decrypt: %v", err)
		return
	}
	var first []string
	for _, tree := range trees {
		sub := &treeChecker{v2: c.v2, srv: c.srv}
		sub.decoded(at, plain, tree)
		if len(sub.problems) == 0 {
			c.plain = sub.plain
			return
		}
		if first == nil {
			first = sub.problems
			c.plain = sub.plain
		}
	}
	c.problems = append(c.problems, first...)
}

func (c *treeChecker) isInteger(v any) bool {
	switch x := v.(type) {
	case json.Number:
		_, err := x.Int64()
		return err == nil
	case string:
		_, err := strconv.ParseInt(x, 10, 64)
		return c.v2 && err == nil
	}
	return false
}

func (c *treeChecker) isNumber(v any) bool {
	switch x := v.(type) {
	case json.Number:
		return true
	case string:
		_, err := strconv.ParseFloat(x, 64)
		return c.v2 && err == nil
	}
	return false
}

// checkExplicit checks that the fields given explicitly arrived as given.
func (c *treeChecker) checkExplicit(n wechatpaytest.Notification, got captured) {
	if n.Fields != nil {
		fields, _ := transformer.ToMap(got.body)
		for k, v := range n.Fields {
			if fields[k] != v {
				c.problems = append(c.problems, fmt.Sprintf("! field %s = %v, given %q", k, fields[k], v))
			}
		}
	}
	for k, v := range n.ReqInfo {
		if c.plain[k] != v {
			c.problems = append(c.problems, fmt.Sprintf("! req_info %s = %v, given %q", k, c.plain[k], v))
		}
	}
	for k, v := range n.Set {
		if c.plain[k] != v {
			c.problems = append(c.problems, fmt.Sprintf("! resource %s = %v, set %q", k, c.plain[k], v))
		}
	}
	if n.EventType != "" {
		var env struct {
			EventType string `json:"event_type"`
		}
		json.Unmarshal(got.body, &env)
		if env.EventType != n.EventType {
			c.problems = append(c.problems, fmt.Sprintf("! event_type %q, given %q", env.EventType, n.EventType))
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return fmt.Sprint(v)
}
