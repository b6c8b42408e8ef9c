package wechatpaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
	"github.com/wechatpay-go/wechatpay/internal/callctx"
)

// Notification is a webhook (回调通知) the server sends to a merchant's URL.
type Notification struct {
	// Webhook names a notification of the catalog by its page under
	// webhook/, without ".md": "v3/TRANSACTION.SUCCESS",
	// "v3/REFUND.SUCCESS", "v2/transaction-success", "v2/refund-processed".
	// Webhooks lists them all. An event type names one too
	// ("TRANSACTION.SUCCESS", "PROFITSHARING.RETURN"): the APIv3 page of
	// that name, else the APIv2 one, else the first page that sends it.
	Webhook string

	// EventType replaces the APIv3 event_type; by default the catalog's
	// first.
	EventType string

	// ID sets the APIv3 notification's id (通知ID); by default a new one
	// for each Notify, which its retries keep.
	ID string

	// Resource is the plaintext of an APIv3 notification's resource,
	// marshaled to JSON (a []byte or json.RawMessage is taken as it is) and
	// encrypted; nil builds it from the catalog.
	Resource any

	// Fields set fields of an APIv2 notification, over the ones built
	// from the catalog (every documented field, so that a required one is
	// never missing). They are signed (sign) when the catalog's
	// notification is.
	Fields map[string]string

	// ReqInfo sets fields of an APIv2 refund notification's req_info
	// (encrypted with AES-256-ECB), over the ones built from the catalog.
	ReqInfo map[string]string

	// Set overrides fields of the content by path, after Resource, Fields
	// and ReqInfo: for APIv3 a path into the resource's plaintext, dotted
	// for nested objects ("amount.total"); for APIv2 a field name, or
	// "req_info.refund_fee" or "event_ciphertext.state" for a field of
	// the encrypted part. It is what a command line's --set flags want.
	Set map[string]any

	// envelope replaces fields of an APIv3 notification's envelope
	// (summary, resource_type) or of its resource (original_type,
	// associated_data), for the notifications of the server's own state.
	envelope map[string]any
	// exact sends Fields and ReqInfo as they are, without the catalog's
	// other fields: the state's notifications carry an order's real fields.
	exact bool
}

// Attempt is one delivery of a notification.
type Attempt struct {
	// N counts from 1.
	N int
	// At is when it was sent, on the notifier's clock: the first at the
	// start, each retry after the delay of RetrySchedule, however fast a
	// test makes the schedule run.
	At time.Time
	// Status is the HTTP status of the merchant's answer; 0 when there was
	// none.
	Status int
	// Body is the merchant's answer.
	Body []byte
	// Err is why the attempt failed: a transport error, a non-2xx status,
	// or an APIv2 acknowledgement whose return_code is not SUCCESS. Nil for
	// the delivered attempt.
	Err error
}

// Delivery is what Notify sent and how the merchant took it.
type Delivery struct {
	// Header is the notification's headers as last sent (each attempt is
	// signed afresh).
	Header http.Header
	// Body is the notification's body, the same in every attempt: its
	// retries keep the APIv3 id, as WeChat Pay's do.
	Body []byte
	// Plaintext is the content encrypted in the notification: the APIv3
	// resource JSON, the APIv2 req_info XML, or the XML of an APIv2
	// event_ciphertext; nil when nothing is encrypted.
	Plaintext []byte
	// Attempts are the deliveries made, oldest first.
	Attempts []Attempt
	// Delivered tells whether the merchant acknowledged it.
	Delivered bool
}

// RetrySchedule is how long WeChat Pay waits before each new delivery of a
// notification the merchant did not acknowledge: 15 attempts after the
// first, over about 24 hours.
var RetrySchedule = []time.Duration{
	15 * time.Second, 15 * time.Second, 30 * time.Second, 3 * time.Minute,
	10 * time.Minute, 20 * time.Minute, 30 * time.Minute, 30 * time.Minute,
	30 * time.Minute, 60 * time.Minute, 3 * time.Hour, 3 * time.Hour,
	3 * time.Hour, 6 * time.Hour, 6 * time.Hour,
}

