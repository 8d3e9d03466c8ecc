package kubernetes

import "time"

// SetSweepAge sets how old an unused revision object must be for a new
// driver to delete it, until the returned function restores it.
func SetSweepAge(d time.Duration) (restore func()) {
	old := sweepAge
	sweepAge = d
	return func() { sweepAge = old }
}
