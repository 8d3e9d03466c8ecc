package runtimetest

import (
	"slices"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// healthyAfter is the health check interval of a dependency that others
// wait to be HEALTHY: its first check, hence HEALTHY, comes no sooner.
const healthyAfter = time.Second

// containers returns the task's container statuses by name.
func containers(st runtime.TaskStatus) map[string]runtime.ContainerStatus {
	out := make(map[string]runtime.ContainerStatus, len(st.Containers))
	for _, c := range st.Containers {
		out[c.Name] = c
	}
	return out
}

// started reports whether the container has been launched.
func started(c runtime.ContainerStatus) bool { return !c.StartedAt.IsZero() }

// dependsOn returns c depending on container dep with condition cond.
func dependsOn(c runtime.ContainerSpec, dep string, cond runtime.Condition) runtime.ContainerSpec {
	c.DependsOn = append(c.DependsOn, runtime.Dependency{Container: dep, Condition: cond})
	return c
}

// testDependsOnOrder: a container waits for each of its conditions:
// HEALTHY for the dependency's health check to pass, SUCCESS and
// COMPLETE for its exit, START for its launch, even when it comes later
// in the spec. Start does not wait for any of it.
func testDependsOnOrder(t *testing.T, h *harness) {
	id := h.id("order")
	web := h.webSpec(id, nil).Containers[0]
	hc := h.probeCheck("/healthz")
	hc.Interval = healthyAfter
	web.HealthCheck = &hc
	sidecar := dependsOn(h.app.Container("sidecar", nil, "sleep"), "web", runtime.ConditionStart)
	initc := dependsOn(h.app.Container("init", nil, "exit", "0", "300ms"), "web", runtime.ConditionHealthy)
	initc.Essential = false
	after := dependsOn(h.app.Container("after", nil, "sleep"), "init", runtime.ConditionSuccess)
	done := dependsOn(h.app.Container("done", nil, "sleep"), "init", runtime.ConditionComplete)
	done = dependsOn(done, "web", runtime.ConditionStart)
	spec := runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{sidecar, web, initc, after, done}}

	if st := h.start(spec); st.State == runtime.StateRunning {
		t.Errorf("Start returned %s; it should not wait for init, which waits for web to be healthy", describe(st))
	}
	// Whenever a container has started, its conditions held.
	st := h.waitFor(id, "state RUNNING", func(st runtime.TaskStatus) bool {
		c := containers(st)
		if started(c["init"]) && c["web"].Health != runtime.HealthHealthy {
			t.Errorf("init started while web was not HEALTHY: %s", describe(st))
		}
		if started(c["after"]) && (c["init"].ExitCode == nil || *c["init"].ExitCode != 0) {
			t.Errorf("after started before init exited 0: %s", describe(st))
		}
		if started(c["done"]) && c["init"].State != runtime.StateStopped {
			t.Errorf("done started before init exited: %s", describe(st))
		}
		if started(c["sidecar"]) && !started(c["web"]) {
			t.Errorf("sidecar started before web: %s", describe(st))
		}
		return st.State == runtime.StateRunning || t.Failed()
	})
	c := containers(st)
	if c["web"].Health != runtime.HealthHealthy || c["init"].ExitCode == nil || *c["init"].ExitCode != 0 {
		t.Fatalf("want web HEALTHY and init exited 0: %s", describe(st))
	}
	for _, tc := range []struct {
		name           string
		got, notBefore time.Time
	}{
		{"init started after web's first health check", c["init"].StartedAt, c["web"].StartedAt.Add(healthyAfter)},
		{"sidecar started after web", c["sidecar"].StartedAt, c["web"].StartedAt},
		{"after started after init exited", c["after"].StartedAt, c["init"].StoppedAt},
		{"done started after init exited", c["done"].StartedAt, c["init"].StoppedAt},
	} {
		if tc.got.Before(tc.notBefore) {
			t.Errorf("%s: want at or after %v, got %v", tc.name, tc.notBefore, tc.got)
		}
	}
}

