package elbv2

// Int32 returns a pointer to v, for optional integer members.
func Int32(v int32) *int32 { return &v }

// Bool returns a pointer to v, for optional boolean members.
func Bool(v bool) *bool { return &v }

// Int32Value returns *p, or 0 when p is nil.
func Int32Value(p *int32) int32 {
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
