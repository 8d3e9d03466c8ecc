package controller

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// syncTasks moves every task that is not STOPPED one or more steps
// through its lifecycle.
func (c *Controller) syncTasks(ctx context.Context) {
	var live []*state.Task
	seen := make(map[string]seenTask, len(c.seen))
	err := state.View(ctx, c.store, func(tx state.Tx) error {
		return tx.TaskDigests(func(cluster, id string, digest uint64, decode func() (*state.Task, error)) error {
			key := cluster + "/" + id
			s, ok := c.seen[key]
			if !ok || s.digest != digest {
				t, err := decode()
				if err != nil {
					return err
				}
				s = seenTask{digest: digest, task: t}
			}
			seen[key] = s
			if s.task.LastStatus != state.TaskStopped {
				live = append(live, s.task)
			}
			return nil
		})
	})
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("list tasks", "err", err)
		}
		return
	}
	var mu sync.Mutex
	forEach(live, func(t *state.Task) {
		// A task walks through the steps that need no waiting in one go.
		for range 6 {
			progressed, err := c.stepTask(ctx, t)
			if err != nil {
				if ctx.Err() == nil {
					c.log.Error("sync task", "task", t.TaskArn, "err", err)
				}
				// *t may hold changes that were not stored: the next
				// pass decodes the task afresh.
				mu.Lock()
				delete(seen, state.LastPart(t.ClusterArn)+"/"+t.ID)
				mu.Unlock()
				break
			}
			if !progressed {
				break
			}
		}
	})
	c.seen = seen
}

// seenTask is a task as the last pass left it, and the digest of its
// stored bytes when that pass read it. While the digest stays the same,
// the record has not changed and the pass's copy stands for it: a steady
// task is not decoded on every pass. A step that fails drops the copy.
type seenTask struct {
	digest uint64
	task   *state.Task
}

// stepTask does the next step of a task's lifecycle and reports whether
// the task moved on (so that the following step may be tried at once).
func (c *Controller) stepTask(ctx context.Context, t *state.Task) (bool, error) {
	if t.DesiredStatus == state.TaskRunning {
		switch t.LastStatus {
		case state.TaskProvisioning:
			return c.startTask(ctx, t)
		case state.TaskRunning:
			if registered, err := c.registerTargets(ctx, t); registered || err != nil {
				return false, err
			}
			return c.observeTask(ctx, t)
		default:
			return c.observeTask(ctx, t)
		}
	}
	switch t.LastStatus {
	case state.TaskProvisioning, state.TaskPending, state.TaskRunning, state.TaskDeactivating:
		// The load balancer stops sending it requests and lets the ones
		// in flight finish; then the processes are told to stop.
		if wait, err := c.drainTargets(ctx, t); wait || err != nil {
			return false, err
		}
		if err := c.driverOf(t).Stop(ctx, t.ID); err != nil && !errors.Is(err, runtime.ErrTaskNotFound) {
			return false, fmt.Errorf("stop task %s: %w", t.ID, err)
		}
		return c.updateTask(ctx, t, func(t *state.Task) { t.LastStatus = state.TaskStopping })
	case state.TaskStopping:
		st, err := c.driverOf(t).Inspect(ctx, t.ID)
		if errors.Is(err, runtime.ErrTaskNotFound) {
			return c.updateTask(ctx, t, func(t *state.Task) { t.LastStatus = state.TaskDeprovisioning })
		}
		if err != nil {
			return false, fmt.Errorf("inspect task %s: %w", t.ID, err)
		}
		if st.State != runtime.StateStopped {
			return c.updateTask(ctx, t, func(t *state.Task) { applyStatus(t, st) })
		}
		return c.updateTask(ctx, t, func(t *state.Task) {
			applyStatus(t, st)
			t.LastStatus = state.TaskDeprovisioning
		})
	case state.TaskDeprovisioning:
		// A task that died on its own skipped draining: its targets go now.
		if _, err := c.drainTargets(ctx, t); err != nil {
			return false, err
		}
		if err := c.driverOf(t).Remove(ctx, t.ID); err != nil {
			return false, fmt.Errorf("remove task %s: %w", t.ID, err)
		}
		now := c.now()
		return c.updateTask(ctx, t, func(t *state.Task) {
			t.LastStatus = state.TaskStopped
			t.StoppedAt, t.ExecutionStoppedAt = ecs.TimeOf(now), ecs.TimeOf(now)
			for i := range t.Containers {
				t.Containers[i].LastStatus = state.TaskStopped
			}
		})
	}
	return false, nil
}

