package formatter

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
)

// Stringify is the one rule by which the SDK turns a scalar field value into
// the string that is signed and sent, so that the signature and the wire
// always agree:
//
//   - nil and typed nil pointers: ""
//   - string (and named string types): as is
//   - []byte: its bytes as a string
//   - bool: "true" or "false"
//   - every int and uint kind: decimal
//   - float32, float64: shortest decimal that reads back to the same value,
//     never with an exponent (1e21 is "1000000000000000000000"); NaN and
//     infinities are an error
//   - json.Number: as is
//   - fmt.Stringer: its String()
//
// Anything else (maps, slices, structs, channels, other pointers) has no
// single wire string and returns an *UnsupportedValueError.
func Stringify(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case float64:
		return formatFloat(v, x, 64)
	case float32:
		return formatFloat(v, float64(x), 32)
	case json.Number:
		return string(x), nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		// Calling String on a nil pointer may panic; a missing value is "".
		return "", nil
	}
	if s, ok := v.(fmt.Stringer); ok {
		return s.String(), nil
	}
	switch rv.Kind() {
	case reflect.String:
		return rv.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(rv.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10), nil
	case reflect.Float32:
		return formatFloat(v, rv.Float(), 32)
	case reflect.Float64:
		return formatFloat(v, rv.Float(), 64)
	case reflect.Slice:
		if rv.Type().Elem().Kind() == reflect.Uint8 {
			return string(rv.Bytes()), nil
		}
	}
	return "", &UnsupportedValueError{Type: fmt.Sprintf("%T", v), Reason: "not a scalar (string, number, bool, []byte, json.Number or fmt.Stringer)"}
}

// formatFloat writes f in plain decimal notation, the shortest form that
// parses back to the same float of the given bit size.
func formatFloat(v any, f float64, bits int) (string, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "", &UnsupportedValueError{Type: fmt.Sprintf("%T", v), Reason: "NaN and infinities have no decimal form"}
	}
	return strconv.FormatFloat(f, 'f', -1, bits), nil
}
