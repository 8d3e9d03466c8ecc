package runtimetest

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/cutover/cutover/internal/runtime"
)

// webSpec is a task with one essential container "web" serving HTTP,
// with a port mapping for container port 8080.
func (h *harness) webSpec(id string, env map[string]string) runtime.TaskSpec {
	c := h.app.Container("web", env, "serve")
	c.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	return runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{c}}
}

// testStartInspect: a started task runs, reports a host port and serves
// on it.
func testStartInspect(t *testing.T, h *harness) {
	id := h.id("web")
	st := h.start(h.webSpec(id, nil))
	if len(st.Containers) != 1 || st.Containers[0].Name != "web" {
		t.Fatalf("Start status containers = %+v, want one named web", st.Containers)
	}
	if ports := st.Containers[0].Ports; len(ports) != 1 || ports[0].ContainerPort != 8080 || ports[0].HostPort == 0 {
		t.Fatalf("Start status ports = %+v, want container port 8080 with a host port", ports)
	}
	st = h.waitState(id, runtime.StateRunning)
	c := st.Containers[0]
	if c.State != runtime.StateRunning {
		t.Errorf("container state = %s, want RUNNING", c.State)
	}
	if c.ExitCode != nil {
		t.Errorf("running container has exit code %d", *c.ExitCode)
	}
	if c.StartedAt.IsZero() || st.StartedAt.IsZero() {
		t.Errorf("StartedAt not set: task %v, container %v", st.StartedAt, c.StartedAt)
	}
	if body := h.waitHTTP(c.Ports[0].HostPort, "/"); strings.TrimSpace(body) != "ok" {
		t.Errorf("GET / = %q, want ok", body)
	}
}

// testStartIdempotent: starting a known ID, even concurrently, launches
// nothing and returns the same task.
func testStartIdempotent(t *testing.T, h *harness) {
	id := h.id("idem")
	spec := h.webSpec(id, nil)
	h.cleanup(id)
	const n = 4
	statuses := make([]runtime.TaskStatus, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { statuses[i], errs[i] = h.d.Start(h.ctx(), spec) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("concurrent Start %d: %v", i, errs[i])
		}
	}
	port := statuses[0].Containers[0].Ports[0].HostPort
	for i, st := range statuses {
		if got := st.Containers[0].Ports[0].HostPort; got != port {
			t.Errorf("concurrent Start %d host port = %d, want %d", i, got, port)
		}
	}
	first := h.waitState(id, runtime.StateRunning)
	again := h.start(spec)
	if again.Containers[0].PID != first.Containers[0].PID || again.Containers[0].Ports[0].HostPort != port {
		t.Errorf("Start again: pid %d port %d, want pid %d port %d", again.Containers[0].PID,
			again.Containers[0].Ports[0].HostPort, first.Containers[0].PID, port)
	}
	list, err := h.d.List(h.ctx())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	count := 0
	for _, st := range list {
		if st.ID == id {
			count++
		}
	}
	if count != 1 {
		t.Errorf("List has task %s %d times, want 1", id, count)
	}
	h.waitHTTP(port, "/")
}

// testEnvironment: the container gets its Env and PORT variables.
func testEnvironment(t *testing.T, h *harness) {
	id := h.id("env")
	env := map[string]string{"FOO": "bar", "WITH_EQUALS": "a=b c"}
	spec := h.webSpec(id, env)
	spec.Containers[0].Ports = append(spec.Containers[0].Ports, runtime.PortMapping{ContainerPort: 9090})
	h.start(spec)
	st := h.waitState(id, runtime.StateRunning)
	port := st.Containers[0].Ports[0].HostPort
	h.waitHTTP(port, "/")
	for name, want := range env {
		if got := h.waitHTTP(port, "/env/"+name); got != want {
			t.Errorf("$%s = %q, want %q", name, got, want)
		}
	}
	p, p8080, p9090 := h.waitHTTP(port, "/env/PORT"), h.waitHTTP(port, "/env/PORT_8080"), h.waitHTTP(port, "/env/PORT_9090")
	if p == "" || p != p8080 {
		t.Errorf("$PORT = %q, $PORT_8080 = %q; want equal and set", p, p8080)
	}
	if p9090 == "" || p9090 == p {
		t.Errorf("$PORT_9090 = %q, want set and different from $PORT %q", p9090, p)
	}
	if code, _, err := h.get(port, "/env/CUTOVER_NO_SUCH_VARIABLE"); err != nil || code != 404 {
		t.Errorf("unset variable: code %d err %v, want 404", code, err)
	}
}

