package ecs

import (
	"encoding/json"
	"testing"
	"time"
)

func TestTimeMarshalJSON(t *testing.T) {
	tests := []struct {
		ms   int64
		want string
	}{
		{1732480000123, "1732480000.123"},
		{1732480000000, "1732480000"},
		{1732480000500, "1732480000.5"},
		{1732480000010, "1732480000.01"},
		{1732480000001, "1732480000.001"},
		{0, "0"},
		{-1500, "-1.5"},
		{-1, "-0.001"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			got, err := json.Marshal(Time{time.UnixMilli(tt.ms)})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("Marshal(%d ms) = %s, want %s", tt.ms, got, tt.want)
			}
		})
	}
}

func TestTimeMarshalDropsSubMillisecond(t *testing.T) {
	got, err := json.Marshal(Time{time.Unix(1732480000, 123_999_999)})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != "1732480000.123" {
		t.Errorf("Marshal = %s, want 1732480000.123", got)
	}
}

func TestTimeUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in     string
		wantMs int64
		ok     bool
	}{
		{`1732480000.123`, 1732480000123, true},
		{`1732480000`, 1732480000000, true},
		{`1.732480000123E9`, 1732480000123, true},
		{`-1.5`, -1500, true},
		{`"2024-11-24T20:26:40.123Z"`, 1732480000123, true},
		{`"2024-11-24T21:26:40+01:00"`, 1732480000000, true},
		{`"2024-11-24T20:26:40"`, 1732480000000, true},
		{`"1732480000"`, 0, false},
		{`"yesterday"`, 0, false},
		{`1e300`, 0, false},
		{`true`, 0, false},
		{`{}`, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got Time
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err == nil) != tt.ok {
				t.Fatalf("Unmarshal(%s) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if got.UnixMilli() != tt.wantMs || got.Location() != time.UTC {
				t.Errorf("Unmarshal(%s) = %v, want %d ms in UTC", tt.in, got.Time, tt.wantMs)
			}
		})
	}
}

func TestTimeNullAndPointer(t *testing.T) {
	var v struct {
		At   *Time `json:"at,omitempty"`
		Keep Time  `json:"keep"`
	}
	v.Keep = Time{time.UnixMilli(5000)}
	if err := json.Unmarshal([]byte(`{"at":null,"keep":null}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.At != nil || v.Keep.UnixMilli() != 5000 {
		t.Errorf("after null: At = %v, Keep = %v", v.At, v.Keep)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != `{"keep":5}` {
		t.Errorf("Marshal = %s", out)
	}
}

func TestTimeRoundTrip(t *testing.T) {
	for _, ms := range []int64{0, 1, 999, 1000, 1732480000123, -1, -999, -1001, 253402300799999} {
		in := Time{time.UnixMilli(ms).UTC()}
		data, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		var out Time
		if err := json.Unmarshal(data, &out); err != nil {
			t.Fatalf("Unmarshal(%s): %v", data, err)
		}
		if !out.Equal(in.Time) {
			t.Errorf("%d ms: round trip through %s gave %v", ms, data, out.Time)
		}
	}
}

func TestHelpers(t *testing.T) {
	local := time.Date(2024, 11, 24, 21, 26, 40, 123_456_789, time.FixedZone("CET", 3600))
	ts := TimeOf(local)
	if ts.Location() != time.UTC || ts.UnixMilli() != 1732480000123 || ts.Nanosecond() != 123_000_000 {
		t.Errorf("TimeOf = %v", ts.Time)
	}
	if now := Now(); time.Since(now.Time) > time.Minute || now.Nanosecond()%int(time.Millisecond) != 0 {
		t.Errorf("Now = %v", now.Time)
	}
	if *Int32(7) != 7 || *Int64(8) != 8 || *Float64(1.5) != 1.5 || !*Bool(true) {
		t.Error("pointer helpers return wrong values")
	}
	if Int32Value(nil) != 0 || Int64Value(nil) != 0 || Float64Value(nil) != 0 || BoolValue(nil) ||
		!TimeValue(nil).IsZero() {
		t.Error("value getters of nil are not zero")
	}
	if Int32Value(Int32(3)) != 3 || Int64Value(Int64(4)) != 4 || Float64Value(Float64(2.5)) != 2.5 ||
		!BoolValue(Bool(true)) || !TimeValue(ts).Equal(ts.Time) {
		t.Error("value getters return wrong values")
	}
}