// ErrNotDelivered is returned by Notify when every attempt failed.
var ErrNotDelivered = errors.New("wechatpaytest: notification not acknowledged")

// NotifyOption configures Notify.
type NotifyOption func(*notifier)

type notifier struct {
	client   *http.Client
	schedule []time.Duration
	sleep    func(ctx context.Context, d time.Duration) error
	observe  func(Attempt)
}

// TimeScale runs the retry schedule f times as fast as real time, e.g.
// 1e-5 waits 150µs where WeChat Pay waits 15s.
func TimeScale(f float64) NotifyOption {
	return func(n *notifier) {
		n.sleep = func(ctx context.Context, d time.Duration) error {
			return callctx.Sleep(ctx, time.Duration(float64(d)*f))
		}
	}
}

// WithSleep replaces how the notifier waits between attempts, e.g. with a
// fake clock's; it must return ctx.Err() when ctx ends first.
func WithSleep(sleep func(ctx context.Context, d time.Duration) error) NotifyOption {
	return func(n *notifier) { n.sleep = sleep }
}

// WithSchedule replaces RetrySchedule; an empty one makes a single attempt.
func WithSchedule(delays ...time.Duration) NotifyOption {
	return func(n *notifier) { n.schedule = delays }
}

// OnAttempt calls f after each attempt, as it happens.
func OnAttempt(f func(Attempt)) NotifyOption { return func(n *notifier) { n.observe = f } }

// WithHTTPClient sends the notifications with c (by default a client with a
// 10 s timeout).
func WithHTTPClient(c *http.Client) NotifyOption { return func(n *notifier) { n.client = c } }

// Notify sends a notification to url as WeChat Pay does, and retries on
// RetrySchedule until the merchant acknowledges it: a 2xx answer, whose
// return_code is SUCCESS for APIv2. APIv3 notifications carry the resource
// encrypted with AEAD_AES_256_GCM under the APIv3 key and are signed in
// Wechatpay-* headers, as answers are; APIv2 ones are signed XML.
//
// Notify returns when the notification is delivered, the schedule is
// exhausted (ErrNotDelivered, with the Delivery), or ctx ends.
func (s *Server) Notify(ctx context.Context, url string, n Notification, opts ...NotifyOption) (*Delivery, error) {
	return s.notify(ctx, url, n, opts, nil)
}

// notify is Notify, with observe called after each attempt besides the
// options' OnAttempt.
func (s *Server) notify(ctx context.Context, url string, n Notification, opts []NotifyOption, observe func(Attempt)) (*Delivery, error) {
	nf := &notifier{client: &http.Client{Timeout: 10 * time.Second}, schedule: RetrySchedule, sleep: callctx.Sleep}
	for _, o := range opts {
		o(nf)
	}
	if observe != nil {
		if prev := nf.observe; prev != nil {
			nf.observe = func(a Attempt) { prev(a); observe(a) }
		} else {
			nf.observe = observe
		}
	}
	e, err := webhook(n.Webhook)
	if err != nil {
		return nil, err
	}
	if n.EventType == "" && e.Protocol == "v3" && !strings.Contains(n.Webhook, "/") {
		n.EventType = n.Webhook // named by an event type of the page
	}
	build := s.buildV3Notification
	if e.Protocol == "v2" {
		build = s.buildV2Notification
	}
	// One notification, whatever the number of attempts: its retries carry
	// the same id and content, as WeChat Pay's do (a receiver that
	// deduplicates keys on them); only an APIv3 signature is made afresh
	// for each attempt, with the platform key signing at the time.
	header, body, plaintext, err := build(e, n)
	if err != nil {
		return nil, err
	}
	d := &Delivery{Body: body, Plaintext: plaintext}
	clock := s.now()
	for i := 0; ; i++ {
		if i > 0 && e.Protocol == "v3" {
			header = s.resignV3(header, body)
		}
		d.Header = header
		a := nf.deliver(ctx, url, e.Protocol, header, body)
		a.N, a.At = i+1, clock
		d.Attempts = append(d.Attempts, a)
		if nf.observe != nil {
			nf.observe(a)
		}
		if a.Err == nil {
			d.Delivered = true
			return d, nil
		}
		if i >= len(nf.schedule) {
			return d, fmt.Errorf("%w after %d attempts: %w", ErrNotDelivered, len(d.Attempts), a.Err)
		}
		if err := nf.sleep(ctx, nf.schedule[i]); err != nil {
			return d, err
		}
		clock = clock.Add(nf.schedule[i])
	}
}

