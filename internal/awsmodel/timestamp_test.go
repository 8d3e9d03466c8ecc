package awsmodel

import (
	"testing"
	"time"
)

func TestParseTimestamp(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024-11-24T20:26:40Z", time.Date(2024, 11, 24, 20, 26, 40, 0, time.UTC), true},
		{"2024-11-24T20:26:40.123Z", time.Date(2024, 11, 24, 20, 26, 40, 123e6, time.UTC), true},
		{"2024-11-24T21:26:40+01:00", time.Date(2024, 11, 24, 20, 26, 40, 0, time.UTC), true},
		{"2024-11-24T20:26:40", time.Date(2024, 11, 24, 20, 26, 40, 0, time.UTC), true},
		{"2024-11-24", time.Date(2024, 11, 24, 0, 0, 0, 0, time.UTC), true},
		{"1732480000", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseTimestamp(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseTimestamp(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if tt.ok && !got.Equal(tt.want) {
				t.Errorf("ParseTimestamp(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseEpochSeconds(t *testing.T) {
	tests := []struct {
		in     string
		wantMs int64
		ok     bool
	}{
		{"1732480000", 1732480000000, true},
		{"1732480000.123", 1732480000123, true},
		{"1.732480000123E9", 1732480000123, true},
		{"1732480000.1236", 1732480000124, true},
		{"-1.5", -1500, true},
		{"0", 0, true},
		{"1e300", 0, false},
		{"-1e300", 0, false},
		{"abc", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEpochSeconds(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("ParseEpochSeconds(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			}
			if !tt.ok {
				return
			}
			if got.UnixMilli() != tt.wantMs || got.Location() != time.UTC {
				t.Errorf("ParseEpochSeconds(%q) = %v (%d ms), want %d ms in UTC", tt.in, got, got.UnixMilli(), tt.wantMs)
			}
		})
	}
}
