package catalog

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// Entry is one documented endpoint and method, or one notification. The
// fields follow endpoints.json; README.md gives their meaning in full.
type Entry struct {
	// Page is the documentation page, e.g.
	// "openapi/v3/merchant-risk-manage/trade-risk-information.md"; a page
	// documenting several methods has an Entry for each.
	Page string `json:"page"`
	// Protocol is "v2" or "v3".
	Protocol string `json:"protocol"`
	// Kind is "openapi", a call the merchant makes, or "webhook", a
	// notification the merchant receives.
	Kind string `json:"kind"`
	// Method is GET, POST, PUT, PATCH or DELETE; POST for webhooks.
	Method string `json:"method"`
	// Chain is the path as the client's Chain takes it, e.g.
	// "v3/pay/transactions/id/{transaction_id}"; "" for webhooks and
	// the pages that are not SDK calls (SDKCall false).
	Chain string `json:"chain"`
	// Segments is the chain as wechatpay-php's pure chain writes it, one
	// segment each: ["v3","pay","transactions","id","_transaction_id_"].
	Segments []string `json:"segments"`
	// URIVars are the {placeholder} names of Chain.
	URIVars []string `json:"uri_vars"`
	// Options are the top-level keys of the sample, in order: json, xml,
	// query, headers, body, security, base_uri, nonceless, sink, … and URI
	// variables. For webhooks, the top-level request rows (headers, body).
	Options []string `json:"options"`
	// Request is the parameter tree; for webhooks, what arrives.
	Request Nodes `json:"request"`
	// Sample is the options argument of the PHP sample, as JSON; null for
	// webhooks. README.md says how PHP expressions are written in it.
	Sample json.RawMessage `json:"sample"`
	// Response is the answer's field tree; for webhooks, the
	// acknowledgement the merchant returns (status, body).
	Response Nodes `json:"response"`
	// ResponseFormat is json, xml, binary (a file) or none (no body).
	ResponseFormat string `json:"response_format"`
	// ResponseStatus is the status the sample expects (204 or 202), or 0.
	ResponseStatus int `json:"response_status"`
	// Flags are the page's notices: see the Flag constants.
	Flags []string `json:"flags"`
	// SDKCall tells whether the endpoint is called through the SDK's
	// chain; false for webhooks and the 4 pages that are plain URLs.
	SDKCall bool `json:"sdk_call"`
	// URL is the absolute URL of a page that is not an SDK call.
	URL string `json:"url"`
	// NotificationFormat is a webhook's body format, json or xml.
	NotificationFormat string `json:"notification_format"`
	// EventTypes are the event_type values of a webhook.
	EventTypes []string `json:"event_types"`
	// ErrorResponse is the error table of the two APIv2 bill downloads.
	ErrorResponse Nodes `json:"error_response"`
	// Title is the official name WeChat Pay's documentation gives the
	// endpoint (官方名称), e.g. "Native下单" or "申请退款".
	Title string `json:"title"`
	// OfficialDocs are the links to WeChat Pay's own documentation of the
	// endpoint, for the merchant (商户) and partner (服务商) editions where
	// both exist; see Docs.
	OfficialDocs []string `json:"official_docs"`
}

// Kinds of entries.
const (
	KindOpenAPI = "openapi"
	KindWebhook = "webhook"
)

// Flags of pages, from the documentation's notice boxes.
const (
	FlagDeprecated     = "deprecated"      // 已废弃: a newer endpoint replaces it
	FlagDiscarded      = "discarded"       // 已下线: no longer served
	FlagRedesigned     = "redesigned"      // 已升级: a new version of the product exists
	FlagPrivated       = "privated"        // 非公开: for invited merchants only
	FlagNeedAssessment = "need-accessment" // 需评估: open after WeChat Pay's assessment (the data's spelling)
)

// IsWebhook tells whether e is a notification WeChat Pay sends.
func (e *Entry) IsWebhook() bool { return e.Kind == KindWebhook }

// HasFlag tells whether e's page carries flag.
func (e *Entry) HasFlag(flag string) bool {
	for _, f := range e.Flags {
		if f == flag {
			return true
		}
	}
	return false
}

