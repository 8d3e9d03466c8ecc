package process

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/fsnotify/fsnotify"

	"github.com/cutover/cutover/internal/runtime"
)

var _ runtime.Watcher = (*Driver)(nil)

// Watch tells of task changes through inotify: a shim replaces its
// task's state.json on every change, and task directories are renamed
// into the tasks directory when created and out of it when removed. A
// shim that dies without a word is noticed by Inspect only.
func (d *Driver) Watch(ctx context.Context, changed func(id string)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch tasks: %w", err)
	}
	defer w.Close()
	tasks := d.tasksDir()
	if err := w.Add(tasks); err != nil {
		return fmt.Errorf("watch tasks: %w", err)
	}
	// watchTask watches a task directory, then tells of the task: what
	// its shim wrote before the watch began is not left out.
	watchTask := func(id string) {
		if err := w.Add(filepath.Join(tasks, id)); err != nil && !isNotExist(err) {
			d.logger.Warn("watch task", "task", id, "err", err)
		}
		changed(id)
	}
	ids, err := d.taskIDs()
	if err != nil {
		return err
	}
	for _, id := range ids {
		watchTask(id)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-w.Errors:
			// The kernel's queue overflowed, say: changes were lost.
			return fmt.Errorf("watch tasks: %w", err)
		case ev := <-w.Events:
			dir, name := filepath.Split(ev.Name)
			dir = filepath.Clean(dir)
			switch {
			case dir == tasks && runtime.ValidName(name) && ev.Has(fsnotify.Create):
				watchTask(name)
			case dir == tasks && runtime.ValidName(name):
				changed(name) // renamed away to be removed
			case name == stateFileName && filepath.Dir(dir) == tasks:
				changed(filepath.Base(dir))
			}
		}
	}
}
