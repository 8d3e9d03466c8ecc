package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cutover/cutover/internal/ecs"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
)

// sweepOrphans stops and removes the runtime tasks that no live task
// record claims on that runtime: left over from a record that was lost
// or already finished. Every driver is swept, even when another fails;
// one that is unavailable is skipped.
func (c *Controller) sweepOrphans(ctx context.Context) error {
	// List before reading the records: a record is always committed
	// before its task is started, so a listed task's record is visible.
	listed := make(map[string][]runtime.TaskStatus, len(c.drivers))
	var errs []error
	for _, name := range c.runtimeNames() {
		sts, err := c.drivers[name].List(ctx)
		if errors.Is(err, runtime.ErrUnavailable) {
			// Nothing to sweep where nothing can run (say, no Docker
			// daemon on a host that only runs processes): not an error.
			c.log.Debug("runtime unavailable, not swept", "runtime", name, "err", err)
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("list %s runtime tasks: %w", name, err))
			continue
		}
		listed[name] = sts
	}
	claimed := map[string]string{} // task ID → runtime
	err := state.View(ctx, c.store, func(tx state.Tx) error {
		return tx.Tasks("", "", func(t *state.Task) error {
			if t.LastStatus != state.TaskStopped {
				claimed[t.ID] = t.RuntimeName()
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, name := range c.runtimeNames() {
		for _, st := range listed[name] {
			if claimed[st.ID] == name {
				continue
			}
			if err := c.cleanOrphan(ctx, name, st); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// cleanOrphan stops an orphaned task of runtime name, or removes it once
// it has stopped.
func (c *Controller) cleanOrphan(ctx context.Context, name string, st runtime.TaskStatus) error {
	c.log.Warn("cleaning up orphaned runtime task", "runtime", name, "task", st.ID, "state", st.State)
	d := c.drivers[name]
	if st.State != runtime.StateStopped {
		if err := d.Stop(ctx, st.ID); err != nil && !errors.Is(err, runtime.ErrTaskNotFound) {
			return fmt.Errorf("stop orphaned %s task %s: %w", name, st.ID, err)
		}
		return nil
	}
	if err := d.Remove(ctx, st.ID); err != nil {
		return fmt.Errorf("remove orphaned %s task %s: %w", name, st.ID, err)
	}
	return nil
}

// StoppedTaskRetention is how long a STOPPED task stays describable, as
// in ECS, before its record is deleted.
const StoppedTaskRetention = time.Hour

// pruneStopped deletes the records of tasks stopped longer ago than
// StoppedTaskRetention.
func (c *Controller) pruneStopped(ctx context.Context) error {
	cutoff := c.now().Add(-StoppedTaskRetention)
	var old []*state.Task
	err := state.View(ctx, c.store, func(tx state.Tx) error {
		return tx.Tasks("", "", func(t *state.Task) error {
			if t.LastStatus == state.TaskStopped && ecs.TimeValue(t.StoppedAt).Before(cutoff) {
				old = append(old, t)
			}
			return nil
		})
	})
	if err != nil || len(old) == 0 {
		return err
	}
	return state.Update(ctx, c.store, func(tx state.Tx) error {
		for _, t := range old {
			if err := tx.DeleteTask(state.LastPart(t.ClusterArn), t.ID); err != nil {
				return err
			}
		}
		return nil
	})
}
