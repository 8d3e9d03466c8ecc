package cwapi

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/fxamacker/cbor/v2"

	"github.com/cutover/cutover/internal/cloudwatch"
)

// timeType is the type of every timestamp member.
var timeType = reflect.TypeFor[cloudwatch.Time]()

// wireValue turns an output (a generated struct, or a pointer to one)
// into the generic value that the JSON or CBOR encoder writes: structs
// become maps keyed by their json tag names, timestamps epoch seconds
// (CBOR: tag 1 around them). Unlike encoding/json with omitempty, it
// keeps an empty non-nil list (clients read it as []) and leaves out nil
// pointers, slices and maps and empty strings. ok is false for an absent
// value.
func wireValue(v reflect.Value, p protocol) (out any, ok bool) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil, false
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == timeType {
			return timestamp(v.Interface().(cloudwatch.Time), p), true
		}
		m := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if fv, ok := wireValue(v.Field(i), p); ok {
				m[name] = fv
			}
		}
		return m, true
	case reflect.Slice:
		if v.IsNil() {
			return nil, false
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes(), true // JSON writes it as base64, CBOR as a byte string
		}
		list := make([]any, 0, v.Len())
		for i := range v.Len() {
			e, ok := wireValue(v.Index(i), p)
			if !ok {
				e = nil
			}
			list = append(list, e)
		}
		return list, true
	case reflect.Map:
		if v.IsNil() {
			return nil, false
		}
		m := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			e, _ := wireValue(it.Value(), p)
			m[it.Key().String()] = e
		}
		return m, true
	case reflect.String:
		if v.Len() == 0 {
			return nil, false
		}
		return v.String(), true
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), true
	case reflect.Float32, reflect.Float64:
		if p == protoJSON {
			return jsonDouble(v.Float()), true
		}
		return v.Float(), true
	}
	return nil, false
}

// timestamp is a timestamp member as protocol p writes it: epoch seconds
// with milliseconds, inside tag 1 in CBOR.
func timestamp(t cloudwatch.Time, p protocol) any {
	secs := float64(t.UnixMilli()) / 1000
	if p == protoCBOR {
		if t.UnixMilli()%1000 == 0 {
			return cbor.Tag{Number: 1, Content: t.Unix()}
		}
		return cbor.Tag{Number: 1, Content: secs}
	}
	return json.Number(strconv.FormatFloat(secs, 'f', -1, 64))
}

// jsonDouble writes a double as the JSON protocol does: always with a
// fraction or an exponent (36.0, not 36), so that clients read a float;
// non-finite values as the strings NaN, Infinity and -Infinity.
func jsonDouble(f float64) any {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".e") {
		s += ".0"
	}
	return json.Number(s)
}
