package lb

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Target health reason codes, as ELBv2 spells them.
const (
	ReasonRegistrationInProgress   = "Elb.RegistrationInProgress"
	ReasonInitialHealthChecking    = "Elb.InitialHealthChecking"
	ReasonResponseCodeMismatch     = "Target.ResponseCodeMismatch"
	ReasonTimeout                  = "Target.Timeout"
	ReasonFailedHealthChecks       = "Target.FailedHealthChecks"
	ReasonDeregistrationInProgress = "Target.DeregistrationInProgress"
	ReasonNotInUse                 = "Target.NotInUse"
)

// Health check defaults for zero HealthCheck fields (ELBv2's).
const (
	defaultHCPath      = "/"
	defaultHCInterval  = 30 * time.Second
	defaultHCTimeout   = 5 * time.Second
	defaultHCHealthy   = 5
	defaultHCUnhealthy = 2
	defaultHCMatcher   = "200"
)

// healthSpec is a compiled, defaulted HealthCheck.
type healthSpec struct {
	enabled   bool
	path      string
	port      int
	interval  time.Duration
	timeout   time.Duration
	healthy   int
	unhealthy int
	matcher   matcher
}

// compileHealthCheck applies defaults and validates hc.
func compileHealthCheck(hc HealthCheck) (healthSpec, error) {
	s := healthSpec{
		enabled: hc.Enabled, path: hc.Path, port: hc.Port,
		interval: hc.Interval, timeout: hc.Timeout,
		healthy: hc.HealthyThreshold, unhealthy: hc.UnhealthyThreshold,
	}
	if s.path == "" {
		s.path = defaultHCPath
	}
	if s.interval == 0 {
		s.interval = defaultHCInterval
	}
	if s.timeout == 0 {
		s.timeout = defaultHCTimeout
	}
	if s.healthy == 0 {
		s.healthy = defaultHCHealthy
	}
	if s.unhealthy == 0 {
		s.unhealthy = defaultHCUnhealthy
	}
	switch {
	case !strings.HasPrefix(s.path, "/") || strings.ContainsAny(s.path, " \r\n#"):
		return s, fmt.Errorf("path %q must start with '/' and have no spaces", s.path)
	case s.port < 0 || s.port > 65535:
		return s, fmt.Errorf("port %d is outside 0–65535", s.port)
	case s.interval < 0 || s.timeout < 0:
		return s, fmt.Errorf("interval and timeout must be positive")
	case s.healthy < 1 || s.healthy > maxHealthThreshold || s.unhealthy < 1 || s.unhealthy > maxHealthThreshold:
		return s, fmt.Errorf("thresholds must be 1–%d", maxHealthThreshold)
	}
	m := hc.Matcher
	if m == "" {
		m = defaultHCMatcher
	}
	var err error
	if s.matcher, err = parseMatcher(m); err != nil {
		return s, err
	}
	return s, nil
}

// equal reports whether s and o check the same way.
func (s *healthSpec) equal(o *healthSpec) bool {
	return s.enabled == o.enabled && s.path == o.path && s.port == o.port &&
		s.interval == o.interval && s.timeout == o.timeout &&
		s.healthy == o.healthy && s.unhealthy == o.unhealthy && slices.Equal(s.matcher, o.matcher)
}

// matcher is a set of HTTP status code ranges.
type matcher []codeRange

type codeRange struct{ lo, hi int }

// parseMatcher parses "200", "200-299", "200,302" and mixes of them.
func parseMatcher(s string) (matcher, error) {
	var m matcher
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 100 || b > 599 || a > b {
			return nil, fmt.Errorf("matcher %q: %q is not a code or range of codes within 100–599", s, part)
		}
		m = append(m, codeRange{a, b})
	}
	return m, nil
}

func (m matcher) match(code int) bool {
	for _, r := range m {
		if r.lo <= code && code <= r.hi {
			return true
		}
	}
	return false
}

// probeOutcome is how one health check ended.
type probeOutcome uint8

const (
	probeOK probeOutcome = iota
	probeCodeMismatch
	probeTimeout
	probeFailed
)

// probeResult is the result of one health check request.
type probeResult struct {
	outcome probeOutcome
	code    int // the status code of a probeCodeMismatch
}

// health is a target's health-check state: the ELBv2 state, its reason
// and the consecutive results that lead to the next transition.
type health struct {
	state       string // StateInitial, StateHealthy or StateUnhealthy
	reason      string
	description string
	okRun       int
	failRun     int
}

// initialHealth is the health of a newly registered target.
func initialHealth() health {
	return health{state: StateInitial, reason: ReasonRegistrationInProgress,
		description: "Target registration is in progress"}
}

// next is the health-check state machine: the health after res under
// spec. HealthyThreshold consecutive successes make a target healthy,
// UnhealthyThreshold consecutive failures make it unhealthy; a target
// stays initial until one of them is reached.
func (h health) next(res probeResult, spec *healthSpec) health {
	if res.outcome == probeOK {
		h.okRun, h.failRun = h.okRun+1, 0
		switch {
		case h.state != StateHealthy && h.okRun >= spec.healthy:
			h.state, h.reason, h.description = StateHealthy, "", ""
		case h.state == StateInitial:
			h.reason, h.description = ReasonInitialHealthChecking, "Initial health checks in progress"
		}
		return h
	}
	h.okRun, h.failRun = 0, h.failRun+1
	reason, desc := failureReason(res)
	switch {
	case h.state != StateUnhealthy && h.failRun >= spec.unhealthy:
		h.state, h.reason, h.description = StateUnhealthy, reason, desc
	case h.state == StateUnhealthy:
		h.reason, h.description = reason, desc
	case h.state == StateInitial:
		h.reason, h.description = ReasonInitialHealthChecking, "Initial health checks in progress"
	}
	return h
}

func failureReason(res probeResult) (reason, description string) {
	switch res.outcome {
	case probeCodeMismatch:
		return ReasonResponseCodeMismatch, fmt.Sprintf("Health checks failed with these codes: [%d]", res.code)
	case probeTimeout:
		return ReasonTimeout, "Request timed out"
	}
	return ReasonFailedHealthChecks, "Health checks failed"
}
