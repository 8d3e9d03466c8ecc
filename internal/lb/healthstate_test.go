package lb

import (
	"testing"
)

func TestParseMatcher(t *testing.T) {
	tests := []struct {
		in      string
		ok      []int
		notOK   []int
		invalid bool
	}{
		{in: "200", ok: []int{200}, notOK: []int{201, 199, 500}},
		{in: "200-299", ok: []int{200, 250, 299}, notOK: []int{199, 300}},
		{in: "200,302", ok: []int{200, 302}, notOK: []int{301}},
		{in: "200, 300-399 ,404", ok: []int{200, 301, 404}, notOK: []int{201, 400}},
		{in: "abc", invalid: true},
		{in: "300-200", invalid: true},
		{in: "99", invalid: true},
		{in: "200-600", invalid: true},
		{in: "200,", invalid: true},
	}
	for _, tt := range tests {
		m, err := parseMatcher(tt.in)
		if tt.invalid {
			if err == nil {
				t.Errorf("parseMatcher(%q) accepted", tt.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseMatcher(%q): %v", tt.in, err)
			continue
		}
		for _, c := range tt.ok {
			if !m.match(c) {
				t.Errorf("matcher %q refuses %d", tt.in, c)
			}
		}
		for _, c := range tt.notOK {
			if m.match(c) {
				t.Errorf("matcher %q accepts %d", tt.in, c)
			}
		}
	}
}

func TestHealthStateMachine(t *testing.T) {
	spec := &healthSpec{healthy: 3, unhealthy: 2}
	ok := probeResult{outcome: probeOK}
	bad := probeResult{outcome: probeCodeMismatch, code: 503}
	slow := probeResult{outcome: probeTimeout}
	refused := probeResult{outcome: probeFailed}
	type step struct {
		res    probeResult
		state  string
		reason string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"initial to healthy after the healthy threshold", []step{
			{ok, StateInitial, ReasonInitialHealthChecking},
			{ok, StateInitial, ReasonInitialHealthChecking},
			{ok, StateHealthy, ""},
		}},
		{"initial to unhealthy after the unhealthy threshold", []step{
			{bad, StateInitial, ReasonInitialHealthChecking},
			{bad, StateUnhealthy, ReasonResponseCodeMismatch},
		}},
		{"a failure resets the success run", []step{
			{ok, StateInitial, ReasonInitialHealthChecking},
			{ok, StateInitial, ReasonInitialHealthChecking},
			{bad, StateInitial, ReasonInitialHealthChecking},
			{ok, StateInitial, ReasonInitialHealthChecking},
			{ok, StateInitial, ReasonInitialHealthChecking},
			{ok, StateHealthy, ""},
		}},
		{"healthy tolerates fewer failures than the threshold", []step{
			{ok, StateInitial, ReasonInitialHealthChecking},
			{ok, StateInitial, ReasonInitialHealthChecking},
			{ok, StateHealthy, ""},
			{slow, StateHealthy, ""},
			{ok, StateHealthy, ""},
			{slow, StateHealthy, ""},
			{slow, StateUnhealthy, ReasonTimeout},
		}},
		{"unhealthy keeps the latest failure reason and recovers", []step{
			{refused, StateInitial, ReasonInitialHealthChecking},
			{refused, StateUnhealthy, ReasonFailedHealthChecks},
			{bad, StateUnhealthy, ReasonResponseCodeMismatch},
			{ok, StateUnhealthy, ReasonResponseCodeMismatch},
			{ok, StateUnhealthy, ReasonResponseCodeMismatch},
			{ok, StateHealthy, ""},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := initialHealth()
			if h.state != StateInitial || h.reason != ReasonRegistrationInProgress {
				t.Fatalf("initial health = %+v", h)
			}
			for i, s := range tt.steps {
				h = h.next(s.res, spec)
				if h.state != s.state || h.reason != s.reason {
					t.Fatalf("step %d: state %s (%s), want %s (%s)", i, h.state, h.reason, s.state, s.reason)
				}
			}
		})
	}
	h := initialHealth().next(bad, &healthSpec{healthy: 1, unhealthy: 1})
	if h.description != "Health checks failed with these codes: [503]" {
		t.Errorf("description = %q", h.description)
	}
}
