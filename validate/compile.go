package validate

import (
	"net/http"
	"strings"
	"sync"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/internal/errata"
)

// This file turns a catalog entry into the checks of its requests, once per
// entry, on its first call: the field trees indexed by name, the types
// parsed, the errata applied.

// kind is a field's JSON type.
type kind uint8

const (
	kAny kind = iota // undocumented or unusual: not checked
	kString
	kInteger
	kNumber
	kBoolean
	kObject
	kArray
)

var kindNames = [...]string{kAny: "any", kString: "string", kInteger: "integer", kNumber: "number", kBoolean: "boolean", kObject: "object", kArray: "array"}

func (k kind) String() string { return kindNames[k] }

// field is one documented field.
type field struct {
	name     string
	typeName string // as documented: "integer", "object[]"
	typ      kind
	elem     kind // of an array
	required bool
	enum     []string
	constant string // a fixed value, as its JSON text; "" when none
	maxLen   int    // in bytes; 0 when not documented
	// encrypted marks a sensitive field (敏感信息), sent as RSA ciphertext.
	encrypted bool
	// jsonText marks a string carrying JSON (by-json_encode) that obj
	// describes.
	jsonText bool
	// obj describes an object's fields, or the JSON of a jsonText string;
	// nil when not documented (then anything goes).
	obj *object
	// item describes an array's items.
	item *field
}

// group is the fields of one name: one, or documented alternatives
// (variant 1, 2, …), of which the value must fit one.
type group struct {
	name     string
	alts     []*field
	required bool
}

// object is the fields of an object, indexed by name.
type object struct {
	groups []group
	index  map[string]int
	// anyOf are sets of fields (indexes of groups) of which one is
	// needed: documented alternatives the catalog marks all required
	// (internal/errata).
	anyOf [][]int
}

// oneOf makes the named fields alternatives: one of them is needed. The
// names are checked against the catalog by a test; any not found is left
// as documented.
func (o *object) oneOf(names []string) {
	var set []int
	for _, n := range names {
		if i, ok := o.lookup(n); ok {
			set = append(set, i)
		}
	}
	if len(set) < 2 {
		return
	}
	for _, i := range set {
		o.groups[i].required = false
	}
	o.anyOf = append(o.anyOf, set)
}

func (o *object) lookup(name string) (int, bool) {
	i, ok := o.index[name]
	return i, ok
}

// endpoint is the compiled checks of one catalog entry.
type endpoint struct {
	entry *catalog.Entry
	v2    bool
	// segments of the chain as the path is sent (no "v2/"), for reading the
	// URI variables; vars maps their positions to their fields.
	segments []string
	vars     map[int]*field
	json     *field // the "json" option: the body
	query    *field
	xml      *field
	headers  []string // required headers
	meta     *field   // an upload's meta JSON
	upload   bool     // the endpoint takes a multipart body
	security bool     // APIv2 mutual TLS is documented as required
}

// compiled holds the endpoints compiled so far, by entry.
var compiled sync.Map // *catalog.Entry → *endpoint

func compileEntry(e *catalog.Entry) *endpoint {
	if ep, ok := compiled.Load(e); ok {
		return ep.(*endpoint)
	}
	ep, _ := compiled.LoadOrStore(e, compile(e))
	return ep.(*endpoint)
}

