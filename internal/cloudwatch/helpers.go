package cloudwatch

// Int32 returns a pointer to v, for optional integer members.
func Int32(v int32) *int32 { return &v }

// Float64 returns a pointer to v, for optional double members.
func Float64(v float64) *float64 { return &v }

// Bool returns a pointer to v, for optional boolean members.
func Bool(v bool) *bool { return &v }

// Int32Value returns *p, or 0 when p is nil.
func Int32Value(p *int32) int32 {
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

// BoolValue returns *p, or def when p is nil.
func BoolValue(p *bool, def bool) bool {
	if p == nil {
		return def
	}
	return *p
}
