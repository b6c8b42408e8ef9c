package wechatpay

import (
	"context"
	stdcrypto "crypto"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/wechatpay-go/wechatpay/crypto"
	"github.com/wechatpay-go/wechatpay/middleware"
)

// Notifier verifies, decrypts and answers the notifications (回调通知)
// WeChat Pay sends to a merchant's notify_url. It needs less than a Client:
// the keys that verify WeChat Pay (Config.Certs), the APIv3 key for APIv3
// notifications, the APIv2 key for APIv2 ones; the merchant key only to
// sign the business answers a few notifications expect.
//
// A Notifier is safe for concurrent use.
type Notifier struct {
	keys     middleware.KeyStore
	apiv3Key crypto.Secret
	secret   crypto.Secret
	mchid    string
	serial   string
	signer   stdcrypto.Signer
	certs    *certManager // the client's, in certificate mode

	// MaxBodySize caps a notification body read by the handlers;
	// DefaultMaxNotificationSize when zero.
	MaxBodySize int64

	// ReadTimeout bounds the time Handler and V2Handler take to read a
	// notification's body, so that a client sending it a byte at a time
	// does not hold a goroutine and its buffer: past it, the answer is 408.
	// DefaultNotificationReadTimeout when zero; negative for no bound. The
	// server must still bound the time to read the headers
	// (http.Server.ReadHeaderTimeout), which comes before any handler.
	// fasthttp reads the body before the handler runs: set its
	// Server.ReadTimeout instead.
	ReadTimeout time.Duration

	// ExactlyOnce, when set, makes the handlers run their function once
	// per notification across every receiver sharing its store, however
	// many times and to however many instances WeChat Pay delivers it:
	// see ExactlyOnce. It supersedes ReplayGuard, which is then not used.
	ExactlyOnce *ExactlyOnce

	// ReplayGuard, when set, remembers handled notification IDs: a
	// notification WeChat Pay sends again after it was handled is answered
	// as received without calling the handler again. See
	// NewMemoryReplayGuard.
	//
	// Deprecated: use ExactlyOnce, which also holds back a duplicate
	// arriving while the first is being handled, on any instance, and lets
	// WeChat Pay's retry handle one whose handling failed or was cut off.
	// ReplayGuard keeps working as before when ExactlyOnce is nil.
	ReplayGuard ReplayGuard

	now func() time.Time
}

// DefaultMaxNotificationSize is the largest notification body the handlers
// read unless Notifier.MaxBodySize says otherwise.
const DefaultMaxNotificationSize = 1 << 20

// DefaultNotificationReadTimeout is how long the handlers wait for a
// notification's body unless Notifier.ReadTimeout says otherwise. WeChat
// Pay sends a few kilobytes at once, and gives up waiting for the answer
// after a few seconds itself.
const DefaultNotificationReadTimeout = 10 * time.Second

// Errors of notifications that cannot be used.
var (
	// ErrNotificationMalformed: the body is not a notification.
	ErrNotificationMalformed = errors.New("wechatpay: malformed notification")
	// ErrNotificationDecrypt: the encrypted resource does not decrypt with
	// the configured key.
	ErrNotificationDecrypt = errors.New("wechatpay: the notification does not decrypt")
	// ErrNotifierKey: the Notifier lacks the key this notification needs.
	ErrNotifierKey = errors.New("wechatpay: the Notifier is not configured for this notification")
)

