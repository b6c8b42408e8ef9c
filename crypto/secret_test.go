package crypto

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"strings"
	"testing"
)

const secretValue = "Zq7XtP3rW9mK2vL8nB4cH6jD1fG5sA0y" // a made-up 32-byte APIv3 key

type exportedHolder struct {
	Name string
	Key  Secret
}

type unexportedHolder struct {
	name string
	key  Secret
}

type pointerHolder struct {
	Key  *Secret
	key  *Secret
	Nest *exportedHolder
	nest unexportedHolder
}

// leakForms are hex, decimal and other renderings of the value that a
// formatting path could produce.
func leakForms() []string {
	return []string{
		secretValue,
		fmt.Sprintf("%x", secretValue),
		fmt.Sprintf("%X", secretValue),
		strings.Trim(fmt.Sprint([]byte(secretValue)), "[]"),
		fmt.Sprintf("% x", secretValue),
		secretValue[:8],
		fmt.Sprintf("%v", []byte(secretValue[:4]))[1:8],
	}
}

func assertRedacted(t *testing.T, what, out string) {
	t.Helper()
	for _, f := range leakForms() {
		if strings.Contains(out, f) {
			t.Fatalf("%s leaks the secret: %s", what, out)
		}
	}
}

func TestSecretValue(t *testing.T) {
	s := NewSecret(secretValue)
	if string(s.Reveal()) != secretValue || s.Len() != 32 || s.IsZero() {
		t.Fatal("Reveal/Len/IsZero")
	}
	r := s.Reveal()
	r[0] = 'X'
	if string(s.Reveal()) != secretValue {
		t.Fatal("Reveal does not copy")
	}
	var zero Secret
	if !zero.IsZero() || zero.Len() != 0 || zero.Reveal() != nil || !NewSecret("").IsZero() {
		t.Fatal("zero Secret")
	}
	if zero.String() != redacted || fmt.Sprint(zero) != redacted {
		t.Fatal("zero Secret does not print redacted")
	}
}

func TestSecretFmt(t *testing.T) {
	s := NewSecret(secretValue)
	ps := &s
	values := map[string]any{
		"value":              s,
		"pointer":            ps,
		"exported field":     exportedHolder{"apiv3", s},
		"unexported field":   unexportedHolder{"apiv3", s},
		"pointer to structs": &unexportedHolder{"apiv3", s},
		"pointer fields":     pointerHolder{Key: ps, key: ps, Nest: &exportedHolder{"n", s}, nest: unexportedHolder{"n", s}},
		"map":                map[string]Secret{"apiv3": s},
		"map of pointers":    map[string]*Secret{"apiv3": ps},
		"slice":              []Secret{s, s},
		"array":              [1]Secret{s},
		"interface slice":    []any{s, ps},
		"nested map":         map[string]any{"cfg": exportedHolder{"x", s}, "raw": unexportedHolder{"y", s}},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "% x", "%#x", "%+q", "%10v", "%-20s", "%T %v", "%p", "%t", "%c", "%U", "%o", "%b", "%e", "%08.3f", "%!"}
	for name, v := range values {
		for _, verb := range verbs {
			out := fmt.Sprintf(verb, v)
			assertRedacted(t, name+" "+verb, out)
		}
		assertRedacted(t, name+" Sprint", fmt.Sprint(v))
		assertRedacted(t, name+" Sprintln", fmt.Sprintln(v))
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		if out := fmt.Sprintf(verb, s); out != redacted {
			t.Fatalf("%s: %q, want %q", verb, out, redacted)
		}
	}
	if got := fmt.Sprintf("%v", exportedHolder{"apiv3", s}); got != "{apiv3 [REDACTED]}" {
		t.Fatalf("exported field prints %q", got)
	}
	// Standard log package.
	var buf bytes.Buffer
	log.New(&buf, "", 0).Printf("config: %+v %v", unexportedHolder{"k", s}, s)
	assertRedacted(t, "log", buf.String())
	// Error wrapping.
	err := fmt.Errorf("bad key %v: %w", s, errors.New("x"))
	assertRedacted(t, "error", err.Error())
}

