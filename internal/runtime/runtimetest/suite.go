package runtimetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// Timing of the suite: generous bounds, short polls.
const (
	waitTimeout  = 30 * time.Second
	pollInterval = 50 * time.Millisecond
	startTimeout = 60 * time.Second
	testTimeout  = 5 * time.Minute
)

// App describes how a driver runs the test app (see AppMain) in a
// container.
type App struct {
	// Command returns the argv that runs the app with args, which start
	// with the mode, e.g. Command("serve").
	Command func(args ...string) []string
	// Env is added to the environment of every container running the app
	// (below the variables a test sets).
	Env map[string]string
	// Image is set as the image of every container running the app.
	Image string
	// Shell reports whether /bin/sh is available where health checks
	// run, enabling the CMD-SHELL tests.
	Shell bool
	// Host is the address at which host ports are reached; default
	// 127.0.0.1.
	Host string
	// Skip names cases the driver cannot pass, each with why (something
	// its platform cannot express); they are reported as skipped.
	Skip map[string]string
}

// SelfApp describes a test binary that calls AppMain from TestMain: the
// app is the binary itself, re-executed with AppEnv set. The race
// detector's one-second pause at exit is turned off for the app (and its
// health checks), which keeps the suite fast under -race.
func SelfApp(t testing.TB) App {
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test executable: %v", err)
	}
	return App{
		Command: func(args ...string) []string { return append([]string{exe}, args...) },
		Env: map[string]string{
			AppEnv:   "1",
			"GORACE": strings.TrimSpace(os.Getenv("GORACE") + " atexit_sleep_ms=0"),
		},
		Shell: true,
	}
}

// Container returns a spec of a container named name running the app
// with args, with env added to its environment. It is essential.
func (a App) Container(name string, env map[string]string, args ...string) runtime.ContainerSpec {
	e := maps.Clone(a.Env)
	if e == nil {
		e = make(map[string]string)
	}
	maps.Copy(e, env)
	return runtime.ContainerSpec{
		Name:      name,
		Image:     a.Image,
		Command:   a.Command(args...),
		Env:       e,
		Essential: true,
	}
}

// NewDriver returns a driver for one subtest. Each call should return a
// driver with its own state (a fresh state directory, namespace...), and
// register with t.Cleanup whatever cleanup the driver needs.
type NewDriver func(t *testing.T) runtime.Driver

// Run runs the conformance suite against the drivers newDriver returns,
// with the test app run as app describes. Subtests run in parallel, each
// with its own driver; every task a subtest starts is stopped and removed
// when it ends.
func Run(t *testing.T, newDriver NewDriver, app App) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"StartInspect", testStartInspect},
		{"StartIdempotent", testStartIdempotent},
		{"Environment", testEnvironment},
		{"List", testList},
		{"Remove", testRemove},
		{"UnknownTask", testUnknownTask},
		{"InvalidSpec", testInvalidSpec},
		{"CommandNotFound", testCommandNotFound},
		{"EssentialExit", testEssentialExit},
		{"NonEssentialExit", testNonEssentialExit},
		{"StopGraceful", testStopGraceful},
		{"StopKillAfterTimeout", testStopKill},
		{"Logs", testLogs},
		{"HealthNone", testHealthNone},
		{"HealthHealthy", testHealthHealthy},
		{"HealthUnhealthy", testHealthUnhealthy},
		{"HealthStartPeriod", testHealthStartPeriod},
		{"HealthTimeout", testHealthTimeout},
		{"HealthShell", testHealthShell},
		{"DependsOnOrder", testDependsOnOrder},
		{"DependsOnUnmet", testDependsOnUnmet},
		{"DependsOnStopWaiting", testDependsOnStopWaiting},
		{"DependsOnStopOrder", testDependsOnStopOrder},
		{"Watch", testWatch},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if why, ok := app.Skip[tc.name]; ok {
				t.Skip(why)
			}
			t.Parallel()
			tc.fn(t, &harness{t: t, d: newDriver(t), app: app, prefix: taskPrefix(t)})
		})
	}
}

// harness is one subtest's driver with helpers.
type harness struct {
	t      *testing.T
	d      runtime.Driver
	app    App
	prefix string

	mu      sync.Mutex
	callCtx context.Context
	cleaned map[string]bool
}

// sub returns a harness for t, a subtest, over the same driver.
func (h *harness) sub(t *testing.T) *harness {
	return &harness{t: t, d: h.d, app: h.app, prefix: taskPrefix(t)}
}

// taskPrefix is a short, unique, file-name-safe prefix for task IDs.
func taskPrefix(t *testing.T) string {
	name := t.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, name)
	if len(name) > 24 {
		name = name[:24]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "rt-" + name + "-" + hex.EncodeToString(b[:])
}

// id returns a task ID unique to this subtest.
func (h *harness) id(suffix string) string { return h.prefix + "-" + suffix }

// ctx returns the context for the subtest's driver calls. It is not
// t.Context(), which is canceled before the cleanups that stop tasks.
func (h *harness) ctx() context.Context {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.callCtx == nil {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		h.t.Cleanup(cancel)
		h.callCtx = ctx
	}
	return h.callCtx
}

