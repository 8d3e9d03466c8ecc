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

// A runtime watch that fails is begun again after watchRetryMin, then
// after twice as long each time it fails again, up to watchRetryMax: a
// runtime that is down (no Docker daemon on the host, say) costs a try
// every half minute, not every second.
const (
	watchRetryMin = time.Second
	watchRetryMax = 30 * time.Second
)

// followRuntime wakes a pass whenever a runtime tells of a task change,
// until ctx ends. A watch that fails is begun again later (it tells of
// every task then: nothing is missed); its error is logged as a warning
// when it differs from the last one, at debug level when it repeats.
func (c *Controller) followRuntime(ctx context.Context, name string, w runtime.Watcher) {
	retry, last := watchRetryMin, ""
	for ctx.Err() == nil {
		began := time.Now()
		err := w.Watch(ctx, func(string) { c.Wake() })
		if ctx.Err() != nil {
			return
		}
		if time.Since(began) > watchRetryMax {
			retry, last = watchRetryMin, "" // it watched for a while: a new failure
		}
		switch {
		case err == nil:
		case err.Error() != last:
			c.log.Warn("watch runtime", "runtime", name, "err", err, "retry_in", retry)
			last = err.Error()
		default:
			c.log.Debug("watch runtime", "runtime", name, "err", err, "retry_in", retry)
		}
		pause(ctx, retry)
		retry = min(2*retry, watchRetryMax)
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
