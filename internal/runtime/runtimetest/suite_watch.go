package runtimetest

import (
	"context"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// testWatch: a driver that is a runtime.Watcher tells of every change of
// a task: waiting for what it tells, and looking only then, sees the task
// run and then stop.
func testWatch(t *testing.T, h *harness) {
	w, ok := h.d.(runtime.Watcher)
	if !ok {
		t.Skip("the driver does not tell of changes (runtime.Watcher): the control plane polls it")
	}
	id := h.id("watch")
	told := make(chan struct{}, 1)
	ctx, cancel := context.WithCancel(h.ctx())
	done := make(chan error, 1)
	go func() {
		done <- w.Watch(ctx, func(changed string) {
			if changed == id {
				select {
				case told <- struct{}{}:
				default:
				}
			}
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Watch: %v", err)
		}
	})
	// until looks at the task only when Watch told of it (and once at
	// first): a change left out leaves the test waiting.
	until := func(state runtime.State) {
		t.Helper()
		deadline := time.After(waitTimeout)
		for {
			st, err := h.d.Inspect(h.ctx(), id)
			if err == nil && st.State == state {
				return
			}
			select {
			case <-told:
			case <-deadline:
				t.Fatalf("Watch told of no change that left task %s %s; it is %s (%v)", id, state, describe(st), err)
			}
		}
	}
	h.start(h.webSpec(id, nil))
	until(runtime.StateRunning)
	if err := h.d.Stop(h.ctx(), id); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	until(runtime.StateStopped)
}