// deliver makes one attempt.
func (nf *notifier) deliver(ctx context.Context, url, protocol string, header http.Header, body []byte) Attempt {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return Attempt{Err: err}
	}
	req.Header = header.Clone()
	resp, err := nf.client.Do(req)
	if err != nil {
		return Attempt{Err: err}
	}
	defer resp.Body.Close()
	ack, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	a := Attempt{Status: resp.StatusCode, Body: ack, Err: err}
	switch {
	case a.Err != nil:
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		a.Err = fmt.Errorf("the merchant answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	case protocol == "v2":
		f, err := decodeXML(ack)
		if err != nil || f["return_code"] != "SUCCESS" {
			a.Err = fmt.Errorf("the merchant's acknowledgement is not return_code SUCCESS: %q", ack)
		}
	}
	return a
}

// Webhooks returns the names of the catalog's notifications, for
// Notification.Webhook, sorted.
func Webhooks() []string {
	entries, _ := catalog.All()
	var out []string
	for _, e := range entries {
		if e.Kind == "webhook" {
			out = append(out, webhookName(e.Page))
		}
	}
	sort.Strings(out)
	return out
}

func webhookName(page string) string {
	return strings.TrimSuffix(strings.TrimPrefix(page, "webhook/"), ".md")
}

// webhook finds a notification of the catalog by its page name, or by an
// event type: the APIv3 page of that name, else the APIv2 one, else the
// first page whose event types include it.
func webhook(name string) (*catalog.Entry, error) {
	entries, err := catalog.All()
	if err != nil {
		return nil, err
	}
	find := func(match func(e *catalog.Entry) bool) *catalog.Entry {
		for _, prefix := range []string{"v3/", "v2/"} {
			for i := range entries {
				e := &entries[i]
				if e.Kind == "webhook" && strings.HasPrefix(webhookName(e.Page), prefix) && match(e) {
					return e
				}
			}
		}
		return nil
	}
	if e := find(func(e *catalog.Entry) bool { return webhookName(e.Page) == name }); e != nil {
		return e, nil
	}
	if !strings.Contains(name, "/") {
		if e := find(func(e *catalog.Entry) bool {
			return webhookName(e.Page) == "v3/"+name || webhookName(e.Page) == "v2/"+name
		}); e != nil {
			return e, nil
		}
		if e := find(func(e *catalog.Entry) bool { return slices.Contains(e.EventTypes, name) }); e != nil {
			return e, nil
		}
	}
	return nil, fmt.Errorf("wechatpaytest: no webhook %q in the catalog (see Webhooks)", name)
}

// bodyNode returns the "body" tree of a webhook.
func bodyNode(e *catalog.Entry) *catalog.Node {
	for i := range e.Request {
		if e.Request[i].Name == "body" {
			return &e.Request[i]
		}
	}
	return &catalog.Node{}
}

