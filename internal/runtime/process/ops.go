package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/cutover/cutover/internal/runtime"
)

// Stop asks the task's shim to stop it. See runtime.Driver.
//
// The request is recorded in the task directory before the shim is
// signalled, so it also reaches a shim that is still starting up.
func (d *Driver) Stop(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("stop task %q: %w", id, err)
	}
	st, err := d.inspect(id)
	if err != nil {
		return fmt.Errorf("stop task %q: %w", id, err)
	}
	if st.State == runtime.StateStopped {
		return nil
	}
	p := d.paths(id)
	exists, err := fileExists(p.stop())
	if err != nil {
		return fmt.Errorf("stop task %q: %w", id, err)
	}
	if !exists {
		if err := writeFileAtomic(p.stop(), []byte(reasonUserStop+"\n")); err != nil {
			return fmt.Errorf("stop task %q: %w", id, err)
		}
	}
	if sf, ok := d.readState(p); ok {
		if err := signalShim(p, sf.ShimPID, syscall.SIGTERM); err != nil {
			return fmt.Errorf("stop task %q: %w", id, err)
		}
	}
	d.logger.Info("stop requested", "task", id)
	return nil
}

// Remove deletes a stopped task's directory, which frees its host ports.
// See runtime.Driver.
func (d *Driver) Remove(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("remove task %q: %w", id, err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, starting := d.starting[id]; starting {
		return fmt.Errorf("remove task %q: %w", id, runtime.ErrTaskRunning)
	}
	st, err := d.inspect(id)
	if isTaskNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove task %q: %w", id, err)
	}
	if st.State != runtime.StateStopped {
		return fmt.Errorf("remove task %q: %w", id, runtime.ErrTaskRunning)
	}
	if err := d.removeDir(id); err != nil {
		return fmt.Errorf("remove task %q: %w", id, err)
	}
	d.logger.Info("removed task", "task", id)
	return nil
}

// removeDir deletes the task directory: it is first renamed to a hidden
// name, so the task disappears at once, then deleted. The caller holds
// d.mu.
func (d *Driver) removeDir(id string) error {
	unlock, err := d.lockDir()
	if err != nil {
		return err
	}
	defer unlock()
	trash, err := os.MkdirTemp(d.tasksDir(), ".removed-"+id+"-")
	if err != nil {
		return fmt.Errorf("create trash directory: %w", err)
	}
	target := filepath.Join(trash, id)
	if err := os.Rename(d.paths(id).dir, target); err != nil {
		_ = os.Remove(trash)
		if isNotExist(err) {
			return nil
		}
		return fmt.Errorf("rename task directory: %w", err)
	}
	if err := os.RemoveAll(trash); err != nil {
		return fmt.Errorf("delete task directory: %w", err)
	}
	return nil
}

// Logs writes the tail of a container's log. See runtime.Driver.
func (d *Driver) Logs(ctx context.Context, id, container string, maxBytes int64, w io.Writer) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("logs of task %q container %q: %w", id, container, err)
	}
	if !runtime.ValidName(id) {
		return fmt.Errorf("logs of task %q: %w", id, runtime.ErrTaskNotFound)
	}
	var tf taskFile
	if err := readJSON(d.paths(id).spec(), &tf); err != nil {
		if isNotExist(err) {
			return fmt.Errorf("logs of task %q: %w", id, runtime.ErrTaskNotFound)
		}
		return fmt.Errorf("logs of task %q: %w", id, err)
	}
	found := false
	for _, c := range tf.Spec.Containers {
		found = found || c.Name == container
	}
	if !found {
		return fmt.Errorf("logs of task %q container %q: %w", id, container, runtime.ErrTaskNotFound)
	}
	cur := d.paths(id).containerLog(container)
	if err := tailFiles(w, []string{cur + ".1", cur}, maxBytes); err != nil {
		return fmt.Errorf("logs of task %q container %q: %w", id, container, err)
	}
	return nil
}

// isTaskNotFound reports whether err is runtime.ErrTaskNotFound.
func isTaskNotFound(err error) bool { return errors.Is(err, runtime.ErrTaskNotFound) }
