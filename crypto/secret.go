package crypto

import (
	"encoding/json"
	"fmt"
	"log/slog"
)

// redacted is what every printing, logging and encoding path shows for a
// Secret.
const redacted = "[REDACTED]"

// Secret holds an APIv2 key, APIv3 key or similar credential so that it
// cannot leak by accident: fmt (every verb), log/slog, encoding/json and
// encoding.TextMarshaler users all see "[REDACTED]". Reveal is the only way
// to read the value.
//
// The value sits behind a pointer to a string. Where fmt cannot call the
// methods (a Secret in an unexported struct field) it prints that pointer as
// an address: fmt dereferences pointers to arrays, slices, structs and maps,
// even in its %!verb(...) error output, but never pointers to strings. The
// zero Secret is empty; copies share the same immutable value, and Secrets
// compare equal with == only when they are copies of one another.
type Secret struct {
	v *string
}

// NewSecret wraps s.
func NewSecret(s string) Secret {
	return Secret{v: &s}
}

// Reveal returns a copy of the secret bytes; callers may overwrite it.
func (s Secret) Reveal() []byte {
	if s.v == nil {
		return nil
	}
	return []byte(*s.v)
}

// Len returns the length of the secret in bytes (e.g. to check an APIv3 key
// is 32 bytes without revealing it).
func (s Secret) Len() int {
	if s.v == nil {
		return 0
	}
	return len(*s.v)
}

// IsZero reports whether the secret is empty, so configuration checks can
// say "APIv3 key missing" without touching the value.
func (s Secret) IsZero() bool { return s.Len() == 0 }

// String returns "[REDACTED]".
func (s Secret) String() string { return redacted }

// GoString returns "[REDACTED]", for %#v.
func (s Secret) GoString() string { return redacted }

// Format writes "[REDACTED]" for every verb and flag, so %x, %d or %q cannot
// bypass String.
func (s Secret) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue makes log/slog record "[REDACTED]".
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON encodes the secret as the JSON string "[REDACTED]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as "[REDACTED]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// UnmarshalJSON reads a secret from a JSON string (or null, which leaves it
// unchanged), so configuration files can hold keys. Reading back the
// "[REDACTED]" placeholder is refused: it means a redacted dump was used as
// configuration.
func (s *Secret) UnmarshalJSON(data []byte) error {
	if string(data) == "null" {
		return nil
	}
	var str string
	if err := json.Unmarshal(data, &str); err != nil {
		// The JSON error could quote the input; say only what is wrong.
		return fmt.Errorf("crypto: a Secret must be a JSON string")
	}
	return s.UnmarshalText([]byte(str))
}

// UnmarshalText sets the secret to text (for environment variables, YAML,
// TOML and the like); the "[REDACTED]" placeholder is refused.
func (s *Secret) UnmarshalText(text []byte) error {
	if string(text) == redacted {
		return fmt.Errorf("crypto: refusing to read the %q placeholder as a secret: configure the real key", redacted)
	}
	v := string(text)
	s.v = &v
	return nil
}
