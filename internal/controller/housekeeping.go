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

// sweepOrphans stops and removes runtime tasks that no live task record
// claims: left over from a record that was lost or already finished.
func (c *Controller) sweepOrphans(ctx context.Context) error {
	// List before reading the records: a record is always committed
	// before its task is started, so a listed task's record is visible.
	running, err := c.driver.List(ctx)
	if err != nil {
		return fmt.Errorf("list runtime tasks: %w", err)
	}
	claimed := map[string]bool{}
	err = state.View(ctx, c.store, func(tx state.Tx) error {
		return tx.Tasks("", "", func(t *state.Task) error {
			if t.LastStatus != state.TaskStopped {
				claimed[t.ID] = true
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	for _, st := range running {
		if claimed[st.ID] {
			continue
		}
		c.log.Warn("cleaning up orphaned runtime task", "task", st.ID, "state", st.State)
		if st.State != runtime.StateStopped {
			if err := c.driver.Stop(ctx, st.ID); err != nil && !errors.Is(err, runtime.ErrTaskNotFound) {
				return fmt.Errorf("stop orphaned task %s: %w", st.ID, err)
			}
			continue
		}
		if err := c.driver.Remove(ctx, st.ID); err != nil {
			return fmt.Errorf("remove orphaned task %s: %w", st.ID, err)
		}
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