// testDependsOnUnmet: a condition that can no longer hold stops the
// task with a reason naming the dependency and why; the dependent never
// starts.
func testDependsOnUnmet(t *testing.T, h *harness) {
	sleeper := h.app.Container("dep", nil, "sleep")
	failing := sleeper
	failing.HealthCheck = &runtime.HealthCheck{
		Command:  append([]string{"CMD"}, h.app.Command("exit", "1")...),
		Interval: checkInterval,
		Retries:  1,
	}
	exiting := h.app.Container("dep", nil, "exit", "0", "300ms")
	exiting.HealthCheck = &runtime.HealthCheck{
		Command:  append([]string{"CMD"}, h.app.Command("exit", "0")...),
		Interval: time.Minute,
	}
	const prefix = "CannotStartContainerError: dependency on container dep "
	for _, tc := range []struct {
		name    string
		dep     runtime.ContainerSpec
		cond    runtime.Condition
		reasons []string // any of them
	}{
		{"ExitedNonZero", h.app.Container("dep", nil, "exit", "3"), runtime.ConditionSuccess,
			[]string{prefix + "(SUCCESS) cannot be met: it exited with code 3"}},
		{"Unhealthy", failing, runtime.ConditionHealthy,
			[]string{prefix + "(HEALTHY) cannot be met: it is unhealthy"}},
		{"ExitedBeforeHealthy", exiting, runtime.ConditionHealthy,
			[]string{prefix + "(HEALTHY) cannot be met: it exited"}},
		{"NoHealthCheck", sleeper, runtime.ConditionHealthy,
			[]string{prefix + "(HEALTHY) cannot be met: it has no health check"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := h.sub(t)
			id := h.id("unmet")
			tc.dep.Essential = false
			app := dependsOn(h.app.Container("app", nil, "sleep"), "dep", tc.cond)
			h.start(runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{tc.dep, app}})
			st := h.waitState(id, runtime.StateStopped)
			if !slices.Contains(tc.reasons, st.StoppedReason) {
				t.Errorf("StoppedReason = %q, want one of %q", st.StoppedReason, tc.reasons)
			}
			if c := containers(st)["app"]; c.State != runtime.StateStopped || started(c) || c.ExitCode != nil || c.Reason != st.StoppedReason {
				t.Errorf("app: %s; want STOPPED, never started, with the task's reason", describe(st))
			}
		})
	}
}

// testDependsOnStopWaiting: a container still waiting for its
// dependencies keeps the task PENDING, and is never started once the
// task is stopped.
func testDependsOnStopWaiting(t *testing.T, h *harness) {
	id := h.id("waiting")
	db := h.app.Container("db", nil, "sleep")
	// Failing checks within the start period leave the health UNKNOWN.
	db.HealthCheck = &runtime.HealthCheck{
		Command:     append([]string{"CMD"}, h.app.Command("exit", "1")...),
		Interval:    checkInterval,
		StartPeriod: time.Minute,
	}
	app := dependsOn(h.app.Container("app", nil, "sleep"), "db", runtime.ConditionHealthy)
	h.start(runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{db, app}})
	h.waitFor(id, "db running", func(st runtime.TaskStatus) bool { return st.Containers[0].State == runtime.StateRunning })
	time.Sleep(3 * checkInterval)
	if st := h.inspect(id); st.State != runtime.StatePending || st.Containers[1].State != runtime.StatePending {
		t.Errorf("waiting for a dependency: %s; want the task and app PENDING", describe(st))
	}
	if err := h.d.Stop(h.ctx(), id); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st := h.waitState(id, runtime.StateStopped)
	if c := st.Containers[1]; c.State != runtime.StateStopped || started(c) || c.ExitCode != nil {
		t.Errorf("app: %s; want STOPPED and never started", describe(st))
	}
}

// testDependsOnStopOrder: a task stops a container only once the
// containers that depend on it have exited; containers without
// dependency relations stop at once.
func testDependsOnStopOrder(t *testing.T, h *harness) {
	id := h.id("stoporder")
	db := h.app.Container("db", nil, "sleep")
	// app takes its whole StopTimeout to stop: db must wait for it.
	app := dependsOn(h.app.Container("app", map[string]string{EnvIgnoreSIGTERM: "1"}, "echo", "ready"), "db", runtime.ConditionStart)
	app.StopTimeout = time.Second
	other := h.app.Container("other", nil, "sleep")
	h.start(runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{db, app, other}})
	h.waitState(id, runtime.StateRunning)
	h.waitLogs(id, "app", "stdout: ready") // it handles SIGTERM from now on
	if err := h.d.Stop(h.ctx(), id); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	c := containers(h.waitState(id, runtime.StateStopped))
	if c["db"].StoppedAt.Before(c["app"].StoppedAt) {
		t.Errorf("db stopped at %v, before app, which depends on it (%v)", c["db"].StoppedAt, c["app"].StoppedAt)
	}
	if !c["other"].StoppedAt.Before(c["app"].StoppedAt) {
		t.Errorf("other stopped at %v, not before app (%v): it waited for no one", c["other"].StoppedAt, c["app"].StoppedAt)
	}
	if code := c["db"].ExitCode; code == nil || *code != 0 {
		t.Errorf("db exit code %v, want 0 (stopped by SIGTERM)", code)
	}
	if code := c["app"].ExitCode; code == nil || *code != 137 {
		t.Errorf("app exit code %v, want 137 (killed after its StopTimeout)", code)
	}
}