// buildV3Notification makes an APIv3 notification: the envelope from the
// catalog, the resource encrypted, the headers signed.
func (s *Server) buildV3Notification(e *catalog.Entry, n Notification) (http.Header, []byte, []byte, error) {
	b := &builder{s: s, now: s.now(), echo: map[string]any{}}
	env := bodyNode(e)
	body := map[string]any{}
	var plaintext []byte
	for i := range env.Children {
		c := &env.Children[i]
		if c.Name != "resource" {
			if _, done := body[c.Name]; !done {
				body[c.Name] = b.value(c, c.Name)
			}
			continue
		}
		res := map[string]any{"algorithm": "AEAD_AES_256_GCM", "nonce": randomString(12), "associated_data": "", "original_type": "transaction"}
		var cipherNode *catalog.Node
		for j := range c.Children {
			rc := &c.Children[j]
			switch rc.Name {
			case "ciphertext":
				cipherNode = rc
			case "original_type", "associated_data":
				res[rc.Name] = b.scalar(rc, rc.Name)
			}
		}
		if v, ok := res["associated_data"].(string); ok && strings.HasPrefix(v, "wechatpaytest_") {
			res["associated_data"] = res["original_type"]
		}
		for k, v := range n.envelope {
			if k == "original_type" || k == "associated_data" {
				res[k] = v
			}
		}
		var err error
		if plaintext, err = s.resourcePlaintext(b, c, cipherNode, n); err != nil {
			return nil, nil, nil, err
		}
		ct, err := sealAESGCM([]byte(s.APIv3Key), []byte(res["nonce"].(string)), plaintext, []byte(fmt.Sprint(res["associated_data"])))
		if err != nil {
			return nil, nil, nil, err
		}
		res["ciphertext"] = ct
		body[c.Name] = res
	}
	body["id"] = n.ID
	if n.ID == "" {
		body["id"] = uuidLike()
	}
	body["create_time"] = s.now().In(chinaTime).Format(time.RFC3339)
	for k, v := range n.envelope {
		if k != "original_type" && k != "associated_data" {
			body[k] = v
		}
	}
	if n.EventType != "" {
		body["event_type"] = n.EventType
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return nil, nil, nil, err
	}
	h := http.Header{"Content-Type": {"application/json"}, "Request-Id": {randomString(32)}, "Wechatpay-Signature-Type": {"WECHATPAY2-SHA256-RSA2048"}}
	key, serial := s.answerKey()
	for k, v := range signV3Answer(key, serial, s.now(), raw) {
		h.Set(k, v)
	}
	return h, raw, plaintext, nil
}

// resignV3 signs an APIv3 notification again, for another attempt: a new
// Request-Id, timestamp and nonce, with the key that signs now.
func (s *Server) resignV3(h http.Header, body []byte) http.Header {
	h = h.Clone()
	h.Set("Request-Id", randomString(32))
	key, serial := s.answerKey()
	for k, v := range signV3Answer(key, serial, s.now(), body) {
		h.Set(k, v)
	}
	return h
}

// resourcePlaintext makes the plaintext of an APIv3 resource: the caller's
// Resource, or one built from the ciphertext's documented fields, with
// Set applied.
func (s *Server) resourcePlaintext(b *builder, resource, cipherNode *catalog.Node, n Notification) ([]byte, error) {
	var plaintext []byte
	switch r := n.Resource.(type) {
	case nil:
		var children []catalog.Node
		if cipherNode != nil {
			children = cipherNode.Children
		}
		for _, rc := range resource.Children {
			// Three pages of the catalog document the ciphertext's
			// fields under a sibling (original_data, original_type).
			if len(children) == 0 && rc.Name != "ciphertext" && len(rc.Children) > 0 {
				children = rc.Children
			}
		}
		plaintext, _ = json.Marshal(b.object(children))
	case []byte:
		plaintext = r
	case json.RawMessage:
		plaintext = r
	default:
		var err error
		if plaintext, err = json.Marshal(r); err != nil {
			return nil, fmt.Errorf("wechatpaytest: Notification.Resource: %w", err)
		}
	}
	if len(n.Set) == 0 {
		return plaintext, nil
	}
	var obj map[string]any
	d := json.NewDecoder(bytes.NewReader(plaintext))
	d.UseNumber()
	if err := d.Decode(&obj); err != nil {
		return nil, fmt.Errorf("wechatpaytest: Notification.Set needs a resource that is a JSON object: %w", err)
	}
	for path, v := range n.Set {
		if err := setPath(obj, strings.Split(path, "."), v); err != nil {
			return nil, fmt.Errorf("wechatpaytest: Notification.Set %q: %w", path, err)
		}
	}
	return json.Marshal(obj)
}