// Deprecated tells whether the endpoint is deprecated or discarded.
func (e *Entry) Deprecated() bool { return e.HasFlag(FlagDeprecated) || e.HasFlag(FlagDiscarded) }

// Path names the entry as the lookups take it: the chain of an SDK call
// ("v3/pay/transactions/native"); the page path of a plain URL
// ("v2/appauth/authindex"); the webhook name of a notification
// ("v3/TRANSACTION.SUCCESS", as wechatpaytest.Notification.Webhook takes
// it).
func (e *Entry) Path() string {
	if e.Chain != "" {
		return e.Chain
	}
	p := strings.TrimSuffix(e.Page, ".md")
	p = strings.TrimPrefix(p, KindOpenAPI+"/")
	return strings.TrimPrefix(p, KindWebhook+"/")
}

// DefaultBaseURL is where calls go unless their sample names another host
// (base_uri): https://api.mch.weixin.qq.com/.
const DefaultBaseURL = "https://api.mch.weixin.qq.com/"

// BaseURL returns the base URL of the call: its sample's base_uri (a Hong
// Kong or risk-control host, say) or DefaultBaseURL; "" for webhooks and
// plain URLs.
func (e *Entry) BaseURL() string {
	if e.Chain == "" {
		return ""
	}
	var s struct {
		BaseURI string `json:"base_uri"`
	}
	if json.Unmarshal(e.Sample, &s) == nil && s.BaseURI != "" {
		return s.BaseURI
	}
	return DefaultBaseURL
}

// FullURL returns the URL the call is sent to, template variables left in:
// "https://api.mch.weixin.qq.com/v3/pay/transactions/id/{transaction_id}",
// "https://api.mch.weixin.qq.com/pay/micropay" (APIv2 paths lose "v2/"). A
// plain URL page gives its URL; a webhook "".
func (e *Entry) FullURL() string {
	if e.Chain == "" {
		return e.URL
	}
	p := e.Chain
	if len(p) >= 3 && strings.EqualFold(p[:3], "v2/") {
		p = p[3:]
	}
	p = strings.ReplaceAll(p, "{empty}", "")
	return e.BaseURL() + p
}

// Host returns the host of FullURL, e.g. "api.mch.weixin.qq.com".
func (e *Entry) Host() string {
	u, err := url.Parse(e.FullURL())
	if err != nil {
		return ""
	}
	return u.Host
}

// Doc is a link to WeChat Pay's official documentation.
type Doc struct {
	URL string
	// Edition is whom the page is written for, read from its address:
	// "merchant" (直连商户), "partner" (服务商), "institution" (机构/银行),
	// "global" (境外), or "" when the address does not say.
	Edition string
}

// Docs returns OfficialDocs with the edition each serves.
func (e *Entry) Docs() []Doc {
	out := make([]Doc, 0, len(e.OfficialDocs))
	for _, u := range e.OfficialDocs {
		d := Doc{URL: u}
		switch {
		case strings.Contains(u, "/merchant/"):
			d.Edition = "merchant"
		case strings.Contains(u, "/partner/") || strings.Contains(u, "_partner/"):
			d.Edition = "partner"
		case strings.Contains(u, "/institution/"):
			d.Edition = "institution"
		case strings.Contains(u, "/doc/global/"):
			d.Edition = "global"
		}
		out = append(out, d)
	}
	return out
}

// Encryption and encoding markers of Node.Encrypted and Node.Encoded.
const (
	ByRSAPublicKey = "by-rsa-pubkey" // a sensitive field (敏感信息), encrypted with WeChat Pay's key
	ByAESGCM       = "by-aes-gcm"    // a notification's resource, AEAD_AES_256_GCM under the APIv3 key
	ByAESECB       = "by-aes-ecb"    // an APIv2 refund notification's req_info
	ByJSONEncode   = "by-json_encode"
	ByURLEncode    = "by-urlencode"
)

