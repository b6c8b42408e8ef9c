package formatter

import (
	"encoding/json"
	"errors"
	"math"
	"net"
	"strings"
	"testing"
	"time"
)

type (
	namedString string
	namedInt    int16
	namedBytes  []byte
	amount      int // has a String method, which wins over the int kind
)

func (a amount) String() string { return "¥" + string(rune('0'+int(a))) }

type ptrStringer struct{ v string }

func (p *ptrStringer) String() string { return p.v }

func TestStringify(t *testing.T) {
	var nilStringer *ptrStringer
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"nil", nil, ""},
		{"string", "wx8888888888888888", "wx8888888888888888"},
		{"empty string", "", ""},
		{"chinese", "华为手机", "华为手机"},
		{"bytes", []byte("raw"), "raw"},
		{"named bytes", namedBytes("nb"), "nb"},
		{"true", true, "true"},
		{"false", false, "false"},
		{"int", 100, "100"},
		{"negative int", -7, "-7"},
		{"int8", int8(-128), "-128"},
		{"int16", int16(32767), "32767"},
		{"int32", int32(-2147483648), "-2147483648"},
		{"int64", int64(9223372036854775807), "9223372036854775807"},
		{"uint", uint(1), "1"},
		{"uint8", uint8(255), "255"},
		{"uint16", uint16(65535), "65535"},
		{"uint32", uint32(4294967295), "4294967295"},
		{"uint64", uint64(18446744073709551615), "18446744073709551615"},
		{"uintptr", uintptr(42), "42"},
		{"float64", 1.5, "1.5"},
		{"float64 integral", 100.0, "100"},
		{"float64 tiny", 0.000001, "0.000001"},
		{"float64 huge", 1e21, "1000000000000000000000"},
		{"float64 negative zero", math.Copysign(0, -1), "-0"},
		{"float32 shortest", float32(0.1), "0.1"},
		{"float32 money", float32(528.8), "528.8"},
		{"json.Number", json.Number("12.50"), "12.50"},
		{"named string", namedString("N"), "N"},
		{"named int", namedInt(-3), "-3"},
		{"stringer beats kind", amount(5), "¥5"},
		{"pointer stringer", &ptrStringer{"p"}, "p"},
		{"typed nil pointer", nilStringer, ""},
		{"net.IP stringer", net.IPv4(127, 0, 0, 1), "127.0.0.1"},
		{"time.Duration stringer", 90 * time.Second, "1m30s"},
		// PHP TransformerTest 'transform the Stringable values': a value
		// whose string form is JSON.
		{"stringable json", stringerFunc(func() string { return `{"type":"MERCHANT_ID","account":"190001001"}` }),
			`{"type":"MERCHANT_ID","account":"190001001"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Stringify(tt.in)
			if err != nil || got != tt.want {
				t.Fatalf("Stringify(%#v) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

type stringerFunc func() string

func (f stringerFunc) String() string { return f() }

func TestStringifyRejects(t *testing.T) {
	n := 1
	tests := []struct {
		name    string
		in      any
		mention string
	}{
		{"map", map[string]any{"a": 1}, "map[string]interface {}"},
		{"slice", []string{"a"}, "[]string"},
		{"any slice", []any{1}, "[]interface {}"},
		{"struct", struct{ A int }{1}, "struct"},
		{"pointer to int", &n, "*int"},
		{"channel", make(chan int), "chan int"},
		{"func", func() {}, "func()"},
		{"complex", complex(1, 2), "complex128"},
		{"NaN", math.NaN(), "NaN"},
		{"+Inf", math.Inf(1), "infinities"},
		{"-Inf float32", float32(math.Inf(-1)), "float32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Stringify(tt.in)
			if !errors.Is(err, ErrUnsupportedValue) || got != "" {
				t.Fatalf("Stringify(%T) = %q, %v; want ErrUnsupportedValue", tt.in, got, err)
			}
			var ue *UnsupportedValueError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.mention) {
				t.Fatalf("error %q is not an *UnsupportedValueError mentioning %q", err, tt.mention)
			}
		})
	}
}
