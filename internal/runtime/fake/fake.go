// Package fake is an in-memory runtime.Driver for tests of the code
// above the runtime. Nothing runs: each container's behaviour is set by
// environment variables in its spec, so a test's task definition says how
// its tasks fail:
//
//	FAKE_START_PASSES=N   stays PENDING for N inspections before RUNNING
//	FAKE_EXIT_AFTER=N     exits (code FAKE_EXIT_CODE, default 1) after N inspections while RUNNING
//	FAKE_HEALTH=H         health reported once RUNNING: HEALTHY (default when a health check is set) or UNHEALTHY
//	FAKE_START_ERROR=msg  Start fails with runtime.ErrInvalidSpec
//
// Stop takes effect at once.
package fake

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

var _ runtime.Driver = (*Driver)(nil)

// Driver is the fake driver. The zero value is not usable; call New.
type Driver struct {
	mu       sync.Mutex
	now      func() time.Time
	tasks    map[string]*task
	nextPort int
	// Starts counts Start calls that launched a task.
	Starts int
}

type task struct {
	spec     runtime.TaskSpec
	status   runtime.TaskStatus
	inspects int
}

// New returns an empty fake driver using clock now.
func New(now func() time.Time) *Driver {
	return &Driver{now: now, tasks: map[string]*task{}, nextPort: 30000}
}

func env(c runtime.ContainerSpec, key string) int {
	n, _ := strconv.Atoi(c.Env[key])
	return n
}

// Start implements runtime.Driver.
func (d *Driver) Start(_ context.Context, spec runtime.TaskSpec) (runtime.TaskStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.tasks[spec.ID]; ok {
		return t.status, nil
	}
	if len(spec.Containers) == 0 {
		return runtime.TaskStatus{}, fmt.Errorf("%w: no containers", runtime.ErrInvalidSpec)
	}
	for _, c := range spec.Containers {
		if msg := c.Env["FAKE_START_ERROR"]; msg != "" {
			return runtime.TaskStatus{}, fmt.Errorf("%w: %s", runtime.ErrInvalidSpec, msg)
		}
	}
	t := &task{spec: spec, status: runtime.TaskStatus{ID: spec.ID, State: runtime.StatePending}}
	for _, c := range spec.Containers {
		cs := runtime.ContainerStatus{Name: c.Name, State: runtime.StatePending, Health: runtime.HealthUnknown}
		for _, p := range c.Ports {
			if p.HostPort == 0 {
				p.HostPort = d.nextPort
				d.nextPort++
			}
			cs.Ports = append(cs.Ports, p)
		}
		t.status.Containers = append(t.status.Containers, cs)
	}
	d.tasks[spec.ID] = t
	d.Starts++
	d.advance(t)
	return t.status, nil
}

// advance moves a task along the behaviour its spec asks for.
func (d *Driver) advance(t *task) {
	if t.status.State == runtime.StateStopped {
		return
	}
	c0 := t.spec.Containers[0]
	if t.status.State == runtime.StatePending && t.inspects >= env(c0, "FAKE_START_PASSES") {
		t.status.State, t.status.StartedAt = runtime.StateRunning, d.now()
		t.inspects = 0
		for i, c := range t.spec.Containers {
			cs := &t.status.Containers[i]
			cs.State, cs.StartedAt = runtime.StateRunning, d.now()
			if c.HealthCheck != nil {
				cs.Health = runtime.HealthHealthy
				if h := c.Env["FAKE_HEALTH"]; h != "" {
					cs.Health = runtime.Health(h)
				}
			}
		}
		return
	}
	if exit := env(c0, "FAKE_EXIT_AFTER"); t.status.State == runtime.StateRunning && exit > 0 && t.inspects >= exit {
		code := 1
		if v, ok := c0.Env["FAKE_EXIT_CODE"]; ok {
			code, _ = strconv.Atoi(v)
		}
		d.stop(t, &code, "Essential container in task exited")
	}
}

func (d *Driver) stop(t *task, code *int, reason string) {
	t.status.State, t.status.StoppedAt, t.status.StoppedReason = runtime.StateStopped, d.now(), reason
	for i := range t.status.Containers {
		cs := &t.status.Containers[i]
		cs.State, cs.StoppedAt = runtime.StateStopped, d.now()
		c := 0
		if code != nil {
			c = *code
		}
		cs.ExitCode = &c
	}
}

// Inspect implements runtime.Driver.
func (d *Driver) Inspect(_ context.Context, id string) (runtime.TaskStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return runtime.TaskStatus{}, runtime.ErrTaskNotFound
	}
	t.inspects++
	d.advance(t)
	return t.status, nil
}

// List implements runtime.Driver.
func (d *Driver) List(context.Context) ([]runtime.TaskStatus, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []runtime.TaskStatus
	for _, t := range d.tasks {
		out = append(out, t.status)
	}
	return out, nil
}

// Stop implements runtime.Driver.
func (d *Driver) Stop(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	t, ok := d.tasks[id]
	if !ok {
		return runtime.ErrTaskNotFound
	}
	if t.status.State != runtime.StateStopped {
		d.stop(t, nil, "Task stopped")
	}
	return nil
}

// Remove implements runtime.Driver.
func (d *Driver) Remove(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if t, ok := d.tasks[id]; ok && t.status.State != runtime.StateStopped {
		return runtime.ErrTaskRunning
	}
	delete(d.tasks, id)
	return nil
}

// Logs implements runtime.Driver; fake containers write nothing.
func (d *Driver) Logs(_ context.Context, id, _ string, _ int64, _ io.Writer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.tasks[id]; !ok {
		return runtime.ErrTaskNotFound
	}
	return nil
}

// Running returns the IDs of the tasks that are not stopped.
func (d *Driver) Running() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	var ids []string
	for id, t := range d.tasks {
		if t.status.State != runtime.StateStopped {
			ids = append(ids, id)
		}
	}
	return ids
}
