package controller

import (
	"context"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// Besides its tick, a pass is woken by what the data plane and the
// runtimes tell of as it happens: a deployment whose green tasks became
// healthy moves on at once, and a stopped task is cleaned up at once.
// Passes still read everything themselves; these only time them.

// follow starts, on c.wg, the reconciler of due services (due.go) and
// the followers of the data plane and of every runtime that tells of its
// tasks' changes.
func (c *Controller) follow(ctx context.Context) {
	c.wg.Go(func() { c.followDue(ctx) })
	if c.dataPlane != nil {
		c.wg.Go(func() { c.followHealth(ctx) })
	}
	for name, d := range c.drivers {
		if w, ok := d.(runtime.Watcher); ok {
			c.wg.Go(func() { c.followRuntime(ctx, name, w) })
		}
	}
}

// followHealth wakes a pass whenever the data plane reports a health
// change, until ctx ends. While the data plane cannot be reached it
// tries again every second (the passes report the error).
func (c *Controller) followHealth(ctx context.Context) {
	var gen uint64
	for ctx.Err() == nil {
		next, err := c.dataPlane.WaitHealth(ctx, gen)
		if err != nil {
			pause(ctx, time.Second)
			continue
		}
		// A restarted data plane counts from zero again, and answers a
		// generation it never had at once: any other one is news.
		if next != gen {
			gen = next
			c.Wake()
		}
	}
}

// followRuntime wakes a pass whenever a runtime tells of a task change,
// until ctx ends. A watch that fails is logged and begun again a second
// later (it tells of every task then: nothing is missed).
func (c *Controller) followRuntime(ctx context.Context, name string, w runtime.Watcher) {
	for ctx.Err() == nil {
		if err := w.Watch(ctx, func(string) { c.Wake() }); err != nil && ctx.Err() == nil {
			c.log.Warn("watch runtime", "runtime", name, "err", err)
		}
		pause(ctx, time.Second)
	}
}

// pause waits for d or until ctx ends.
func pause(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
