package process

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// Inspect returns the task's status. See runtime.Driver.
func (d *Driver) Inspect(ctx context.Context, id string) (runtime.TaskStatus, error) {
	if err := ctx.Err(); err != nil {
		return runtime.TaskStatus{}, fmt.Errorf("inspect task %q: %w", id, err)
	}
	st, err := d.inspect(id)
	if err != nil {
		return runtime.TaskStatus{}, fmt.Errorf("inspect task %q: %w", id, err)
	}
	return st, nil
}

// List returns the status of every task in the state directory, sorted by
// ID. See runtime.Driver.
func (d *Driver) List(ctx context.Context) ([]runtime.TaskStatus, error) {
	ids, err := d.taskIDs()
	if err != nil {
		return nil, fmt.Errorf("list tasks: %w", err)
	}
	out := make([]runtime.TaskStatus, 0, len(ids))
	for _, id := range ids {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("list tasks: %w", err)
		}
		st, err := d.inspect(id)
		if isTaskNotFound(err) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("list tasks: task %q: %w", id, err)
		}
		out = append(out, st)
	}
	return out, nil
}

// inspect reads the task's status from its directory. A task whose shim
// died before writing a final state is finalized here: its leftover
// processes are killed and it is recorded as stopped.
func (d *Driver) inspect(id string) (runtime.TaskStatus, error) {
	if !runtime.ValidName(id) {
		return runtime.TaskStatus{}, runtime.ErrTaskNotFound
	}
	p := d.paths(id)
	var tf taskFile
	if err := readJSON(p.spec(), &tf); err != nil {
		if isNotExist(err) {
			return runtime.TaskStatus{}, runtime.ErrTaskNotFound
		}
		return runtime.TaskStatus{}, err
	}
	alive, probe, err := probeShim(p.lock())
	if err != nil {
		return runtime.TaskStatus{}, err
	}
	if !alive {
		defer probe.close()
		return d.finalizeDead(id, p, tf)
	}
	sf, ok := d.readState(p)
	if !ok {
		return initialStatus(tf.Spec), nil
	}
	return sf.Status, nil
}

// readState reads the task's state file; ok is false if there is none
// (yet) or it cannot be decoded.
func (d *Driver) readState(p taskPaths) (stateFile, bool) {
	var sf stateFile
	if err := readJSON(p.state(), &sf); err != nil {
		if !isNotExist(err) {
			d.logger.Warn("read task state", "dir", p.dir, "err", err)
		}
		return stateFile{}, false
	}
	return sf, true
}

// finalizeDead returns the status of a task whose shim is not running.
// If the shim finished normally that is its final state. Otherwise the
// shim died: every container still recorded as running has its process
// group killed, as has whatever else remains in the shim's session, and
// the task is recorded as stopped with reasonShimDied.
// The caller holds a lock probe showing the shim dead.
func (d *Driver) finalizeDead(id string, p taskPaths, tf taskFile) (runtime.TaskStatus, error) {
	d.reconcileMu.Lock()
	defer d.reconcileMu.Unlock()
	sf, ok := d.readState(p)
	if ok && sf.Finished {
		return sf.Status, nil
	}
	if !ok {
		sf = stateFile{Version: stateVersion, Status: initialStatus(tf.Spec)}
	}
	logger := d.logger.With("task", id)
	now := time.Now().UTC()
	for i := range sf.Status.Containers {
		c := &sf.Status.Containers[i]
		if c.State == runtime.StateStopped {
			continue
		}
		if i < len(sf.Procs) && killLeftoverGroup(sf.Procs[i]) {
			logger.Warn("killed leftover container process group", "container", c.Name, "pgid", sf.Procs[i].PID)
		}
		if c.State == runtime.StateRunning {
			c.Reason = "Container killed: task supervisor (shim) died"
		} else {
			c.Reason = reasonNotStarted
		}
		c.State = runtime.StateStopped
		c.StoppedAt = now
	}
	if n := killLeftoverSession(sf.ShimPID, sf.ShimStartTicks); n > 0 {
		logger.Warn("killed leftover processes of the dead shim's session", "count", n)
	}
	sf.Status.State = runtime.StateStopped
	sf.Status.StoppedReason = reasonShimDied
	sf.Status.StoppedAt = now
	sf.Finished = true
	sf.Launched = true
	if err := writeJSON(p.state(), sf); err != nil {
		if stillThere, _ := fileExists(p.spec()); !stillThere {
			return runtime.TaskStatus{}, runtime.ErrTaskNotFound
		}
		return runtime.TaskStatus{}, fmt.Errorf("record dead shim: %w", err)
	}
	logger.Warn("task supervisor died without a final state; task recorded as stopped")
	return sf.Status, nil
}

// initialStatus is the status of a task none of whose containers has
// been started yet.
func initialStatus(spec runtime.TaskSpec) runtime.TaskStatus {
	st := runtime.TaskStatus{
		ID:         spec.ID,
		State:      runtime.StatePending,
		Containers: make([]runtime.ContainerStatus, len(spec.Containers)),
	}
	for i, c := range spec.Containers {
		st.Containers[i] = runtime.ContainerStatus{
			Name:   c.Name,
			State:  runtime.StatePending,
			Health: runtime.HealthUnknown,
			Ports:  slices.Clone(c.Ports),
		}
	}
	return st
}
