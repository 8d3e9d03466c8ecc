package deploy

import "time"

// Task launch throttling: a service whose tasks keep failing does not
// start new ones in a busy loop. The first failures are replaced at once;
// from the third failure within ThrottleWindow on, launches wait
// ThrottleBase after the latest failure, doubling with every further
// failure up to ThrottleMax.
const (
	ThrottleWindow = 15 * time.Minute
	ThrottleBase   = 5 * time.Second
	ThrottleMax    = 5 * time.Minute
	throttleFree   = 2
)

// throttledUntil returns when new tasks may start again given recent
// failures (zero when they may start now).
func throttledUntil(failures []Failure) time.Time {
	var latest time.Time
	for _, f := range failures {
		if f.At.After(latest) {
			latest = f.At
		}
	}
	n := 0
	for _, f := range failures {
		if latest.Sub(f.At) < ThrottleWindow {
			n++
		}
	}
	if n <= throttleFree {
		return time.Time{}
	}
	delay := ThrottleBase
	for i := throttleFree + 1; i < n && delay < ThrottleMax; i++ {
		delay *= 2
	}
	return latest.Add(min(delay, ThrottleMax))
}

// countFailures counts failures of revision since a time.
func countFailures(failures []Failure, revision string, since time.Time) int {
	n := 0
	for _, f := range failures {
		if f.Revision == revision && !f.At.Before(since) {
			n++
		}
	}
	return n
}