// testList: List reports every task; concurrently started tasks get
// distinct host ports.
func testList(t *testing.T, h *harness) {
	const n = 3
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		ids[i] = h.id(fmt.Sprintf("list%d", i))
		spec := h.webSpec(ids[i], nil)
		spec.Containers[0].Ports = append(spec.Containers[0].Ports, runtime.PortMapping{ContainerPort: 9090})
		h.cleanup(ids[i])
		wg.Go(func() {
			if _, err := h.d.Start(h.ctx(), spec); err != nil {
				t.Errorf("Start(%s): %v", spec.ID, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	list, err := h.d.List(h.ctx())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	seen := make(map[string]bool)
	ports := make(map[int]string)
	for _, st := range list {
		seen[st.ID] = true
		for _, c := range st.Containers {
			for _, p := range c.Ports {
				if other, dup := ports[p.HostPort]; dup {
					t.Errorf("host port %d given to %s and %s", p.HostPort, other, st.ID)
				}
				ports[p.HostPort] = st.ID
			}
		}
	}
	for _, id := range ids {
		if !seen[id] {
			t.Errorf("List does not report task %s", id)
		}
	}
}

// testRemove: a running task cannot be removed; a stopped one can, after
// which it is unknown; removing it again is a no-op.
func testRemove(t *testing.T, h *harness) {
	id := h.id("rm")
	h.start(h.webSpec(id, nil))
	if err := h.d.Remove(h.ctx(), id); !errors.Is(err, runtime.ErrTaskRunning) {
		t.Fatalf("Remove(running) = %v, want ErrTaskRunning", err)
	}
	if err := h.d.Stop(h.ctx(), id); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	h.waitState(id, runtime.StateStopped)
	if err := h.d.Remove(h.ctx(), id); err != nil {
		t.Fatalf("Remove(stopped): %v", err)
	}
	if _, err := h.d.Inspect(h.ctx(), id); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Inspect after Remove = %v, want ErrTaskNotFound", err)
	}
	if err := h.d.Remove(h.ctx(), id); err != nil {
		t.Errorf("Remove again = %v, want nil", err)
	}
	list, err := h.d.List(h.ctx())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	for _, st := range list {
		if st.ID == id {
			t.Errorf("List still reports removed task %s", id)
		}
	}
}

// testUnknownTask: operations on an unknown ID.
func testUnknownTask(t *testing.T, h *harness) {
	id := h.id("nosuch")
	if _, err := h.d.Inspect(h.ctx(), id); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Inspect = %v, want ErrTaskNotFound", err)
	}
	if err := h.d.Stop(h.ctx(), id); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Stop = %v, want ErrTaskNotFound", err)
	}
	if err := h.d.Remove(h.ctx(), id); err != nil {
		t.Errorf("Remove = %v, want nil", err)
	}
	if err := h.d.Logs(h.ctx(), id, "web", 0, &strings.Builder{}); !errors.Is(err, runtime.ErrTaskNotFound) {
		t.Errorf("Logs = %v, want ErrTaskNotFound", err)
	}
}

// testInvalidSpec: specs no driver can run are refused with
// ErrInvalidSpec and leave nothing behind.
func testInvalidSpec(t *testing.T, h *harness) {
	ok := h.app.Container("web", nil, "sleep")
	dup := []runtime.ContainerSpec{ok, ok}
	unnamed := ok
	unnamed.Name = ""
	badCheck := ok
	badCheck.HealthCheck = &runtime.HealthCheck{Command: []string{"BOGUS", "true"}}
	for _, tc := range []struct {
		name string
		spec runtime.TaskSpec
	}{
		{"no containers", runtime.TaskSpec{ID: h.id("empty")}},
		{"duplicate names", runtime.TaskSpec{ID: h.id("dup"), Containers: dup}},
		{"unnamed container", runtime.TaskSpec{ID: h.id("unnamed"), Containers: []runtime.ContainerSpec{unnamed}}},
		{"bad health check", runtime.TaskSpec{ID: h.id("badcheck"), Containers: []runtime.ContainerSpec{badCheck}}},
		{"empty id", runtime.TaskSpec{ID: "", Containers: []runtime.ContainerSpec{ok}}},
		{"path id", runtime.TaskSpec{ID: "../" + h.id("escape"), Containers: []runtime.ContainerSpec{ok}}},
		{"slash id", runtime.TaskSpec{ID: "a/" + h.id("b"), Containers: []runtime.ContainerSpec{ok}}},
		{"dot id", runtime.TaskSpec{ID: "..", Containers: []runtime.ContainerSpec{ok}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.cleanup(tc.spec.ID)
			_, err := h.d.Start(h.ctx(), tc.spec)
			if !errors.Is(err, runtime.ErrInvalidSpec) {
				t.Fatalf("Start = %v, want ErrInvalidSpec", err)
			}
			if _, err := h.d.Inspect(h.ctx(), tc.spec.ID); !errors.Is(err, runtime.ErrTaskNotFound) {
				t.Errorf("Inspect after refused Start = %v, want ErrTaskNotFound", err)
			}
		})
	}
}

// testCommandNotFound: a container whose command cannot be executed ends
// the task (it is essential) with a reason, instead of hanging.
func testCommandNotFound(t *testing.T, h *harness) {
	id := h.id("notfound")
	c := h.app.Container("ghost", nil)
	c.Command = []string{"/nonexistent/cutover-runtimetest/no-such-binary", "arg"}
	h.start(runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{c}})
	st := h.waitState(id, runtime.StateStopped)
	cs := st.Containers[0]
	if cs.State != runtime.StateStopped {
		t.Errorf("container state = %s, want STOPPED", cs.State)
	}
	if cs.Reason == "" {
		t.Errorf("container reason is empty; want why it could not start (%s)", describe(st))
	}
	if st.StoppedReason == "" {
		t.Errorf("task stopped reason is empty")
	}
}
