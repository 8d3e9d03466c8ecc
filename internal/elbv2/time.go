package elbv2

import (
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/awsmodel"
)

// timeLayout is how the query protocol writes timestamps: ISO 8601 in UTC
// with milliseconds, as in 2026-11-24T12:00:00.000Z.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Time is a timestamp as ELBv2 carries it: an ISO-8601 string in XML
// responses, in JSON (the store) and in the JSON form of requests. It
// decodes any ISO-8601 form awsmodel.ParseTimestamp accepts, always into
// UTC. The embedded time.Time gives it the usual methods.
type Time struct {
	time.Time
}

// TimeOf returns t as a timestamp member, in UTC and truncated to the
// millisecond, the precision of the wire.
func TimeOf(t time.Time) *Time {
	return &Time{Time: t.UTC().Truncate(time.Millisecond)}
}

// MarshalText writes t as 2006-01-02T15:04:05.000Z.
func (t Time) MarshalText() ([]byte, error) {
	return []byte(t.UTC().Format(timeLayout)), nil
}

// UnmarshalText reads an ISO-8601 timestamp.
func (t *Time) UnmarshalText(b []byte) error {
	parsed, err := awsmodel.ParseTimestamp(string(b))
	if err != nil {
		return fmt.Errorf("decode time: %w", err)
	}
	t.Time = parsed.UTC()
	return nil
}

// MarshalJSON writes t as a JSON string in the layout of MarshalText. It
// shadows time.Time's method so that the store and the wire agree.
func (t Time) MarshalJSON() ([]byte, error) {
	b, _ := t.MarshalText()
	return []byte(strconv.Quote(string(b))), nil
}

// UnmarshalJSON reads a JSON string holding an ISO-8601 timestamp. JSON
// null leaves t unchanged.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s, err := strconv.Unquote(string(b))
	if err != nil {
		return fmt.Errorf("decode time: want a JSON string, got %.40s", b)
	}
	return t.UnmarshalText([]byte(s))
}
