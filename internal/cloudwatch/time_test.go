package cloudwatch

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTime(t *testing.T) {
	at := time.Date(2026, 11, 24, 12, 0, 0, 123_000_000, time.UTC)
	tests := []struct {
		name string
		in   string // JSON
		want time.Time
		out  string // JSON written back
		text string
	}{
		{"epoch seconds", `1795521600.123`, at, `1795521600.123`, "2026-11-24T12:00:00.123Z"},
		{"whole seconds", `1795521600`, at.Truncate(time.Second), `1795521600`, "2026-11-24T12:00:00.000Z"},
		{"ISO string", `"2026-11-24T13:00:00.123+01:00"`, at, `1795521600.123`, "2026-11-24T12:00:00.123Z"},
		{"before the epoch", `-1.5`, time.UnixMilli(-1500).UTC(), `-1.5`, "1969-12-31T23:59:58.500Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Time
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tt.want) || got.Location() != time.UTC {
				t.Fatalf("decoded %v, want %v", got.Time, tt.want)
			}
			if b, _ := json.Marshal(got); string(b) != tt.out {
				t.Errorf("JSON %s, want %s", b, tt.out)
			}
			if b, _ := got.MarshalText(); string(b) != tt.text {
				t.Errorf("text %s, want %s", b, tt.text)
			}
			var back Time
			if err := back.UnmarshalText([]byte(tt.text)); err != nil || !back.Equal(tt.want) {
				t.Errorf("text round trip = %v, %v", back.Time, err)
			}
		})
	}
	for _, bad := range []string{`"yesterday"`, `1e400`, `true`, `"`} {
		var v Time
		if err := json.Unmarshal([]byte(bad), &v); err == nil {
			t.Errorf("%s decoded to %v", bad, v.Time)
		}
	}
	var null Time
	if err := json.Unmarshal([]byte(`null`), &null); err != nil || !null.IsZero() {
		t.Errorf("null = %v, %v", null.Time, err)
	}
	if got := TimeOf(at.Add(456 * time.Microsecond).In(time.FixedZone("x", 3600))); !got.Equal(at) || got.Location() != time.UTC {
		t.Errorf("TimeOf = %v", got.Time)
	}
}
