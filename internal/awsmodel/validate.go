package awsmodel

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"sort"
)

// ValidateJSONInput checks the raw body of a JSON 1.1 request for
// operation against the operation's input shape. It returns nil, an error
// wrapping ErrUnknownOperation, or a *ValidationError:
//
//   - An empty body counts as {}. A body that is not one JSON object is a
//     SerializationException.
//   - A value whose JSON type does not fit its shape is a
//     SerializationException: strings, booleans, objects and arrays must
//     match; integer and long values must be integer literals within
//     int32 or int64 range (what encoding/json decodes); doubles must be
//     finite numbers; timestamps must be epoch seconds or an ISO-8601
//     string (see ParseTimestamp); blobs must be base64 strings.
//   - A missing or null required member, a null list element or map
//     value, a length or value outside min/max, or a string outside its
//     enum is an InvalidParameterException.
//
// Like AWS, the body is checked in two passes, types first: any
// SerializationException wins over an InvalidParameterException. Within a
// pass the first error in model member order (depth first) is reported,
// so results are deterministic. Unknown members are ignored and patterns
// are not enforced. Paths in messages use JSON member names, 0-based list
// indexes in brackets and quoted map keys in brackets:
// containerDefinitions[0].portMappings[0].containerPort.
func (m *Model) ValidateJSONInput(operation string, body []byte) error {
	op, err := m.Operation(operation)
	if err != nil {
		return err
	}
	doc, verr := decodeBody(body)
	if verr != nil {
		return verr
	}
	if op.Input == nil || op.Input.Shape == nil {
		return nil
	}
	for _, pass := range []pass{passTypes, passConstraints} {
		v := validator{pass: pass}
		if verr := v.value(op.Input.Shape, doc, nil); verr != nil {
			return verr
		}
	}
	return nil
}

// jsonSpace holds the characters JSON allows between tokens.
const jsonSpace = " \t\r\n"

// decodeBody parses a request body into generic JSON values, numbers
// kept as json.Number. The top level must be one object.
func decodeBody(body []byte) (map[string]any, *ValidationError) {
	if len(bytes.Trim(body, jsonSpace)) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, bodyError("The request body is not valid JSON.")
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, bodyError("The request body is not valid JSON: unexpected data after the top-level object.")
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, bodyError("The request body is not valid JSON: the top level must be an object.")
	}
	return obj, nil
}

// pass selects which checks a validator makes.
type pass int

const (
	// passTypes checks that JSON types fit the shapes.
	passTypes pass = iota
	// passConstraints checks required, length, range and enum on a body
	// whose types are known to fit.
	passConstraints
)

// validator walks a request body along its shapes.
type validator struct {
	pass pass
}

// value checks val (never nil) against shape s at path p.
func (v *validator) value(s *Shape, val any, p *path) *ValidationError {
	switch s.Type {
	case TypeStructure:
		return v.structure(s, val, p)
	case TypeList:
		return v.list(s, val, p)
	case TypeMap:
		return v.mapValue(s, val, p)
	default:
		if v.pass == passTypes {
			return checkScalarType(s, val, p)
		}
		return checkScalarConstraints(s, val, p)
	}
}

// structure checks an object member by member, in model order.
func (v *validator) structure(s *Shape, val any, p *path) *ValidationError {
	if s.Document {
		return nil
	}
	obj, ok := val.(map[string]any)
	if !ok {
		return typeError(val, p, "Member must be an object")
	}
	for _, mem := range s.Members {
		name := mem.WireName()
		mv, present := obj[name]
		if !present || mv == nil {
			if mem.Required && v.pass == passConstraints {
				return constraintError(nil, p.field(name), "Member must not be null")
			}
			continue
		}
		if mem.Shape == nil {
			continue
		}
		if err := v.value(mem.Shape, mv, p.field(name)); err != nil {
			return err
		}
	}
	return nil
}

// list checks an array's length and then each element.
func (v *validator) list(s *Shape, val any, p *path) *ValidationError {
	arr, ok := val.([]any)
	if !ok {
		return typeError(val, p, "Member must be an array")
	}
	if v.pass == passConstraints {
		if err := checkLength(s, val, len(arr), p); err != nil {
			return err
		}
	}
	for i, elem := range arr {
		if elem == nil {
			if v.pass == passConstraints {
				return constraintError(nil, p.elem(i), "Member must not be null")
			}
			continue
		}
		if err := v.value(s.Member.Shape, elem, p.elem(i)); err != nil {
			return err
		}
	}
	return nil
}

// mapValue checks an object used as a map: its size, then each key and
// value in sorted key order.
func (v *validator) mapValue(s *Shape, val any, p *path) *ValidationError {
	obj, ok := val.(map[string]any)
	if !ok {
		return typeError(val, p, "Member must be an object")
	}
	if v.pass == passConstraints {
		if err := checkLength(s, val, len(obj), p); err != nil {
			return err
		}
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ep := p.entry(k)
		if v.pass == passConstraints && s.Key.Shape.Type == TypeString {
			if err := checkScalarConstraints(s.Key.Shape, k, ep); err != nil {
				return err
			}
		}
		ev := obj[k]
		if ev == nil {
			if v.pass == passConstraints {
				return constraintError(nil, ep, "Member must not be null")
			}
			continue
		}
		if err := v.value(s.Value.Shape, ev, ep); err != nil {
			return err
		}
	}
	return nil
}
