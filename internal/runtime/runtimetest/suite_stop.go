package runtimetest

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// reasonEssentialExited is the ECS stopped reason of a task whose
// essential container exited.
const reasonEssentialExited = "Essential container in task exited"

// testEssentialExit: when an essential container exits, the task stops
// with its exit code and the ECS reason, and the other containers are
// stopped.
func testEssentialExit(t *testing.T, h *harness) {
	id := h.id("essential")
	main := h.app.Container("main", nil, "exit", "3", "500ms")
	side := h.app.Container("side", nil, "sleep")
	side.Essential = false
	h.start(runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{main, side}})
	st := h.waitState(id, runtime.StateStopped)
	if st.StoppedReason != reasonEssentialExited {
		t.Errorf("StoppedReason = %q, want %q", st.StoppedReason, reasonEssentialExited)
	}
	if st.StoppedAt.IsZero() {
		t.Errorf("StoppedAt not set")
	}
	if c := st.Containers[0]; c.ExitCode == nil || *c.ExitCode != 3 {
		t.Errorf("main: %s, want exit code 3", describe(st))
	}
	if c := st.Containers[1]; c.State != runtime.StateStopped || c.ExitCode == nil {
		t.Errorf("side: %s, want STOPPED with an exit code", describe(st))
	}
	for _, c := range st.Containers {
		if c.State != runtime.StateStopped || c.StoppedAt.IsZero() {
			t.Errorf("container %s: state %s stoppedAt %v, want STOPPED with a time", c.Name, c.State, c.StoppedAt)
		}
	}
}

// testNonEssentialExit: a non-essential container exiting leaves the
// task running.
func testNonEssentialExit(t *testing.T, h *harness) {
	id := h.id("nonessential")
	spec := h.webSpec(id, nil)
	side := h.app.Container("side", nil, "exit", "0")
	side.Essential = false
	spec.Containers = append(spec.Containers, side)
	h.start(spec)
	st := h.waitFor(id, "side container stopped", func(st runtime.TaskStatus) bool {
		return st.Containers[1].State == runtime.StateStopped
	})
	if c := st.Containers[1]; c.ExitCode == nil || *c.ExitCode != 0 {
		t.Errorf("side: %s, want exit code 0", describe(st))
	}
	// Give a wrongly stopping task time to show it.
	time.Sleep(500 * time.Millisecond)
	st = h.inspect(id)
	if st.State != runtime.StateRunning || st.Containers[0].State != runtime.StateRunning {
		t.Fatalf("after non-essential exit: %s, want task and web RUNNING", describe(st))
	}
	h.waitHTTP(st.Containers[0].Ports[0].HostPort, "/")
}

// testStopGraceful: Stop delivers SIGTERM, the app exits 0 long before
// the default 30s StopTimeout; stopping again is a no-op.
func testStopGraceful(t *testing.T, h *harness) {
	id := h.id("stop")
	h.start(h.webSpec(id, nil))
	st := h.waitState(id, runtime.StateRunning)
	h.waitHTTP(st.Containers[0].Ports[0].HostPort, "/")
	begin := time.Now()
	if err := h.d.Stop(h.ctx(), id); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st = h.waitState(id, runtime.StateStopped)
	if elapsed := time.Since(begin); elapsed > 20*time.Second {
		t.Errorf("stopping took %s; SIGTERM seems not delivered", elapsed)
	}
	if c := st.Containers[0]; c.ExitCode == nil || *c.ExitCode != 0 {
		t.Errorf("after SIGTERM: %s, want exit code 0", describe(st))
	}
	if st.StoppedReason == "" {
		t.Errorf("StoppedReason is empty")
	}
	if err := h.d.Stop(h.ctx(), id); err != nil {
		t.Errorf("Stop again = %v, want nil", err)
	}
	if out := h.logs(id, "web", 0); !strings.Contains(out, "got SIGTERM") {
		t.Errorf("log does not show SIGTERM received:\n%s", out)
	}
}

// testStopKill: a container that ignores SIGTERM is killed once its
// StopTimeout has passed.
func testStopKill(t *testing.T, h *harness) {
	id := h.id("kill")
	spec := h.webSpec(id, map[string]string{EnvIgnoreSIGTERM: "1"})
	spec.Containers[0].StopTimeout = time.Second
	h.start(spec)
	st := h.waitState(id, runtime.StateRunning)
	h.waitHTTP(st.Containers[0].Ports[0].HostPort, "/")
	begin := time.Now()
	if err := h.d.Stop(h.ctx(), id); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	st = h.waitState(id, runtime.StateStopped)
	if elapsed := time.Since(begin); elapsed < 900*time.Millisecond {
		t.Errorf("stopped after %s, before the 1s StopTimeout", elapsed)
	}
	if c := st.Containers[0]; c.ExitCode == nil || *c.ExitCode != 137 {
		t.Errorf("after SIGKILL: %s, want exit code 137", describe(st))
	}
	if out := h.logs(id, "web", 0); !strings.Contains(out, "ignoring SIGTERM") {
		t.Errorf("log does not show SIGTERM ignored:\n%s", out)
	}
}

// testLogs: Logs returns stdout and stderr, bounded by maxBytes.
func testLogs(t *testing.T, h *harness) {
	id := h.id("logs")
	h.start(runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{
		h.app.Container("talker", nil, "echo", "hello logs"),
	}})
	full := h.waitLogs(id, "talker", "stdout: hello logs", "stderr: hello logs")
	tail := h.logs(id, "talker", 5)
	if len(tail) > 5 || !strings.HasSuffix(full, tail) || tail == "" {
		t.Errorf("Logs(maxBytes=5) = %q; want a non-empty suffix of at most 5 bytes of %q", tail, full)
	}
	var buf bytes.Buffer
	if err := h.d.Logs(h.ctx(), id, "nosuch", 0, &buf); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Logs(unknown container) = %v, want ErrTaskNotFound", err)
	}
}
