package wechatpaytest

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// String names the identity by its certificate, without the private key.
func (id Identity) String() string {
	cn := ""
	if id.Cert != nil {
		cn = id.Cert.Subject.CommonName
	}
	return fmt.Sprintf("wechatpaytest.Identity{CommonName:%q, Serial:%q, Key:%s}", cn, id.Serial, presence(id.Key != nil))
}

// GoString is String, for %#v.
func (id Identity) GoString() string { return id.String() }

// Format makes every fmt verb print String.
func (id Identity) Format(f fmt.State, verb rune) { fmt.Fprint(f, id.String()) }

// MarshalJSON encodes the certificate's serial and PEM, not the key.
func (id Identity) MarshalJSON() ([]byte, error) {
	v := map[string]string{"Serial": id.Serial, "Key": presence(id.Key != nil)}
	if id.Cert != nil {
		v["Cert"] = string(id.CertPEM())
	}
	return json.Marshal(v)
}

// LogValue makes log/slog record String.
func (id Identity) LogValue() slog.Value { return slog.StringValue(id.String()) }

// String describes the server without its keys.
func (s *Server) String() string {
	if s == nil {
		return "wechatpaytest.Server(nil)"
	}
	return fmt.Sprintf("wechatpaytest.Server{URL:%q, MchID:%q, Mode:%v, Secret:%s, APIv3Key:%s}",
		s.URL, s.MchID, s.mode, presence(s.Secret != ""), presence(s.APIv3Key != ""))
}

// GoString is String, for %#v.
func (s *Server) GoString() string { return s.String() }

// Format makes every fmt verb print String.
func (s *Server) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

// MarshalJSON encodes what String shows.
func (s *Server) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"URL": s.URL, "MchID": s.MchID, "Secret": presence(s.Secret != ""), "APIv3Key": presence(s.APIv3Key != "")})
}

// LogValue makes log/slog record String.
func (s *Server) LogValue() slog.Value { return slog.StringValue(s.String()) }

func presence(set bool) string {
	if set {
		return "[REDACTED]"
	}
	return "<unset>"
}
