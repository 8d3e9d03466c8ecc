package awsmodel

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// timestampLayouts are the ISO-8601 forms accepted for timestamps sent as
// strings. Forms without a zone are read as UTC.
var timestampLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02",
}

// ParseTimestamp parses an ISO-8601 timestamp such as
// "2024-11-24T20:26:40Z", "2024-11-24T20:26:40.123+01:00",
// "2024-11-24T20:26:40" (UTC) or "2024-11-24" (UTC midnight). It is the
// rule the validator applies to timestamps sent as strings, shared with
// the decoders of the generated types.
func ParseTimestamp(s string) (time.Time, error) {
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("parse timestamp %q: not an ISO-8601 date-time", s)
}

// maxEpochSeconds bounds epoch-second timestamps so that they fit an int64
// count of milliseconds.
const maxEpochSeconds = math.MaxInt64/1000 - 1

// ParseEpochSeconds parses a JSON number of seconds since the Unix epoch,
// such as 1732480000.123 or 1.732480000123E9, rounded to the millisecond
// (the precision of the wire) and returned in UTC. Values whose magnitude
// exceeds what an int64 of milliseconds holds are refused. It is the rule
// the validator applies to timestamps sent as numbers, shared with the
// decoders of the generated types.
func ParseEpochSeconds(literal string) (time.Time, error) {
	secs, err := strconv.ParseFloat(literal, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse epoch seconds %q: %w", literal, err)
	}
	if math.IsNaN(secs) || math.Abs(secs) > maxEpochSeconds {
		return time.Time{}, fmt.Errorf("parse epoch seconds %q: out of range", literal)
	}
	return time.UnixMilli(int64(math.Round(secs * 1000))).UTC(), nil
}
