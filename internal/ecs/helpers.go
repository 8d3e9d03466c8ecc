package ecs

import "time"

// Int32 returns a pointer to v, for optional integer members.
func Int32(v int32) *int32 { return &v }

// Int64 returns a pointer to v, for optional long members.
func Int64(v int64) *int64 { return &v }

// Float64 returns a pointer to v, for optional double members.
func Float64(v float64) *float64 { return &v }

// Bool returns a pointer to v, for optional boolean members.
func Bool(v bool) *bool { return &v }

// TimeOf returns t as a timestamp member: in UTC and truncated to the
// millisecond, the precision of the wire, so that it survives a round trip
// through JSON unchanged.
func TimeOf(t time.Time) *Time {
	return &Time{Time: t.UTC().Truncate(time.Millisecond)}
}

// Now returns the current time as a timestamp member (see TimeOf). Code
// that must be deterministic should take its time from an injected clock
// and use TimeOf instead.
func Now() *Time { return TimeOf(time.Now()) }

// Int32Value returns *p, or 0 when p is nil.
func Int32Value(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// Int64Value returns *p, or 0 when p is nil.
func Int64Value(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Float64Value returns *p, or 0 when p is nil.
func Float64Value(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// BoolValue returns *p, or false when p is nil.
func BoolValue(p *bool) bool {
	if p == nil {
		return false
	}
	return *p
}

// TimeValue returns the time in p, or the zero time.Time when p is nil.
func TimeValue(p *Time) time.Time {
	if p == nil {
		return time.Time{}
	}
	return p.Time
}
