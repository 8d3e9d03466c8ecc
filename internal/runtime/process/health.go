package process

import (
	"context"
	"syscall"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// probeWaitDelay bounds how long a timed-out probe's output pipes are
// waited for after its process group was killed.
const probeWaitDelay = time.Second

// healthTracker turns probe results into a health status with Docker's
// rules: until the first counted result the status is UNKNOWN; a success
// makes it HEALTHY and resets the failure count; Retries consecutive
// failures make it UNHEALTHY. Failures during the start period do not
// count, unless the container has already been healthy.
type healthTracker struct {
	retries     int
	startPeriod time.Duration
	startedAt   time.Time

	status      runtime.Health
	failures    int
	everHealthy bool
}

// newHealthTracker returns a tracker for a container started at
// startedAt, with hc's retries and start period (defaults applied).
func newHealthTracker(hc runtime.HealthCheck, startedAt time.Time) *healthTracker {
	retries := hc.Retries
	if retries <= 0 {
		retries = runtime.DefaultHealthRetries
	}
	return &healthTracker{
		retries:     retries,
		startPeriod: hc.StartPeriod,
		startedAt:   startedAt,
		status:      runtime.HealthUnknown,
	}
}

// observe records one probe result, taken at at, and returns the status.
func (h *healthTracker) observe(ok bool, at time.Time) runtime.Health {
	if ok {
		h.failures = 0
		h.everHealthy = true
		h.status = runtime.HealthHealthy
		return h.status
	}
	if !h.everHealthy && at.Sub(h.startedAt) < h.startPeriod {
		return h.status
	}
	h.failures++
	if h.failures >= h.retries {
		h.status = runtime.HealthUnhealthy
	}
	return h.status
}

// healthArgv is the argv a health check runs: CMD runs its arguments,
// CMD-SHELL runs its command with /bin/sh -c.
func healthArgv(hc runtime.HealthCheck) []string {
	if hc.Command[0] == "CMD-SHELL" {
		return []string{"/bin/sh", "-c", hc.Command[1]}
	}
	return hc.Command[1:]
}

// healthEvent reports that a container's health changed.
type healthEvent struct {
	index  int
	health runtime.Health
}

// runHealth probes the container every Interval (measured from the end
// of the previous probe, the first one Interval after start) until ctx is
// done, reporting each change of the resulting health to the main loop.
func (s *shim) runHealth(ctx context.Context, c *container, startedAt time.Time) {
	hc := *c.spec.HealthCheck
	interval, timeout := hc.Interval, hc.Timeout
	if interval <= 0 {
		interval = runtime.DefaultHealthInterval
	}
	if timeout <= 0 {
		timeout = runtime.DefaultHealthTimeout
	}
	tracker := newHealthTracker(hc, startedAt)
	last := runtime.HealthUnknown
	timer := time.NewTimer(interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		ok := s.probe(ctx, c, healthArgv(hc), timeout)
		if ctx.Err() != nil {
			return
		}
		if h := tracker.observe(ok, time.Now()); h != last {
			last = h
			select {
			case s.healths <- healthEvent{index: c.index, health: h}:
			case <-ctx.Done():
				return
			}
		}
		timer.Reset(interval)
	}
}

// probe runs one health check command and reports whether it exited 0
// within timeout. A probe that times out has its process group killed.
func (s *shim) probe(ctx context.Context, c *container, argv []string, timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd, err := c.command(ctx, argv)
	if err != nil {
		s.logger.Debug("health check", "container", c.spec.Name, "err", err)
		return false
	}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = probeWaitDelay
	if err := cmd.Run(); err != nil {
		s.logger.Debug("health check failed", "container", c.spec.Name, "err", err)
		return false
	}
	return true
}