// EncryptedFields returns the paths of the request fields that are sent
// encrypted with WeChat Pay's public key or platform certificate
// (敏感信息加密), e.g. "json.contact_info.contact_name". A call that sends
// them names that key in its Wechatpay-Serial header.
func (e *Entry) EncryptedFields() []string {
	var out []string
	e.Request.Walk(func(path string, _ int, n *Node) error {
		if n.Encrypted == ByRSAPublicKey {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// Node is one parameter or answer field.
type Node struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // string integer number boolean object object[] string[] integer[] number[] float
	Required bool   `json:"required"`
	// Enum lists the values the documentation allows.
	Enum []string `json:"enum"`
	// Const is a fixed value (true for security and nonceless).
	Const any `json:"const"`
	// Encrypted, Encoded and Signed are the markers (By… constants) of a
	// field carried encrypted, encoded or signed; its Children describe the
	// content once decrypted or decoded.
	Encrypted string `json:"encrypted"`
	Encoded   string `json:"encoded"`
	Signed    string `json:"signed"`
	MaxLength int    `json:"max_length"`
	// Variant numbers the documented alternatives of a field (1, 2, …):
	// siblings of the same name, such as per-scene shapes.
	Variant  int   `json:"variant"`
	Children Nodes `json:"children"`
}

// Child returns the child named name, or nil.
func (n *Node) Child(name string) *Node { return n.Children.Find(name) }

// Markers describes, in words, how the field is carried and bounded: its
// encryption, its encoding, a signature, its maximum length, the
// alternative it is. The endpoint pages and `wxpay describe` show them
// after the field's enum values.
func (n *Node) Markers() []string {
	var out []string
	switch n.Encrypted {
	case ByRSAPublicKey:
		out = append(out, "encrypted (敏感信息, RSA-OAEP with WeChat Pay's key)")
	case ByAESGCM:
		out = append(out, "encrypted (AEAD_AES_256_GCM, APIv3 key); decrypted content below")
	case ByAESECB:
		out = append(out, "encrypted (AES-256-ECB, MD5 of the APIv2 key); decrypted content below")
	case "":
	default:
		out = append(out, "encrypted ("+n.Encrypted+")")
	}
	switch n.Encoded {
	case ByJSONEncode:
		out = append(out, "a JSON-encoded string")
	case ByURLEncode:
		out = append(out, "URL-encoded")
	case "":
	default:
		out = append(out, "encoded ("+n.Encoded+")")
	}
	if n.Signed != "" {
		out = append(out, "signed ("+n.Signed+")")
	}
	if n.MaxLength > 0 {
		out = append(out, fmt.Sprintf("at most %d characters", n.MaxLength))
	}
	if n.Variant > 0 {
		out = append(out, fmt.Sprintf("alternative %d", n.Variant))
	}
	return out
}

// Nodes is a field tree: a request, an answer, or a node's children.
type Nodes []Node

// Find returns the node at a dotted path, e.g. "json.amount.total", or
// nil. Of alternatives sharing a name, the first is taken.
func (ns Nodes) Find(path string) *Node {
	name, rest, more := strings.Cut(path, ".")
	for i := range ns {
		if ns[i].Name != name {
			continue
		}
		if !more {
			return &ns[i]
		}
		if n := ns[i].Children.Find(rest); n != nil {
			return n
		}
	}
	return nil
}

// SkipChildren, returned by a Walk function, skips the children of the
// node it was called for.
var SkipChildren = errors.New("catalog: skip children")

// Walk calls fn for each node of the tree, depth first in document order,
// with its dotted path ("json.amount.total") and depth (0 at the top). It
// stops at the first error fn returns but SkipChildren, and returns it.
func (ns Nodes) Walk(fn func(path string, depth int, n *Node) error) error {
	return ns.walk("", 0, fn)
}

func (ns Nodes) walk(prefix string, depth int, fn func(string, int, *Node) error) error {
	for i := range ns {
		n := &ns[i]
		path := n.Name
		if prefix != "" {
			path = prefix + "." + n.Name
		}
		switch err := fn(path, depth, n); {
		case err == SkipChildren:
			continue
		case err != nil:
			return err
		}
		if err := n.Children.walk(path, depth+1, fn); err != nil {
			return err
		}
	}
	return nil
}