func TestSecretJSON(t *testing.T) {
	s := NewSecret(secretValue)
	for name, v := range map[string]any{
		"value": s, "pointer": &s, "struct": exportedHolder{"n", s}, "unexported": unexportedHolder{"n", s},
		"map": map[string]Secret{"k": s}, "pointers": pointerHolder{Key: &s, key: &s, Nest: &exportedHolder{"n", s}},
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		assertRedacted(t, "json "+name, string(b))
		b, _ = json.MarshalIndent(v, "", " ")
		assertRedacted(t, "json indent "+name, string(b))
	}
	b, _ := json.Marshal(exportedHolder{"n", s})
	if string(b) != `{"Name":"n","Key":"[REDACTED]"}` {
		t.Fatalf("json: %s", b)
	}
	b, _ = xml.Marshal(exportedHolder{"n", s})
	assertRedacted(t, "xml", string(b))
	// Reading a configuration file.
	var cfg struct {
		APIv3Key Secret `json:"apiv3_key"`
		APIv2Key Secret `json:"apiv2_key"`
		Missing  Secret `json:"missing"`
	}
	if err := json.Unmarshal([]byte(`{"apiv3_key":"`+secretValue+`","apiv2_key":"a\u0062c","missing":null}`), &cfg); err != nil {
		t.Fatal(err)
	}
	if string(cfg.APIv3Key.Reveal()) != secretValue || string(cfg.APIv2Key.Reveal()) != "abc" || !cfg.Missing.IsZero() {
		t.Fatal("UnmarshalJSON")
	}
	for _, bad := range []string{`{"apiv3_key":123}`, `{"apiv3_key":["` + secretValue + `"]}`, `{"apiv3_key":{"v":"` + secretValue + `"}}`, `{"apiv3_key":"[REDACTED]"}`} {
		err := json.Unmarshal([]byte(bad), &cfg)
		if err == nil {
			t.Fatalf("%s: no error", bad)
		}
		assertRedacted(t, "unmarshal error", err.Error())
	}
	var txt Secret
	if err := txt.UnmarshalText([]byte("from-env")); err != nil || string(txt.Reveal()) != "from-env" {
		t.Fatal("UnmarshalText")
	}
	if b, _ := txt.MarshalText(); string(b) != redacted {
		t.Fatal("MarshalText")
	}
	if err := txt.UnmarshalText([]byte(redacted)); err == nil {
		t.Fatal("the placeholder was accepted")
	}
	// Unmarshalling into a copy does not change the original.
	orig := NewSecret("one")
	cp := orig
	_ = cp.UnmarshalText([]byte("two"))
	if string(orig.Reveal()) != "one" {
		t.Fatal("copies share mutable state")
	}
}

func TestSecretSlog(t *testing.T) {
	s := NewSecret(secretValue)
	for name, newHandler := range map[string]func(*bytes.Buffer) slog.Handler{
		"json": func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) },
		"text": func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) },
	} {
		var buf bytes.Buffer
		l := slog.New(newHandler(&buf))
		l.Info("loaded", "apiv3_key", s, "ptr", &s)
		l.Info("config", "cfg", exportedHolder{"n", s}, "raw", unexportedHolder{"n", s}, "ptrs", pointerHolder{Key: &s, key: &s})
		l.Info("map", "m", map[string]Secret{"k": s}, slog.Group("g", slog.Any("key", s)))
		l.With("key", s).Info("with")
		l.Info("attr", slog.Any("key", s), slog.String("str", s.String()))
		out := buf.String()
		assertRedacted(t, "slog "+name, out)
		if !strings.Contains(out, redacted) {
			t.Fatalf("slog %s: no redaction marker in %s", name, out)
		}
	}
}

// TestSecretUnexportedBadVerb guards the case that made the value a pointer
// to a string: fmt's %!s(...) output for a pointer in an unexported field
// dereferences pointers to slices and structs, but not to strings.
func TestSecretUnexportedBadVerb(t *testing.T) {
	h := unexportedHolder{"n", NewSecret(secretValue)}
	for _, verb := range []string{"%s", "%q", "%x", "%d", "%t"} {
		out := fmt.Sprintf(verb, h)
		assertRedacted(t, verb, out)
		t.Logf("%s: %s", verb, out)
	}
}