// NewNotifier builds a Notifier from the parts of cfg it uses: Certs and
// APIv3Key for APIv3 notifications, Secret for APIv2 ones, and MchID,
// Serial and PrivateKey (all optional) to sign business answers.
func NewNotifier(cfg Config) (*Notifier, error) {
	var errs []error
	bad := func(field, problem string, err error) {
		errs = append(errs, &ConfigError{Field: field, Problem: problem, Err: err})
	}
	n := &Notifier{apiv3Key: cfg.APIv3Key, secret: cfg.Secret, mchid: cfg.MchID, serial: cfg.Serial, now: time.Now}
	keys := middleware.NewKeys(nil)
	keys.Update(loadCerts(cfg.Certs, cfg.Serial, bad))
	n.keys = keys
	if !cfg.APIv3Key.IsZero() && cfg.APIv3Key.Len() != 32 {
		bad("APIv3Key", fmt.Sprintf("is %d bytes long: the APIv3 key (APIv3密钥) is 32 characters", cfg.APIv3Key.Len()), nil)
	}
	if !cfg.Secret.IsZero() && cfg.Secret.Len() != 32 {
		bad("Secret", fmt.Sprintf("is %d bytes long: the APIv2 key (APIv2密钥) is 32 characters", cfg.Secret.Len()), nil)
	}
	if cfg.APIv3Key.IsZero() && cfg.Secret.IsZero() {
		bad("APIv3Key", "and Secret are both empty: APIv3 notifications need APIv3Key and Certs, APIv2 ones Secret", nil)
	}
	if !cfg.APIv3Key.IsZero() && keys.Len() == 0 && len(errs) == 0 {
		bad("Certs", "is empty: APIv3 notifications are verified with WeChat Pay's platform certificate or public key", nil)
	}
	if cfg.PrivateKey != nil {
		s, err := loadSigner(cfg.PrivateKey)
		if err != nil {
			bad("PrivateKey", "cannot be used", err)
		}
		n.signer = s
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return n, nil
}

// Notifier returns a Notifier sharing the client's keys, so that platform
// certificates the client learns also verify notifications. In certificate
// mode (see Config.Certs) its handlers and ParseNotificationContext also
// download the certificates when the client holds none, or when a
// notification names a serial the client does not know, as calls do.
func (c *Client) Notifier() *Notifier {
	return &Notifier{keys: c.keys, apiv3Key: c.apiv3Key, secret: c.secret, mchid: c.mchid, serial: c.serial, signer: c.signer, certs: c.certs, now: time.Now}
}

// Notification is a verified and decrypted APIv3 notification.
type Notification struct {
	ID           string   `json:"id"`
	CreateTime   string   `json:"create_time"`
	EventType    string   `json:"event_type"`
	ResourceType string   `json:"resource_type"`
	Summary      string   `json:"summary"`
	Resource     Resource `json:"resource"`

	// Plaintext is the decrypted resource, usually JSON.
	Plaintext []byte `json:"-"`
	// Header holds the notification's HTTP headers.
	Header http.Header `json:"-"`

	reply any
}

// Resource is the encrypted part of an APIv3 notification.
type Resource struct {
	OriginalType   string `json:"original_type"`
	Algorithm      string `json:"algorithm"`
	Ciphertext     string `json:"ciphertext"`
	AssociatedData string `json:"associated_data"`
	Nonce          string `json:"nonce"`
}

// ParseNotificationContext is ParseNotification for a Notifier of a client
// in certificate mode (see Client.Notifier): it first makes sure the client
// holds the certificate the notification names, downloading the
// certificates when it holds none (an error wrapping ErrNoCertificates
// when that fails) or when the serial is unknown (bounded by
// CertificateRefresh.UnknownSerialInterval). For any other Notifier it is
// ParseNotification.
func (nf *Notifier) ParseNotificationContext(ctx context.Context, header http.Header, body []byte) (*Notification, error) {
	if err := nf.prepareKeys(ctx, header); err != nil {
		return nil, err
	}
	return nf.ParseNotification(header, body)
}

// prepareKeys is the certificate mode part of ParseNotificationContext.
func (nf *Notifier) prepareKeys(ctx context.Context, header http.Header) error {
	m := nf.certs
	if m == nil || nf.apiv3Key.IsZero() {
		return nil
	}
	if err := m.ready(ctx); err != nil {
		return err
	}
	m.tick()
	m.learn(ctx, header.Get(middleware.HeaderSerial))
	return nil
}

// ParseNotification verifies an APIv3 notification and only then decrypts
// it. It does no I/O: a Notifier of a client in certificate mode verifies
// with the certificates the client holds (ParseNotificationContext gets
// them first). header and body are the request's headers and raw body bytes, as
// received, from any web framework.
//
// The signature is checked first (the four Wechatpay-* headers, a
// timestamp within MaxClockOffset, a known serial, RSA-SHA256 over
// TIMESTAMP\nNONCE\nBODY\n; WECHATPAY/SIGNTEST/ probes fail): a failure is a
// *VerifyError. Nothing is parsed before it holds. The resource is then
// decrypted with AES-256-GCM under the APIv3 key.
func (nf *Notifier) ParseNotification(header http.Header, body []byte) (*Notification, error) {
	if nf.apiv3Key.IsZero() {
		return nil, fmt.Errorf("%w: APIv3 notifications need Config.APIv3Key", ErrNotifierKey)
	}
	if err := middleware.VerifySignature(nf.keys, header, body, nf.now()); err != nil {
		return nil, &VerifyError{Err: err}
	}
	n := &Notification{Header: header}
	if err := json.Unmarshal(body, n); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotificationMalformed, err)
	}
	r := n.Resource
	if r.Algorithm != "AEAD_AES_256_GCM" {
		return nil, fmt.Errorf("%w: resource.algorithm %q, want AEAD_AES_256_GCM", ErrNotificationMalformed, r.Algorithm)
	}
	key := nf.apiv3Key.Reveal()
	defer clear(key)
	plain, err := crypto.DecryptAESGCM(key, []byte(r.Nonce), r.Ciphertext, []byte(r.AssociatedData))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotificationDecrypt, err)
	}
	n.Plaintext = plain
	return n, nil
}

// RequestID returns the notification's Request-ID header.
func (n *Notification) RequestID() string { return n.Header.Get("Request-ID") }

// Get returns the value at a gjson path of the decrypted resource, e.g.
// "out_trade_no" or "amount.total".
func (n *Notification) Get(path string) Result { return getJSON(n.Plaintext, path) }

// Unmarshal decodes the decrypted resource into v with encoding/json.
func (n *Notification) Unmarshal(v any) error {
	if err := json.Unmarshal(n.Plaintext, v); err != nil {
		return fmt.Errorf("wechatpay: decoding the notification resource: %w", err)
	}
	return nil
}

// Reply sets the business answer sent back for this notification, for the
// few notifications that expect one (e.g. CROSS_BORDER_PAY.GET_MCH_INFO).
// The handler writes it as JSON, signed with the merchant key in an
// Authorization header.
func (n *Notification) Reply(v any) { n.reply = v }
