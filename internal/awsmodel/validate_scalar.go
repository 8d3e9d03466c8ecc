package awsmodel

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// checkScalarType checks that val has the JSON type of scalar shape s.
func checkScalarType(s *Shape, val any, p *path) *ValidationError {
	switch s.Type {
	case TypeString:
		if _, ok := val.(string); !ok {
			return typeError(val, p, "Member must be a string")
		}
	case TypeBoolean:
		if _, ok := val.(bool); !ok {
			return typeError(val, p, "Member must be a boolean")
		}
	case TypeInteger, TypeLong:
		n, ok := val.(json.Number)
		if !ok {
			return typeError(val, p, "Member must be a number")
		}
		bits, lo, hi := 32, int64(math.MinInt32), int64(math.MaxInt32)
		if s.Type == TypeLong {
			bits, lo, hi = 64, math.MinInt64, math.MaxInt64
		}
		if _, err := strconv.ParseInt(string(n), 10, bits); err != nil {
			if isIntegerLiteral(string(n)) {
				return typeError(val, p, "Member must be an integer between "+
					strconv.FormatInt(lo, 10)+" and "+strconv.FormatInt(hi, 10))
			}
			return typeError(val, p, "Member must be an integer")
		}
	case TypeDouble, TypeFloat:
		n, ok := val.(json.Number)
		if !ok {
			return typeError(val, p, "Member must be a number")
		}
		bits := 64
		if s.Type == TypeFloat {
			bits = 32
		}
		if _, err := strconv.ParseFloat(string(n), bits); err != nil {
			return typeError(val, p, "Member must be a number within the range of a "+
				strconv.Itoa(bits)+"-bit floating point number")
		}
	case TypeTimestamp:
		switch t := val.(type) {
		case json.Number:
			if _, err := ParseEpochSeconds(string(t)); err == nil {
				return nil
			}
		case string:
			if _, err := ParseTimestamp(t); err == nil {
				return nil
			}
		}
		return typeError(val, p, "Member must be a timestamp: epoch seconds or an ISO-8601 string")
	case TypeBlob:
		str, ok := val.(string)
		if !ok {
			return typeError(val, p, "Member must be a base64-encoded string")
		}
		if _, err := base64.StdEncoding.DecodeString(str); err != nil {
			return typeError(val, p, "Member must be a base64-encoded string")
		}
	}
	return nil
}

// isIntegerLiteral reports whether s is an optional minus sign followed by
// digits only.
func isIntegerLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// checkScalarConstraints checks the enum, length and range constraints of
// scalar shape s against val, whose type checkScalarType accepted.
func checkScalarConstraints(s *Shape, val any, p *path) *ValidationError {
	switch s.Type {
	case TypeString:
		str, _ := val.(string)
		if err := checkLength(s, val, utf8.RuneCountInString(str), p); err != nil {
			return err
		}
		if len(s.Enum) > 0 && !slices.Contains(s.Enum, str) {
			return constraintError(val, p,
				"Member must satisfy enum value set: ["+strings.Join(s.Enum, ", ")+"]")
		}
	case TypeInteger, TypeLong, TypeDouble, TypeFloat:
		n, _ := val.(json.Number)
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return nil
		}
		if s.Min != nil && f < *s.Min {
			return constraintError(val, p,
				"Member must have value greater than or equal to "+formatBound(s, *s.Min))
		}
		if s.Max != nil && f > *s.Max {
			return constraintError(val, p,
				"Member must have value less than or equal to "+formatBound(s, *s.Max))
		}
	}
	return nil
}

// checkLength checks n, the length of a string, list or map, against the
// min and max of s.
func checkLength(s *Shape, val any, n int, p *path) *ValidationError {
	if s.Min != nil && float64(n) < *s.Min {
		return constraintError(val, p,
			"Member must have length greater than or equal to "+formatBound(s, *s.Min))
	}
	if s.Max != nil && float64(n) > *s.Max {
		return constraintError(val, p,
			"Member must have length less than or equal to "+formatBound(s, *s.Max))
	}
	return nil
}

// formatBound renders a min or max: as an integer except for doubles.
func formatBound(s *Shape, b float64) string {
	if s.Type == TypeDouble || s.Type == TypeFloat {
		return strconv.FormatFloat(b, 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Trunc(b), 'f', 0, 64)
}
