package configfile

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sort"
)

// File and Merchant hold keys (inline PEM text, the APIv2 and APIv3 keys):
// they print, log and encode (MarshalJSON) redacted. Write saves the real
// content.

const redacted = "[REDACTED]"

// view is what a File shows of itself.
type view struct {
	MchID      string
	Serial     string   `json:",omitempty"`
	PrivateKey string   `json:",omitempty"`
	Certs      []string `json:",omitempty"` // serials
	Secret     string   `json:",omitempty"`
	APIv3Key   string   `json:",omitempty"`
	Merchant   string   `json:",omitempty"`
	BaseURL    string   `json:",omitempty"`
	TLSCA      string   `json:",omitempty"`
}

func (f File) view() view {
	v := view{MchID: f.MchID, Serial: f.Serial, PrivateKey: hidden(f.PrivateKey), Secret: hidden(f.Secret), APIv3Key: hidden(f.APIv3Key), BaseURL: f.BaseURL, TLSCA: f.TLSCA}
	for serial := range f.Certs {
		v.Certs = append(v.Certs, serial)
	}
	sort.Strings(v.Certs)
	if f.Merchant != nil {
		v.Merchant = f.Merchant.String()
	}
	return v
}

// String describes the file with its keys redacted.
func (f File) String() string {
	v := f.view()
	return fmt.Sprintf("configfile.File{MchID:%q, Serial:%q, PrivateKey:%s, Certs:%v, Secret:%s, APIv3Key:%s, Merchant:%s, BaseURL:%q, TLSCA:%q}",
		v.MchID, v.Serial, v.PrivateKey, v.Certs, v.Secret, v.APIv3Key, v.Merchant, v.BaseURL, v.TLSCA)
}

// GoString is String, for %#v.
func (f File) GoString() string { return f.String() }

// Format makes every fmt verb print String.
func (f File) Format(s fmt.State, verb rune) { fmt.Fprint(s, f.String()) }

// MarshalJSON encodes what String shows; Write saves the real content.
func (f File) MarshalJSON() ([]byte, error) { return json.Marshal(f.view()) }

// LogValue makes log/slog record String.
func (f File) LogValue() slog.Value { return slog.StringValue(f.String()) }

// String describes the merchant certificate fields, redacted: either may be
// inline PEM text.
func (m Merchant) String() string {
	return fmt.Sprintf("configfile.Merchant{Cert:%s, Key:%s}", hidden(m.Cert), hidden(m.Key))
}

// GoString is String, for %#v.
func (m Merchant) GoString() string { return m.String() }

// Format makes every fmt verb print String.
func (m Merchant) Format(s fmt.State, verb rune) { fmt.Fprint(s, m.String()) }

// MarshalJSON encodes what String shows.
func (m Merchant) MarshalJSON() ([]byte, error) { return json.Marshal(m.String()) }

// LogValue makes log/slog record String.
func (m Merchant) LogValue() slog.Value { return slog.StringValue(m.String()) }

func hidden(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}
