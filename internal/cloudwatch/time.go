package cloudwatch

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/awsmodel"
)

// timeLayout is how the query protocol writes timestamps: ISO 8601 in UTC
// with milliseconds, as in 2026-11-24T12:00:00.000Z.
const timeLayout = "2006-01-02T15:04:05.000Z"

// Time is a timestamp as CloudWatch carries it. In JSON (the JSON 1.0
// protocol and the store) it is a number of seconds since the Unix epoch
// with millisecond precision, such as 1732480000.123; as text (the query
// protocol's XML) it is ISO 8601 in UTC. It decodes either form (see
// awsmodel.ParseEpochSeconds and awsmodel.ParseTimestamp), always into
// UTC. The embedded time.Time gives it the usual methods.
type Time struct {
	time.Time
}

// TimeOf returns t as a timestamp member, in UTC and truncated to the
// millisecond, the precision of the wire.
func TimeOf(t time.Time) *Time {
	return &Time{Time: t.UTC().Truncate(time.Millisecond)}
}

// MarshalJSON encodes t as epoch seconds with up to three decimals;
// anything finer than a millisecond is dropped.
func (t Time) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	var b []byte
	if ms < 0 {
		if ms == math.MinInt64 {
			return nil, fmt.Errorf("encode time %v: out of range", t.Time)
		}
		b = append(b, '-')
		ms = -ms
	}
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		digits := []byte{'.', byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		b = append(b, bytes.TrimRight(digits, "0")...)
	}
	return b, nil
}

// UnmarshalJSON decodes epoch seconds (rounded to the millisecond) or an
// ISO-8601 string. JSON null leaves t unchanged.
func (t *Time) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	if string(data) == "null" {
		return nil
	}
	if len(data) > 0 && data[0] == '"' {
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return fmt.Errorf("decode time: %w", err)
		}
		return t.UnmarshalText([]byte(s))
	}
	parsed, err := awsmodel.ParseEpochSeconds(string(data))
	if err != nil {
		return fmt.Errorf("decode time: %w", err)
	}
	t.Time = parsed
	return nil
}

// MarshalText writes t as 2006-01-02T15:04:05.000Z, the query protocol's
// form.
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