func compile(e *catalog.Entry) *endpoint {
	ep := &endpoint{entry: e, v2: e.Protocol == "v2"}
	chain := e.Chain
	if ep.v2 {
		chain = chain[3:]
	}
	ep.segments = strings.Split(chain, "/")
	top := compileNodes(e.Request, "")
	for _, alt := range errata.OneOf {
		if alt.Method != e.Method || alt.Chain != e.Chain {
			continue
		}
		if i, ok := top.lookup(alt.Path); ok && top.groups[i].alts[0].obj != nil {
			top.groups[i].alts[0].obj.oneOf(alt.Names)
		}
	}
	for _, g := range top.groups {
		f := g.alts[0]
		switch g.name {
		case "json":
			ep.json = f
		case "query":
			ep.query = f
		case "xml":
			ep.xml = f
		case "headers":
			if f.obj != nil {
				for _, h := range f.obj.groups {
					if h.required && !clientHeader(h.name) {
						ep.headers = append(ep.headers, http.CanonicalHeaderKey(h.name))
					}
				}
			}
		case "body":
			ep.upload = true
			if f.obj != nil {
				if i, ok := f.obj.lookup("meta"); ok {
					ep.meta = f.obj.groups[i].alts[0]
				}
			}
		case "security":
			ep.security = f.constant == "true"
		default:
			for i, s := range ep.segments {
				if s == "{"+g.name+"}" && !ep.v2 {
					// APIv2's few variables hold fixed segments, not values.
					if ep.vars == nil {
						ep.vars = map[int]*field{}
					}
					ep.vars[i] = f
				}
			}
		}
	}
	return ep
}

// clientHeader tells whether the client sets the header itself:
// Authorization is the signer's, Wechatpay-Serial the wechatpay_serial
// step's, which a stack edited by hand may run after this one.
func clientHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Content-Type", "Accept", "Authorization", "User-Agent", "Content-Length", "Wechatpay-Serial":
		return true
	}
	return false
}

// compileNodes indexes a node list; at is the dotted catalog path of its
// parent ("json.amount").
func compileNodes(ns catalog.Nodes, at string) *object {
	o := &object{index: make(map[string]int, len(ns))}
	for i := range ns {
		n := &ns[i]
		path := n.Name
		if at != "" {
			path = at + "." + n.Name
		}
		f := compileNode(n, path)
		if j, ok := o.index[n.Name]; ok {
			g := &o.groups[j]
			g.alts = append(g.alts, f)
			g.required = g.required || f.required
			continue
		}
		o.index[n.Name] = len(o.groups)
		o.groups = append(o.groups, group{name: n.Name, alts: []*field{f}, required: f.required})
	}
	return o
}

func compileNode(n *catalog.Node, path string) *field {
	f := &field{name: n.Name, typeName: n.Type, required: n.Required, enum: n.Enum, maxLen: n.MaxLength}
	f.typ, f.elem = parseType(n.Type)
	f.encrypted = n.Encrypted == catalog.ByRSAPublicKey
	// An upload's meta part is JSON, whether or not documented as encoded.
	f.jsonText = n.Encoded == catalog.ByJSONEncode || path == "body.meta"
	if n.Const != nil {
		f.constant = constText(n.Const)
	}
	if len(n.Children) > 0 && (f.typ == kObject || f.elem == kObject || f.jsonText) {
		// The children of an encrypted or URL-encoded string describe its
		// plain content, which is not checked.
		f.obj = compileNodes(n.Children, path)
	}
	if f.typ == kArray {
		// The array's enum, length and fields are its items'.
		f.item = &field{name: f.name, typeName: strings.TrimSuffix(f.typeName, "[]"), typ: f.elem,
			enum: f.enum, maxLen: f.maxLen, encrypted: f.encrypted, obj: f.obj}
		f.enum, f.maxLen, f.encrypted, f.obj = nil, 0, false, nil
	}
	return f
}

// parseType reads a documented type: its kind and, for an array, its
// elements' kind.
func parseType(t string) (kind, kind) {
	if elem, ok := strings.CutSuffix(t, "[]"); ok {
		k, _ := parseType(elem)
		return kArray, k
	}
	switch t {
	case "string":
		return kString, kAny
	case "integer":
		return kInteger, kAny
	case "number", "float":
		return kNumber, kAny
	case "boolean":
		return kBoolean, kAny
	case "object":
		return kObject, kAny
	}
	return kAny, kAny
}

// constText writes a const as the JSON text it is compared with.
func constText(v any) string {
	switch c := v.(type) {
	case bool:
		if c {
			return "true"
		}
		return "false"
	case string:
		return c
	}
	return ""
}
