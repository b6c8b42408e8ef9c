package wechatpay

import (
	"fmt"
	"sort"
	"strings"
)

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
		if p, err := parseProxy(cfg.Proxy); err == nil {
			fmt.Fprintf(&b, ", Proxy:%q", p.shown)
		} else {
			b.WriteString(", Proxy:" + redacted)
		}
	}
	b.WriteString("}")
	return b.String()
}

// GoString is String, so that %#v redacts too.
func (cfg Config) GoString() string { return cfg.String() }

// Format makes every fmt verb print String, so that no verb (%x, %q, %+v…)
// reaches a secret.
func (cfg Config) Format(f fmt.State, verb rune) { fmt.Fprint(f, cfg.String()) }

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
