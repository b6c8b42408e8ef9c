package wechatpaytest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/wechatpay-go/wechatpay/catalog"
)

// Notification is a webhook (回调通知) the server sends to a merchant's URL.
type Notification struct {
	// Webhook names a notification of the catalog by its page under
	// webhook/, without ".md": "v3/TRANSACTION.SUCCESS",
	// "v3/REFUND.SUCCESS", "v2/transaction-success", "v2/refund-processed".
	// Webhooks lists them all.
	Webhook string

	// EventType replaces the APIv3 event_type; by default the catalog's
	// first.
	EventType string

	// Resource is the plaintext of an APIv3 notification's resource,
	// marshaled to JSON (a []byte or json.RawMessage is taken as it is) and
	// encrypted; nil builds it from the catalog.
	Resource any

	// Fields are an APIv2 notification's fields; nil builds them from the
	// catalog. They are signed (sign) when the catalog's notification is.
	Fields map[string]string

	// ReqInfo is the plaintext of an APIv2 refund notification's req_info
	// (encrypted with AES-256-ECB); nil builds it from the catalog.
	ReqInfo map[string]string
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
	// Body is the notification's body as last sent.
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
			return sleepContext(ctx, time.Duration(float64(d)*f))
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
	nf := &notifier{client: &http.Client{Timeout: 10 * time.Second}, schedule: RetrySchedule, sleep: sleepContext}
	for _, o := range opts {
		o(nf)
	}
	e, err := webhook(n.Webhook)
	if err != nil {
		return nil, err
	}
	build := s.buildV3Notification
	if e.Protocol == "v2" {
		build = s.buildV2Notification
	}
	d := &Delivery{}
	clock := s.now()
	for i := 0; ; i++ {
		header, body, plaintext, err := build(e, n)
		if err != nil {
			return nil, err
		}
		d.Header, d.Body, d.Plaintext = header, body, plaintext
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

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
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

func webhook(name string) (*catalog.Entry, error) {
	entries, err := catalog.All()
	if err != nil {
		return nil, err
	}
	for i := range entries {
		if entries[i].Kind == "webhook" && webhookName(entries[i].Page) == name {
			return &entries[i], nil
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
				res[rc.Name] = b.value(rc, rc.Name)
			}
		}
		if v, ok := res["associated_data"].(string); ok && strings.HasPrefix(v, "wechatpaytest_") {
			res["associated_data"] = res["original_type"]
		}
		switch r := n.Resource.(type) {
		case nil:
			var children []catalog.Node
			if cipherNode != nil {
				children = cipherNode.Children
			}
			plaintext, _ = json.Marshal(b.object(children))
		case []byte:
			plaintext = r
		case json.RawMessage:
			plaintext = r
		default:
			var err error
			if plaintext, err = json.Marshal(r); err != nil {
				return nil, nil, nil, fmt.Errorf("wechatpaytest: Notification.Resource: %w", err)
			}
		}
		ct, err := sealAESGCM([]byte(s.APIv3Key), []byte(res["nonce"].(string)), plaintext, []byte(fmt.Sprint(res["associated_data"])))
		if err != nil {
			return nil, nil, nil, err
		}
		res["ciphertext"] = ct
		body[c.Name] = res
	}
	body["id"] = uuidLike()
	body["create_time"] = s.now().In(chinaTime).Format(time.RFC3339)
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

// buildV2Notification makes an APIv2 notification: fields from the catalog
// (or the caller), req_info encrypted for refunds, signed when the
// catalog's notification carries a sign.
func (s *Server) buildV2Notification(e *catalog.Entry, n Notification) (http.Header, []byte, []byte, error) {
	b := &builder{s: s, v2: true, now: s.now(), echo: map[string]any{}}
	env := bodyNode(e)
	fields := n.Fields
	var plaintext []byte
	if fields == nil {
		fields = map[string]string{}
		for k, v := range b.object(env.Children) {
			fields[k] = scalarString(v)
		}
	} else {
		fields = cloneFields(fields)
	}
	signed := false
	for _, c := range env.Children {
		switch {
		case c.Name == "sign":
			signed = true
		case c.Encrypted == "by-aes-gcm" && (n.Fields == nil || fields[c.Name] == ""):
			// An event notification's event_ciphertext: XML under the
			// APIv3 key, with event_nonce and event_associated_data.
			info := map[string]string{}
			for k, v := range b.object(c.Children) {
				info[k] = scalarString(v)
			}
			plaintext = encodeXMLRoot("xml", info)
			fields["event_nonce"] = randomString(12)
			ct, err := sealAESGCM([]byte(s.APIv3Key), []byte(fields["event_nonce"]), plaintext, []byte(fields["event_associated_data"]))
			if err != nil {
				return nil, nil, nil, err
			}
			fields[c.Name] = ct
		case c.Encrypted == "by-aes-ecb" && (n.Fields == nil || fields[c.Name] == ""):
			info := n.ReqInfo
			if info == nil {
				info = map[string]string{}
				for k, v := range b.object(c.Children) {
					info[k] = scalarString(v)
				}
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

func cloneFields(f map[string]string) map[string]string {
	out := make(map[string]string, len(f))
	for k, v := range f {
		out[k] = v
	}
	return out
}

// uuidLike is a notification id in WeChat Pay's form.
func uuidLike() string {
	b := randomBytes(16)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
