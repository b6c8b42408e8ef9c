package remotesign

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
)

const redacted = "[REDACTED]"

// String describes the Signer without its secrets: the Header values (the
// service's credentials), a password in URL and the Client (whose TLS
// configuration may hold a client key) never print.
func (s Signer) String() string {
	v := s.view()
	return fmt.Sprintf("remotesign.Signer{URL:%q, MchID:%q, Serial:%q, DigestOnly:%t, PublicKey:%t, Header:%v}",
		v.URL, v.MchID, v.Serial, v.DigestOnly, v.PublicKey, v.Header)
}

// GoString is String, so that %#v does not print the secrets either.
func (s Signer) GoString() string { return s.String() }

// Format makes every fmt verb print String, so that no verb (%x, %+v…)
// reaches Header.
func (s Signer) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

// MarshalJSON encodes what String shows.
func (s Signer) MarshalJSON() ([]byte, error) { return json.Marshal(s.view()) }

// LogValue makes log/slog record what String shows.
func (s Signer) LogValue() slog.Value {
	v := s.view()
	return slog.GroupValue(slog.String("URL", v.URL), slog.String("MchID", v.MchID), slog.String("Serial", v.Serial),
		slog.Bool("DigestOnly", v.DigestOnly), slog.Bool("PublicKey", v.PublicKey), slog.Any("Header", v.Header))
}

// view is what a Signer shows of itself.
type view struct {
	URL        string
	MchID      string
	Serial     string
	DigestOnly bool
	PublicKey  bool              // whether one is set
	Header     map[string]string // names, each with a redacted value
}

func (s Signer) view() view {
	v := view{URL: redactURL(s.URL), MchID: s.MchID, Serial: s.Serial, DigestOnly: s.DigestOnly, PublicKey: s.PublicKey != nil}
	if len(s.Header) > 0 {
		names := make([]string, 0, len(s.Header))
		for k := range s.Header {
			names = append(names, k)
		}
		sort.Strings(names)
		v.Header = make(map[string]string, len(names))
		for _, k := range names {
			v.Header[k] = redacted
		}
	}
	return v
}

// redactURL masks a password and the query (which may carry a token) of
// the service's URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	if u.RawQuery != "" {
		u.RawQuery = redacted
	}
	return u.Redacted()
}