// taskFailure is an error that fails the task it concerns rather than
// the controller's step: its message is the task's stoppedReason.
type taskFailure struct{ reason string }

func (e *taskFailure) Error() string { return e.reason }

// startTask launches a PROVISIONING task on its runtime. A task that
// cannot start fails (stop code TaskFailedToStart): one whose runtime has
// no driver, whose environment files cannot be read, whose spec the
// driver refuses, or whose driver cannot reach what runs containers.
func (c *Controller) startTask(ctx context.Context, t *state.Task) (bool, error) {
	var td *ecs.TaskDefinition
	err := c.store.View(ctx, func(tx store.Tx) (err error) {
		td, err = state.Tx{Tx: tx}.ResolveTaskDefinition(t.TaskDefinitionArn)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("start task %s: %w", t.ID, err)
	}
	st, err := c.start(ctx, t, td)
	var failure *taskFailure
	switch {
	case errors.As(err, &failure):
	case errors.Is(err, runtime.ErrInvalidSpec), errors.Is(err, runtime.ErrUnavailable):
		failure = &taskFailure{reason: "CannotStartContainerError: " + err.Error()}
	case err != nil:
		return false, fmt.Errorf("start task %s: %w", t.ID, err)
	default:
		// The task may have existed already: one whose start a restart
		// cut short is reported as it is now, stopped perhaps.
		return c.recordStatus(ctx, t, st)
	}
	now := c.now()
	return c.updateTask(ctx, t, func(t *state.Task) {
		t.RequestStop(ecs.TaskStopCodeTaskFailedToStart, failure.reason, now)
		t.LastStatus, t.Failed = state.TaskDeprovisioning, true
	})
}

// start builds the spec of task t and starts it on its runtime's driver.
func (c *Controller) start(ctx context.Context, t *state.Task, td *ecs.TaskDefinition) (runtime.TaskStatus, error) {
	d, err := c.startDriver(t)
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	spec, err := taskSpec(t, td)
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	return d.Start(ctx, spec)
}

// observeTask refreshes a task that should run from the runtime, and
// notices when it stopped on its own.
func (c *Controller) observeTask(ctx context.Context, t *state.Task) (bool, error) {
	st, err := c.driverOf(t).Inspect(ctx, t.ID)
	if errors.Is(err, runtime.ErrTaskNotFound) {
		now := c.now()
		return c.updateTask(ctx, t, func(t *state.Task) {
			t.RequestStop(ecs.TaskStopCodeTaskFailedToStart, "Task is no longer known to the runtime", now)
			t.LastStatus, t.Failed = state.TaskDeprovisioning, true
		})
	}
	if err != nil {
		return false, fmt.Errorf("inspect task %s: %w", t.ID, err)
	}
	return c.recordStatus(ctx, t, st)
}

// recordStatus saves what the runtime reports of a task that should run;
// one that stopped on its own is failed and goes to be deprovisioned.
func (c *Controller) recordStatus(ctx context.Context, t *state.Task, st runtime.TaskStatus) (bool, error) {
	now := c.now()
	return c.updateTask(ctx, t, func(t *state.Task) {
		applyStatus(t, st)
		if st.State == runtime.StateStopped && t.DesiredStatus == state.TaskRunning {
			code := ecs.TaskStopCodeEssentialContainerExited
			if t.StartedAt == nil {
				code = ecs.TaskStopCodeTaskFailedToStart
			}
			t.RequestStop(code, st.StoppedReason, now)
			t.LastStatus, t.Failed = state.TaskDeprovisioning, true
		}
	})
}

// updateTask applies fn to the stored task and saves it if fn changed
// anything, refreshing *t. fn is tried on *t first: most passes change
// nothing, and then no write transaction (and no disk sync) is made. It
// reports whether the task's lastStatus changed. When it returns an
// error, *t may hold fn's changes without their being stored.
func (c *Controller) updateTask(ctx context.Context, t *state.Task, fn func(*state.Task)) (bool, error) {
	if changed, err := changes(t, fn); err != nil || !changed {
		return false, err
	}
	var progressed bool
	// Tasks stepped together share commits; the function only reads and
	// writes the transaction and *t, so it may run more than once.
	err := state.Batch(ctx, c.store, func(tx state.Tx) error {
		cur, err := tx.Task(state.LastPart(t.ClusterArn), t.ID)
		if err != nil {
			return err
		}
		status := cur.LastStatus
		changed, err := changes(cur, fn)
		if err != nil || !changed {
			*t = *cur
			return err
		}
		if progressed = cur.LastStatus != status; progressed {
			cur.Touch()
		}
		*t = *cur
		return tx.PutTask(cur)
	})
	return progressed, err
}

// changes applies fn to t and reports whether that changed t as stored
// (its JSON). It used to apply fn to a deep copy made by a JSON round
// trip and compare encodings, which at a thousand services was a third
// of the controller's CPU. Now what fn may change is copied (the record
// and its containers: fn assigns fields and replaces what they point
// to, it never writes through a pointer it found) and compared with
// reflect.DeepEqual; only when that sees a difference are the JSON forms
// compared, since a nil and an empty slice differ to DeepEqual and not
// once stored. Applying fn to t itself is safe because updateTask either
// finds nothing changed or replaces *t with the record it reads back in
// its write transaction.
func changes(t *state.Task, fn func(*state.Task)) (bool, error) {
	before := *t
	before.Containers = slices.Clone(t.Containers)
	fn(t)
	if reflect.DeepEqual(&before, t) {
		return false, nil
	}
	b, err := json.Marshal(&before)
	if err != nil {
		return false, err
	}
	a, err := json.Marshal(t)
	return !bytes.Equal(b, a), err
}

// applyStatus copies what the runtime observed onto a task record.
func applyStatus(t *state.Task, st runtime.TaskStatus) {
	if t.DesiredStatus == state.TaskRunning {
		switch st.State {
		case runtime.StatePending:
			t.LastStatus = state.TaskPending
		case runtime.StateRunning:
			t.LastStatus = state.TaskRunning
			if t.StartedAt == nil {
				t.StartedAt = ecs.TimeOf(st.StartedAt)
				t.Connectivity, t.ConnectivityAt = ecs.ConnectivityConnected, ecs.TimeOf(st.StartedAt)
			}
		}
	}
	for _, cs := range st.Containers {
		for i := range t.Containers {
			ct := &t.Containers[i]
			if ct.Name != cs.Name {
				continue
			}
			ct.LastStatus = string(cs.State)
			ct.HealthStatus = ecs.HealthStatus(cs.Health)
			ct.Reason = cs.Reason
			if cs.ExitCode != nil {
				ct.ExitCode = ecs.Int32(int32(*cs.ExitCode))
			}
			if cs.PID != 0 {
				ct.RuntimeId = strconv.Itoa(cs.PID)
			}
			ct.NetworkBindings = nil
			for _, p := range cs.Ports {
				// A pod's port is reached at the pod IP; the others at
				// the host's loopback.
				bindIP := p.BindIP
				if bindIP == "" {
					bindIP = "127.0.0.1"
				}
				ct.NetworkBindings = append(ct.NetworkBindings, ecs.NetworkBinding{
					BindIP:        bindIP,
					ContainerPort: ecs.Int32(int32(p.ContainerPort)),
					HostPort:      ecs.Int32(int32(p.HostPort)),
					Protocol:      ecs.TransportProtocol(protocol(p.Protocol)),
				})
			}
		}
	}
	t.HealthStatus = taskHealth(t)
}

func protocol(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}

// taskHealth derives a task's health from its health-checked essential
// containers: UNHEALTHY if any fails, HEALTHY once all pass, otherwise
// (and when none has a check) UNKNOWN.
func taskHealth(t *state.Task) ecs.HealthStatus {
	healthy := 0
	for _, ct := range t.Containers {
		if !slices.Contains(t.HealthChecked, ct.Name) {
			continue
		}
		switch ct.HealthStatus {
		case ecs.HealthStatusUnhealthy:
			return ecs.HealthStatusUnhealthy
		case ecs.HealthStatusHealthy:
			healthy++
		}
	}
	if healthy > 0 && healthy == len(t.HealthChecked) {
		return ecs.HealthStatusHealthy
	}
	return ecs.HealthStatusUnknown
}
