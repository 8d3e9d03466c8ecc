package awsmodel

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// maxValueLen bounds how much of an offending value a message repeats.
const maxValueLen = 128

// bodyError reports a body that is not one JSON object.
func bodyError(msg string) *ValidationError {
	return &ValidationError{Type: TypeSerialization, Message: msg}
}

// typeError reports a value whose JSON type does not fit its shape, in
// AWS's style: Value "abc" at 'desiredCount' failed to satisfy
// constraint: Member must be a number. The value is shown as JSON.
func typeError(val any, p *path, constraint string) *ValidationError {
	where := p.String()
	return &ValidationError{
		Type:    TypeSerialization,
		Path:    where,
		Message: "Value " + truncate(jsonText(val)) + " at '" + where + "' failed to satisfy constraint: " + constraint,
	}
}

// constraintError reports a constraint violation, in AWS's style:
// 1 validation error detected: Value 'FOO' at 'deploymentController.type'
// failed to satisfy constraint: Member must satisfy enum value set: [...].
// A nil val is shown as null; other values are quoted.
func constraintError(val any, p *path, constraint string) *ValidationError {
	shown := "null"
	if val != nil {
		text, ok := val.(string)
		if !ok {
			text = jsonText(val)
		}
		shown = "'" + truncate(text) + "'"
	}
	where := p.String()
	return &ValidationError{
		Type: TypeInvalidParameter,
		Path: where,
		Message: "1 validation error detected: Value " + shown + " at '" + where +
			"' failed to satisfy constraint: " + constraint,
	}
}

// jsonText renders a decoded JSON value back as compact JSON, without
// HTML escaping.
func jsonText(val any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(val); err != nil {
		return "?"
	}
	return string(bytes.TrimSuffix(b.Bytes(), []byte("\n")))
}

// truncate shortens s to maxValueLen runes, marking the cut with "...".
func truncate(s string) string {
	if utf8.RuneCountInString(s) <= maxValueLen {
		return s
	}
	runes := []rune(s)
	return string(runes[:maxValueLen]) + "..."
}
