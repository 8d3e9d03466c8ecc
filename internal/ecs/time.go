package ecs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/awsmodel"
)

// Time is a timestamp as the ECS JSON protocol carries it: a JSON number
// of seconds since the Unix epoch with millisecond precision, such as
// 1732480000.123. It decodes from such a number or from an ISO-8601
// string (see awsmodel.ParseTimestamp), always into UTC. The embedded
// time.Time gives it the usual methods.
type Time struct {
	time.Time
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
		parsed, err := awsmodel.ParseTimestamp(s)
		if err != nil {
			return fmt.Errorf("decode time: %w", err)
		}
		t.Time = parsed.UTC()
		return nil
	}
	parsed, err := awsmodel.ParseEpochSeconds(string(data))
	if err != nil {
		return fmt.Errorf("decode time: %w", err)
	}
	t.Time = parsed
	return nil
}
