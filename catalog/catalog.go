// Package catalog is the machine-readable list of every documented WeChat
// Pay (微信支付) APIv2 and APIv3 endpoint and notification (回调通知): paths,
// methods, wechatpay-php chain segments, option keys, parameter and answer
// trees, sample values, official titles and documentation links. README.md
// beside this file gives the schema and the data's source.
//
// The sandbox (package wechatpaytest) and the generator of the endpoint
// pages under docs/endpoints read the data through this package, as the
// wxpay command's describe will.
// The client (package wechatpay) does not: a program that only calls WeChat
// Pay links none of it.
//
// The data is embedded compressed (182 KB for 3.1 MB of JSON) and
// decoded on the first call of Load, never at program start:
//
//	cat, err := catalog.Load()
//	e, err := cat.Lookup("GET", "v3/pay/transactions/id/4200000001") // a template, an expanded path, PHP segments
//	fmt.Println(e.Title, e.FullURL())                               // 微信支付订单号查询 https://api.mch.weixin.qq.com/v3/…
package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// endpoints.json.zst is endpoints.json compressed with zstd; go generate
// (internal/docgen) makes it, and a test checks that it decodes to
// endpoints.json.
//
//go:embed endpoints.json.zst
var packed []byte

// Catalog is the decoded catalog, indexed for lookups. It is read-only and
// safe for concurrent use.
type Catalog struct {
	entries []Entry
	routes  map[int][]*route // SDK paths, by number of segments
	paths   []*route         // every SDK path, in catalog order
	pages   map[string][]*Entry
	hooks   map[string]*Entry   // webhooks by lower-case name
	events  map[string][]*Entry // webhooks by lower-case event type
}

// Load returns the catalog, decoding the embedded data on the first call
// (about 70 ms, 3 of them decompressing; some 14 MB of memory held from
// then on) and sharing the result with every later call.
func Load() (*Catalog, error) { return load() }

var load = sync.OnceValues(func() (*Catalog, error) { return decode(packed) })

// decode decompresses and parses the embedded data.
func decode(zst []byte) (*Catalog, error) {
	d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	defer d.Close()
	raw, err := d.DecodeAll(zst, nil)
	if err != nil {
		return nil, fmt.Errorf("catalog: decompressing the embedded data: %w", err)
	}
	return parse(raw)
}

// parse builds a Catalog from endpoints.json.
func parse(raw []byte) (*Catalog, error) {
	var entries []Entry
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields() // a new key in the data must be added to Entry or Node
	if err := dec.Decode(&entries); err != nil {
		return nil, fmt.Errorf("catalog: parsing the embedded data: %w", err)
	}
	c := &Catalog{entries: entries}
	c.index()
	return c, nil
}

// All returns every entry, in the catalog's order (by page, then method as
// the page lists them). The slice is shared: do not modify it.
func All() ([]Entry, error) {
	c, err := Load()
	if err != nil {
		return nil, err
	}
	return c.entries, nil
}

// Entries returns every entry, in the catalog's order. The slice is
// shared: do not modify it.
func (c *Catalog) Entries() []Entry { return c.entries }

// Page returns the entries documented on one page of the catalog, e.g.
// "openapi/v3/merchant-risk-manage/violation-notifications.md" (its POST,
// GET, PUT and DELETE), in the page's order; nil for an unknown page.
func (c *Catalog) Page(page string) []*Entry { return slices.Clone(c.pages[page]) }

// Pages returns the catalog's pages, in order.
func (c *Catalog) Pages() []string {
	var out []string
	seen := map[string]bool{}
	for i := range c.entries {
		if p := c.entries[i].Page; !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
