package deploy

import (
	"testing"
	"time"
)

func TestThrottle(t *testing.T) {
	at := func(secs ...int) []Failure {
		var f []Failure
		for _, s := range secs {
			f = append(f, Failure{Revision: revA, At: t0.Add(time.Duration(s) * time.Second)})
		}
		return f
	}
	cases := []struct {
		name     string
		failures []Failure
		want     time.Duration // after t0; -1 means not throttled
	}{
		{"none", nil, -1},
		{"two failures are replaced at once", at(0, 1), -1},
		{"third failure waits the base delay", at(0, 1, 2), 2*time.Second + ThrottleBase},
		{"fourth doubles it", at(0, 1, 2, 3), 3*time.Second + 2*ThrottleBase},
		{"old failures do not count", at(-3600, -3599, 0), -1},
		{"capped", at(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 11*time.Second + ThrottleMax},
	}
	for _, c := range cases {
		got := throttledUntil(c.failures)
		if c.want < 0 {
			if !got.IsZero() {
				t.Errorf("%s: throttled until %v", c.name, got)
			}
			continue
		}
		if want := t0.Add(c.want); !got.Equal(want) {
			t.Errorf("%s: throttled until %v, want %v", c.name, got.Sub(t0), c.want)
		}
	}
}

func TestNextThrottlesStartsOnly(t *testing.T) {
	in := Input{Now: t0.Add(3 * time.Second), DesiredCount: 2, Revision: revA,
		Tasks:    []Task{healthy("1", revA), unhealthy("2", revA, time.Hour)},
		Failures: []Failure{{revA, t0}, {revA, t0.Add(time.Second)}, {revA, t0.Add(2 * time.Second)}}}
	p := Next(in)
	if p.Start != nil || !p.Throttled || len(p.Stop) != 1 || !p.Stop[0].Failed {
		t.Fatalf("plan while throttled: %+v", p)
	}
	in.Now = t0.Add(2*time.Second + ThrottleBase)
	if p := Next(in); p.Throttled || len(p.Start) != 1 {
		t.Fatalf("plan after the delay: %+v", p)
	}
}
