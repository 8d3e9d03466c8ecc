package lb

import (
	"cmp"
	"context"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// groupSpec is what a target needs to know about its target group; it
// is replaced (never mutated) when a Config changes the group.
type groupSpec struct {
	arn   string
	hc    healthSpec
	http2 bool
	delay time.Duration
}

// target is one live backend of one target group. Targets outlive
// snapshots: an Apply that keeps a target (same group ARN and host:port)
// reuses the object, so its health, counters and in-flight requests
// carry over.
type target struct {
	key      string // targetKey(group ARN, target)
	groupARN string
	target   Target
	addr     string // host:port to dial

	spec atomic.Pointer[groupSpec]
	// respec wakes the health checker when spec changes.
	respec chan struct{}

	mu sync.Mutex // guards h
	h  health

	// draining is set once the target is no longer registered; it gets
	// no new requests.
	draining atomic.Bool

	// Fields below are guarded by Balancer.mu.
	drainGen   uint64
	drainTimer *time.Timer
	stopCheck  context.CancelFunc

	// pool holds the fast path's idle connections to the target.
	pool connPool

	requests atomic.Uint64
	inFlight atomic.Int64
	resp2xx  atomic.Uint64
	resp3xx  atomic.Uint64
	resp4xx  atomic.Uint64
	resp5xx  atomic.Uint64
	errs     atomic.Uint64
}

// targetKey identifies a target across Applies.
func targetKey(groupARN string, t Target) string {
	return groupARN + " " + net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
}

func newTarget(groupARN string, t Target, spec *groupSpec) *target {
	nt := &target{
		key:      targetKey(groupARN, t),
		groupARN: groupARN,
		target:   t,
		addr:     net.JoinHostPort(t.Host, strconv.Itoa(t.Port)),
		h:        initialHealth(),
		respec:   make(chan struct{}, 1),
	}
	nt.spec.Store(spec)
	if !spec.hc.enabled {
		nt.h = health{state: StateHealthy}
	}
	return nt
}

// setSpec installs the target group settings of a new Config and wakes
// the health checker when they changed.
func (t *target) setSpec(spec *groupSpec) {
	if old := t.spec.Swap(spec); old != nil && (!old.hc.equal(&spec.hc) || old.http2 != spec.http2) {
		select {
		case t.respec <- struct{}{}:
		default:
		}
	}
}

// healthy reports whether the target's last health verdict is healthy.
func (t *target) healthy() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.h.state == StateHealthy
}

// starting reports whether the target is initial and has never passed
// or failed a counted health check.
func (t *target) starting() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.h.state == StateInitial && t.h.okRun == 0 && t.h.failRun == 0
}

// health returns the target's health-check state.
func (t *target) health() health {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.h
}

// observe feeds one health-check result to the state machine and reports
// whether the target's healthy verdict changed.
func (t *target) observe(res probeResult, spec *healthSpec) (changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.h.state == StateHealthy
	t.h = t.h.next(res, spec)
	return was != (t.h.state == StateHealthy)
}

// setHealthy forces the healthy state (health checks disabled) and
// reports whether that changed the verdict.
func (t *target) setHealthy() (changed bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.h.state == StateHealthy
	t.h = health{state: StateHealthy}
	return !was
}

// countStatus records a response from the target.
func (t *target) countStatus(code int) {
	switch {
	case code >= 500:
		t.resp5xx.Add(1)
	case code >= 400:
		t.resp4xx.Add(1)
	case code >= 300:
		t.resp3xx.Add(1)
	case code >= 200:
		t.resp2xx.Add(1)
	}
}

// TargetStats are the traffic counters of one target since it was
// registered (they survive Applies that keep the target).
type TargetStats struct {
	TargetGroupARN string `json:"targetGroupArn"`
	Target         Target `json:"target"`
	// Requests counts the attempts to send a request to the target,
	// including the ones that failed to connect.
	Requests uint64 `json:"requests"`
	// InFlight is the number of requests whose response has not been
	// fully passed on yet (upgraded connections count until closed).
	InFlight     int64  `json:"inFlight"`
	Responses2xx uint64 `json:"responses2xx"`
	Responses3xx uint64 `json:"responses3xx"`
	Responses4xx uint64 `json:"responses4xx"`
	Responses5xx uint64 `json:"responses5xx"`
	// Errors counts attempts that got no response (connection refused,
	// reset, timeout).
	Errors uint64 `json:"errors"`
}

func (t *target) stats() TargetStats {
	return TargetStats{
		TargetGroupARN: t.groupARN,
		Target:         t.target,
		Requests:       t.requests.Load(),
		InFlight:       t.inFlight.Load(),
		Responses2xx:   t.resp2xx.Load(),
		Responses3xx:   t.resp3xx.Load(),
		Responses4xx:   t.resp4xx.Load(),
		Responses5xx:   t.resp5xx.Load(),
		Errors:         t.errs.Load(),
	}
}

// Health reports every registered target and every target still
// draining, ordered by target group ARN, host and port. A target of a
// group that no listener forwards to is unused; otherwise its state is
// the health checks' verdict.
func (b *Balancer) Health() []TargetHealth {
	targets := b.liveTargets()
	s := b.snap.Load()
	out := make([]TargetHealth, 0, len(targets))
	for _, t := range targets {
		th := TargetHealth{TargetGroupARN: t.groupARN, Target: t.target}
		g := s.groups[t.groupARN]
		switch {
		case t.draining.Load() || g == nil:
			th.State, th.Reason, th.Description = StateDraining, ReasonDeregistrationInProgress, "Target deregistration is in progress"
		case !g.inUse:
			th.State, th.Reason, th.Description = StateUnused, ReasonNotInUse, "Target group is not configured to receive traffic from the load balancer"
		default:
			h := t.health()
			th.State, th.Reason, th.Description = h.state, h.reason, h.description
		}
		out = append(out, th)
	}
	return out
}

// Stats reports the traffic counters of every registered and draining
// target, in the order of Health.
func (b *Balancer) Stats() []TargetStats {
	targets := b.liveTargets()
	out := make([]TargetStats, 0, len(targets))
	for _, t := range targets {
		out = append(out, t.stats())
	}
	return out
}

// liveTargets returns the registry's targets in report order.
func (b *Balancer) liveTargets() []*target {
	b.mu.Lock()
	list := make([]*target, 0, len(b.targets))
	for _, t := range b.targets {
		list = append(list, t)
	}
	b.mu.Unlock()
	slices.SortFunc(list, func(x, y *target) int {
		return cmp.Or(cmp.Compare(x.groupARN, y.groupARN),
			cmp.Compare(x.target.Host, y.target.Host), cmp.Compare(x.target.Port, y.target.Port))
	})
	return list
}