// setPath sets obj's field at path, making the objects on the way.
func setPath(obj map[string]any, path []string, v any) error {
	for _, k := range path[:len(path)-1] {
		next, ok := obj[k].(map[string]any)
		if !ok {
			if _, there := obj[k]; there {
				return fmt.Errorf("%s is not an object", k)
			}
			next = map[string]any{}
			obj[k] = next
		}
		obj = next
	}
	obj[path[len(path)-1]] = v
	return nil
}

// buildV2Notification makes an APIv2 notification: the fields from the
// catalog with the caller's Fields over them, req_info or event_ciphertext
// encrypted, signed when the catalog's notification carries a sign.
func (s *Server) buildV2Notification(e *catalog.Entry, n Notification) (http.Header, []byte, []byte, error) {
	b := &builder{s: s, v2: true, now: s.now(), echo: map[string]any{}}
	env := bodyNode(e)
	fields := map[string]string{}
	if !n.exact {
		for k, v := range b.object(env.Children) {
			fields[k] = scalarString(v)
		}
	}
	for k, v := range n.Fields {
		fields[k] = v
	}
	inner := map[string]map[string]string{} // Set paths into encrypted parts
	for path, v := range n.Set {
		if part, k, ok := strings.Cut(path, "."); ok {
			if inner[part] == nil {
				inner[part] = map[string]string{}
			}
			inner[part][k] = scalarString(v)
			continue
		}
		fields[path] = scalarString(v)
	}
	var plaintext []byte
	signed := false
	for _, c := range env.Children {
		given := n.Fields[c.Name] != ""
		switch {
		case c.Name == "sign":
			signed = true
		case c.Encrypted == "by-aes-gcm" && !given:
			// An event notification's event_ciphertext: XML under the
			// APIv3 key, with event_nonce and event_associated_data.
			info := map[string]string{}
			for k, v := range b.object(c.Children) {
				info[k] = scalarString(v)
			}
			for k, v := range inner[c.Name] {
				info[k] = v
			}
			plaintext = encodeXMLRoot("xml", info)
			fields["event_nonce"] = randomString(12)
			ct, err := sealAESGCM([]byte(s.APIv3Key), []byte(fields["event_nonce"]), plaintext, []byte(fields["event_associated_data"]))
			if err != nil {
				return nil, nil, nil, err
			}
			fields[c.Name] = ct
		case c.Encrypted == "by-aes-ecb" && !given:
			info := map[string]string{}
			if !n.exact {
				for k, v := range b.object(c.Children) {
					info[k] = scalarString(v)
				}
			}
			for k, v := range n.ReqInfo {
				info[k] = v
			}
			for k, v := range inner[c.Name] {
				info[k] = v
			}
			plaintext = encodeXMLRoot("root", info)
			enc, err := encryptReqInfo(plaintext, s.Secret)
			if err != nil {
				return nil, nil, nil, err
			}
			fields[c.Name] = enc
		}
	}
	delete(fields, "sign")
	if signed {
		// The hash is the one the notification names: sign_type, or
		// algorithm in event notifications; MD5 otherwise.
		signType := "MD5"
		for _, k := range []string{"sign_type", "algorithm"} {
			t, ok := fields[k]
			if !ok {
				continue
			}
			if t != "MD5" && t != "HMAC-SHA256" {
				fields[k] = "MD5" // a generated value that names no hash
				t = "MD5"
			}
			signType = t
			break
		}
		fields = signV2(fields, signType, s.Secret)
	}
	h := http.Header{"Content-Type": {"text/xml"}, "Request-Id": {randomString(32)}}
	return h, encodeXML(fields), plaintext, nil
}

// uuidLike is a notification id in WeChat Pay's form.
func uuidLike() string {
	b := randomBytes(16)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