// start starts spec, failing the test on error, and makes sure the task
// is stopped and removed when the test ends.
func (h *harness) start(spec runtime.TaskSpec) runtime.TaskStatus {
	h.t.Helper()
	h.cleanup(spec.ID)
	st, err := h.d.Start(h.ctx(), spec)
	if err != nil {
		h.t.Fatalf("Start(%s): %v", spec.ID, err)
	}
	if st.ID != spec.ID {
		h.t.Errorf("Start(%s) returned status of task %q", spec.ID, st.ID)
	}
	if st.State != runtime.StatePending && st.State != runtime.StateRunning && st.State != runtime.StateStopped {
		h.t.Errorf("Start(%s) state = %q", spec.ID, st.State)
	}
	return st
}

// cleanup registers, once per task, stopping and removing it at the end.
func (h *harness) cleanup(id string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.cleaned == nil {
		h.cleaned = make(map[string]bool)
	}
	if h.cleaned[id] {
		return
	}
	h.cleaned[id] = true
	h.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), runtime.DefaultStopTimeout+waitTimeout+startTimeout)
		defer cancel()
		if err := h.d.Stop(ctx, id); errors.Is(err, runtime.ErrTaskNotFound) {
			return
		} else if err != nil {
			h.t.Errorf("cleanup: Stop(%s): %v", id, err)
		}
		// A stop that comes as the task starts may reach a process
		// before it handles SIGTERM; as PID 1 of a container it ignores
		// it, and only the kill after the stop timeout (30 s by default)
		// ends it.
		deadline := time.Now().Add(runtime.DefaultStopTimeout + waitTimeout)
		for {
			st, err := h.d.Inspect(ctx, id)
			if err != nil || st.State == runtime.StateStopped || time.Now().After(deadline) {
				break
			}
			time.Sleep(pollInterval)
		}
		if err := h.d.Remove(ctx, id); err != nil {
			h.t.Errorf("cleanup: Remove(%s): %v", id, err)
		}
	})
}

// inspect returns the task's status, failing the test on error.
func (h *harness) inspect(id string) runtime.TaskStatus {
	h.t.Helper()
	st, err := h.d.Inspect(h.ctx(), id)
	if err != nil {
		h.t.Fatalf("Inspect(%s): %v", id, err)
	}
	return st
}

// waitFor polls the task until cond holds, failing the test after
// waitTimeout with what desc says was expected.
func (h *harness) waitFor(id, desc string, cond func(runtime.TaskStatus) bool) runtime.TaskStatus {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		st := h.inspect(id)
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("task %s: timed out waiting for %s; last status: %s", id, desc, describe(st))
		}
		time.Sleep(pollInterval)
	}
}

// waitState waits until the task is in state.
func (h *harness) waitState(id string, state runtime.State) runtime.TaskStatus {
	h.t.Helper()
	return h.waitFor(id, "state "+string(state), func(st runtime.TaskStatus) bool { return st.State == state })
}

// waitHealth waits until container i of the task reports health.
func (h *harness) waitHealth(id string, i int, health runtime.Health) runtime.TaskStatus {
	h.t.Helper()
	return h.waitFor(id, fmt.Sprintf("container %d %s", i, health), func(st runtime.TaskStatus) bool {
		return len(st.Containers) > i && st.Containers[i].Health == health
	})
}

// url returns the URL of path on a host port.
func (h *harness) url(port int, path string) string {
	host := h.app.Host
	if host == "" {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(port)) + path
}

// get fetches path from a host port once.
func (h *harness) get(port int, path string) (int, string, error) {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(h.url(port, path))
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// waitHTTP polls path on a host port until it answers 200 and returns
// the body.
func (h *harness) waitHTTP(port int, path string) string {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		code, body, err := h.get(port, path)
		if err == nil && code == http.StatusOK {
			return body
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("GET %s: timed out waiting for 200; last: code %d, err %v", h.url(port, path), code, err)
		}
		time.Sleep(pollInterval)
	}
}

// logs returns a container's log tail, failing the test on error.
func (h *harness) logs(id, container string, maxBytes int64) string {
	h.t.Helper()
	var buf bytes.Buffer
	if err := h.d.Logs(h.ctx(), id, container, maxBytes, &buf); err != nil {
		h.t.Fatalf("Logs(%s, %s): %v", id, container, err)
	}
	return buf.String()
}

// waitLogs waits until the container's log contains every one of want.
func (h *harness) waitLogs(id, container string, want ...string) string {
	h.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		out := h.logs(id, container, 0)
		if !slices.ContainsFunc(want, func(w string) bool { return !strings.Contains(out, w) }) {
			return out
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("logs of %s/%s: timed out waiting for %q; got:\n%s", id, container, want, out)
		}
		time.Sleep(pollInterval)
	}
}

// describe formats a status for failure messages.
func describe(st runtime.TaskStatus) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s", st.ID, st.State)
	if st.StoppedReason != "" {
		fmt.Fprintf(&b, " (%s)", st.StoppedReason)
	}
	for _, c := range st.Containers {
		fmt.Fprintf(&b, "; %s %s health=%s", c.Name, c.State, c.Health)
		if c.ExitCode != nil {
			fmt.Fprintf(&b, " exit=%d", *c.ExitCode)
		}
		if c.Reason != "" {
			fmt.Fprintf(&b, " reason=%q", c.Reason)
		}
	}
	return b.String()
}
