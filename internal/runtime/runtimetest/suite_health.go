package runtimetest

import (
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// checkInterval is the health check interval of the suite's checks.
const checkInterval = 200 * time.Millisecond

// withCheck returns the web task with hc as its container's health check.
func (h *harness) withCheck(id string, hc runtime.HealthCheck) runtime.TaskSpec {
	spec := h.webSpec(id, nil)
	spec.Containers[0].HealthCheck = &hc
	return spec
}

// probeCheck is a CMD health check that runs the app's probe of path.
func (h *harness) probeCheck(path string) runtime.HealthCheck {
	return runtime.HealthCheck{
		Command:  append([]string{"CMD"}, h.app.Command("probe", path)...),
		Interval: checkInterval,
		Timeout:  5 * time.Second,
		Retries:  2,
	}
}

// testHealthNone: a container without a health check reports UNKNOWN.
func testHealthNone(t *testing.T, h *harness) {
	id := h.id("nocheck")
	h.start(h.webSpec(id, nil))
	st := h.waitState(id, runtime.StateRunning)
	h.waitHTTP(st.Containers[0].Ports[0].HostPort, "/")
	time.Sleep(2 * checkInterval)
	if st = h.inspect(id); st.Containers[0].Health != runtime.HealthUnknown {
		t.Errorf("health without a check = %s, want UNKNOWN", st.Containers[0].Health)
	}
}

// testHealthHealthy: a passing check makes the container HEALTHY, even
// during its start period.
func testHealthHealthy(t *testing.T, h *harness) {
	id := h.id("healthy")
	hc := h.probeCheck("/healthz")
	hc.StartPeriod = time.Minute
	h.start(h.withCheck(id, hc))
	st := h.waitHealth(id, 0, runtime.HealthHealthy)
	if st.State != runtime.StateRunning {
		t.Errorf("healthy task: %s, want RUNNING", describe(st))
	}
}

// testHealthUnhealthy: Retries consecutive failures make the container
// UNHEALTHY; the driver does not stop the task for it.
func testHealthUnhealthy(t *testing.T, h *harness) {
	id := h.id("unhealthy")
	h.start(h.withCheck(id, h.probeCheck("/fail")))
	st := h.waitHealth(id, 0, runtime.HealthUnhealthy)
	if st.State != runtime.StateRunning || st.Containers[0].State != runtime.StateRunning {
		t.Errorf("unhealthy task: %s, want RUNNING", describe(st))
	}
}

// testHealthStartPeriod: failures during the start period do not count,
// so the health stays UNKNOWN until the period is over.
func testHealthStartPeriod(t *testing.T, h *harness) {
	id := h.id("grace")
	const startPeriod = 2 * time.Second
	hc := h.probeCheck("/fail")
	hc.Retries = 1
	hc.StartPeriod = startPeriod
	begin := time.Now()
	h.start(h.withCheck(id, hc))
	// By now several checks have failed, all inside the start period.
	time.Sleep(startPeriod / 2)
	st := h.inspect(id)
	if elapsed := time.Since(begin); elapsed < startPeriod*8/10 {
		if got := st.Containers[0].Health; got != runtime.HealthUnknown {
			t.Errorf("health %s into the start period = %s, want UNKNOWN", elapsed, got)
		}
	} else {
		t.Logf("skipping the in-period check: the test was too slow (%s)", elapsed)
	}
	h.waitHealth(id, 0, runtime.HealthUnhealthy)
	if elapsed := time.Since(begin); elapsed < startPeriod {
		t.Errorf("UNHEALTHY after %s, before the %s start period ended", elapsed, startPeriod)
	}
}

// testHealthTimeout: a check that does not finish within its Timeout is
// a failure (and is killed).
func testHealthTimeout(t *testing.T, h *harness) {
	id := h.id("timeout")
	h.start(h.withCheck(id, runtime.HealthCheck{
		Command:  append([]string{"CMD"}, h.app.Command("sleep")...),
		Interval: checkInterval,
		Timeout:  300 * time.Millisecond,
		Retries:  1,
	}))
	h.waitHealth(id, 0, runtime.HealthUnhealthy)
}

// testHealthShell: CMD-SHELL checks run through the shell with the
// container's environment; each container has its own health.
func testHealthShell(t *testing.T, h *harness) {
	if !h.app.Shell {
		t.Skip("the app has no shell for CMD-SHELL checks")
	}
	id := h.id("shell")
	spec := h.webSpec(id, map[string]string{"CHECK_ME": "yes"})
	spec.Containers[0].HealthCheck = &runtime.HealthCheck{
		Command:  []string{"CMD-SHELL", `test "$CHECK_ME" = yes && test -n "$PORT"`},
		Interval: checkInterval,
		Retries:  1,
	}
	side := h.app.Container("side", nil, "sleep")
	side.Essential = false
	side.HealthCheck = &runtime.HealthCheck{
		Command:  []string{"CMD-SHELL", "exit 1"},
		Interval: checkInterval,
		Retries:  1,
	}
	spec.Containers = append(spec.Containers, side)
	h.start(spec)
	h.waitHealth(id, 0, runtime.HealthHealthy)
	st := h.waitHealth(id, 1, runtime.HealthUnhealthy)
	if st.Containers[0].Health != runtime.HealthHealthy {
		t.Errorf("web health = %s after side became UNHEALTHY, want HEALTHY", st.Containers[0].Health)
	}
}
