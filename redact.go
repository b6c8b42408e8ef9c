package wechatpay

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/wechatpay-go/wechatpay/internal/transport"
)

// The types below hold secrets (private keys, the APIv2 and APIv3 keys,
// passwords). Each prints, logs and encodes as a description without them:
// String for every fmt verb (Format, GoString), a JSON object of the same
// (MarshalJSON) and a log/slog group (LogValue). None of these can be read
// back as configuration.

const redacted = "[REDACTED]"

// String describes the Config with its secrets redacted: PrivateKey,
// Secret, APIv3Key and the merchant key never print.
func (cfg Config) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "wechatpay.Config{MchID:%q, Serial:%q, PrivateKey:%s, Certs:%v, Secret:%s, APIv3Key:%s",
		cfg.MchID, cfg.Serial, presence(cfg.PrivateKey != nil), certSerials(cfg.Certs),
		presence(!cfg.Secret.IsZero()), presence(!cfg.APIv3Key.IsZero()))
	if cfg.Merchant != nil {
		b.WriteString(", Merchant:" + cfg.Merchant.String())
	}
	if cfg.BaseURL != "" {
		fmt.Fprintf(&b, ", BaseURL:%q", cfg.BaseURL)
	}
	if cfg.Proxy != "" {
		fmt.Fprintf(&b, ", Proxy:%q", shownProxy(cfg.Proxy))
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v redacts too.
func (cfg Config) GoString() string { return cfg.String() }

// Format makes every fmt verb print String, so that no verb (%x, %q, %+v…)
// reaches a secret.
func (cfg Config) Format(f fmt.State, verb rune) { fmt.Fprint(f, cfg.String()) }

// configView is what a Config shows of itself to encoders and loggers.
type configView struct {
	MchID      string
	Serial     string        `json:",omitempty"`
	PrivateKey string        // [REDACTED] or <unset>
	Certs      []string      // the serials and public key IDs
	Secret     string        // [REDACTED] or <unset>
	APIv3Key   string        // [REDACTED] or <unset>
	Merchant   *merchantView `json:",omitempty"`
	BaseURL    string        `json:",omitempty"`
	Proxy      string        `json:",omitempty"` // password masked
}

func (cfg Config) view() configView {
	v := configView{MchID: cfg.MchID, Serial: cfg.Serial, PrivateKey: presence(cfg.PrivateKey != nil), Certs: certSerials(cfg.Certs),
		Secret: presence(!cfg.Secret.IsZero()), APIv3Key: presence(!cfg.APIv3Key.IsZero()), BaseURL: cfg.BaseURL}
	if cfg.Merchant != nil {
		m := cfg.Merchant.view()
		v.Merchant = &m
	}
	if cfg.Proxy != "" {
		v.Proxy = shownProxy(cfg.Proxy)
	}
	return v
}

// shownProxy is Config.Proxy with its password masked, or [REDACTED] when
// it does not parse.
func shownProxy(proxy string) string {
	if proxy == ProxyDirect {
		return proxy
	}
	if p, err := transport.ParseProxy(proxy); err == nil {
		return p.Redacted()
	}
	return redacted
}

// MarshalJSON encodes the Config as String describes it: secrets redacted,
// Certs as their serials, functions and the TLS configuration left out.
func (cfg Config) MarshalJSON() ([]byte, error) { return json.Marshal(cfg.view()) }

// LogValue makes log/slog record the Config as MarshalJSON encodes it.
func (cfg Config) LogValue() slog.Value {
	v := cfg.view()
	attrs := []slog.Attr{slog.String("MchID", v.MchID), slog.String("Serial", v.Serial), slog.String("PrivateKey", v.PrivateKey),
		slog.Any("Certs", v.Certs), slog.String("Secret", v.Secret), slog.String("APIv3Key", v.APIv3Key)}
	if v.Merchant != nil {
		attrs = append(attrs, slog.Any("Merchant", v.Merchant.logValue()))
	}
	if v.BaseURL != "" {
		attrs = append(attrs, slog.String("BaseURL", v.BaseURL))
	}
	if v.Proxy != "" {
		attrs = append(attrs, slog.String("Proxy", v.Proxy))
	}
	return slog.GroupValue(attrs...)
}

func presence(set bool) string {
	if set {
		return redacted
	}
	return "<unset>"
}

func certSerials(m map[string]any) []string {
	s := make([]string, 0, len(m))
	for k := range m {
		s = append(s, k)
	}
	sort.Strings(s)
	return s
}

// String describes the certificate without its key.
func (m MerchantCert) String() string {
	if m.PKCS12 != nil {
		return fmt.Sprintf("wechatpay.MerchantCert{PKCS12:%s, Password:%s}", presence(true), presence(!m.Password.IsZero()))
	}
	return fmt.Sprintf("wechatpay.MerchantCert{Cert:%s, Key:%s}", presence(m.Cert != nil), presence(m.Key != nil))
}

// GoString is String, so that %#v redacts too.
func (m MerchantCert) GoString() string { return m.String() }

// Format makes every fmt verb print String.
func (m MerchantCert) Format(f fmt.State, verb rune) { fmt.Fprint(f, m.String()) }

// merchantView is what a MerchantCert shows of itself.
type merchantView struct {
	Cert     string `json:",omitempty"` // [REDACTED] or <unset>: the certificate is public, but may come with its key
	Key      string `json:",omitempty"`
	PKCS12   string `json:",omitempty"`
	Password string `json:",omitempty"`
}

func (m MerchantCert) view() merchantView {
	if m.PKCS12 != nil {
		return merchantView{PKCS12: presence(true), Password: presence(!m.Password.IsZero())}
	}
	return merchantView{Cert: presence(m.Cert != nil), Key: presence(m.Key != nil)}
}

func (v merchantView) logValue() slog.Value {
	var attrs []slog.Attr
	for _, f := range [][2]string{{"Cert", v.Cert}, {"Key", v.Key}, {"PKCS12", v.PKCS12}, {"Password", v.Password}} {
		if f[1] != "" {
			attrs = append(attrs, slog.String(f[0], f[1]))
		}
	}
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes the MerchantCert as String describes it, without its
// key or password.
func (m MerchantCert) MarshalJSON() ([]byte, error) { return json.Marshal(m.view()) }

// LogValue makes log/slog record the MerchantCert as MarshalJSON encodes it.
func (m MerchantCert) LogValue() slog.Value { return m.view().logValue() }

// String describes the client without its secrets.
func (c *Client) String() string {
	if c == nil {
		return "wechatpay.Client(nil)"
	}
	return fmt.Sprintf("wechatpay.Client{MchID:%q, BaseURL:%q, APIv3:%t, APIv2:%t, Keys:%v}",
		c.mchid, c.base.String(), c.v3ok, c.v2ok, c.keys.Serials())
}

// GoString is String, so that %#v does not print secrets either.
func (c *Client) GoString() string { return c.String() }

// Format makes every fmt verb print String.
func (c *Client) Format(f fmt.State, verb rune) { fmt.Fprint(f, c.String()) }

// LogValue makes log/slog record what String shows.
func (c *Client) LogValue() slog.Value {
	if c == nil {
		return slog.StringValue(c.String())
	}
	return slog.GroupValue(slog.String("MchID", c.mchid), slog.String("BaseURL", c.base.String()),
		slog.Bool("APIv3", c.v3ok), slog.Bool("APIv2", c.v2ok), slog.Any("Keys", c.keys.Serials()))
}

// String describes the Notifier without its keys.
func (n Notifier) String() string {
	return fmt.Sprintf("wechatpay.Notifier{MchID:%q, APIv3Key:%s, Secret:%s, PrivateKey:%s}",
		n.mchid, presence(!n.apiv3Key.IsZero()), presence(!n.secret.IsZero()), presence(n.signer != nil))
}

// GoString is String, so that %#v does not print secrets either.
func (n Notifier) GoString() string { return n.String() }

// Format makes every fmt verb print String.
func (n Notifier) Format(f fmt.State, verb rune) { fmt.Fprint(f, n.String()) }

// LogValue makes log/slog record what String shows.
func (n Notifier) LogValue() slog.Value {
	return slog.GroupValue(slog.String("MchID", n.mchid), slog.String("APIv3Key", presence(!n.apiv3Key.IsZero())),
		slog.String("Secret", presence(!n.secret.IsZero())), slog.String("PrivateKey", presence(n.signer != nil)))
}

// MarshalJSON encodes what String shows.
func (n Notifier) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"MchID": n.mchid, "APIv3Key": presence(!n.apiv3Key.IsZero()),
		"Secret": presence(!n.secret.IsZero()), "PrivateKey": presence(n.signer != nil)})
}

// String describes the refresher: its client and the serials it holds.
func (r *CertificateRefresher) String() string {
	if r == nil {
		return "wechatpay.CertificateRefresher(nil)"
	}
	r.mu.Lock()
	serials := make([]string, 0, len(r.certs))
	for _, c := range r.certs {
		serials = append(serials, c.Serial)
	}
	r.mu.Unlock()
	return fmt.Sprintf("wechatpay.CertificateRefresher{MchID:%q, Interval:%v, Serials:%v}", r.c.mchid, r.cfg.Interval, serials)
}

// GoString is String, so that %#v does not print the client's secrets.
func (r *CertificateRefresher) GoString() string { return r.String() }

// Format makes every fmt verb print String.
func (r *CertificateRefresher) Format(f fmt.State, verb rune) { fmt.Fprint(f, r.String()) }

// LogValue makes log/slog record what String shows.
func (r *CertificateRefresher) LogValue() slog.Value { return slog.StringValue(r.String()) }
