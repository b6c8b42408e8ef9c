// Package catalog holds the facts about every documented WeChat Pay endpoint
// and notification (paths, methods, chain segments, option keys, parameter
// and answer trees, sample values), embedded from endpoints.json; see
// README.md beside it for the schema and its source.
package catalog

import (
	_ "embed"
	"encoding/json"
	"sync"
)

//go:embed endpoints.json
var raw []byte

// Entry is one documented endpoint and method, or one notification.
type Entry struct {
	Page               string          `json:"page"`
	Protocol           string          `json:"protocol"` // "v2" or "v3"
	Kind               string          `json:"kind"`     // "openapi" or "webhook"
	Method             string          `json:"method"`
	Chain              string          `json:"chain"` // "" for webhooks and non-SDK pages
	Segments           []string        `json:"segments"`
	URIVars            []string        `json:"uri_vars"`
	Options            []string        `json:"options"`
	Request            []Node          `json:"request"`
	Sample             json.RawMessage `json:"sample"` // the PHP sample's options, as JSON; null for webhooks
	Response           []Node          `json:"response"`
	ResponseFormat     string          `json:"response_format"` // json, xml, binary, none
	ResponseStatus     int             `json:"response_status"`
	Flags              []string        `json:"flags"`
	SDKCall            bool            `json:"sdk_call"`
	URL                string          `json:"url"`
	NotificationFormat string          `json:"notification_format"`
	EventTypes         []string        `json:"event_types"`
	ErrorResponse      []Node          `json:"error_response"`
}

// Node is one parameter or answer field.
type Node struct {
	Name      string   `json:"name"`
	Type      string   `json:"type"`
	Required  bool     `json:"required"`
	Enum      []string `json:"enum"`
	Const     any      `json:"const"`
	Encrypted string   `json:"encrypted"`
	Encoded   string   `json:"encoded"`
	Signed    string   `json:"signed"`
	MaxLength int      `json:"max_length"`
	Variant   int      `json:"variant"`
	Children  []Node   `json:"children"`
}

// Child returns the child named name, or nil.
func (n *Node) Child(name string) *Node {
	for i := range n.Children {
		if n.Children[i].Name == name {
			return &n.Children[i]
		}
	}
	return nil
}

var load = sync.OnceValues(func() ([]Entry, error) {
	var es []Entry
	err := json.Unmarshal(raw, &es)
	return es, err
})

// All returns every entry, in the file's order. The slice is shared: do not
// modify it.
func All() ([]Entry, error) { return load() }

// Raw returns the embedded endpoints.json.
func Raw() []byte { return raw }
