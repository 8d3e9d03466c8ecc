package lb

import (
	"context"
	"sync"
)

// healthWatch tells waiters that the health report changed: each change
// bumps a generation and closes the channel the waiters hold. The
// control plane long-polls it (WaitHealth) to learn at once that a new
// task became healthy or a drained target left, rather than at its next
// tick.
type healthWatch struct {
	mu  sync.Mutex
	gen uint64
	ch  chan struct{} // closed by the next change; nil until someone waits
}

// changed records a change of the health report.
func (w *healthWatch) changed() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.gen++
	if w.ch != nil {
		close(w.ch)
		w.ch = nil
	}
}

// current returns the generation and a channel closed at the next change.
func (w *healthWatch) current() (uint64, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ch == nil {
		w.ch = make(chan struct{})
	}
	return w.gen, w.ch
}

// WaitHealth returns the generation of the health report once it differs
// from after: at once when it already does, else when a target's health
// verdict changes or a drained target is dropped. A caller passes back
// the generation it got to wait for the next change; generations only
// grow, so one above the current came from an earlier process, and is
// answered at once too. It returns ctx's error when ctx ends first.
// Changes that the caller makes itself (Apply) do not count: it reads
// Health right after them anyway.
func (b *Balancer) WaitHealth(ctx context.Context, after uint64) (uint64, error) {
	for {
		gen, ch := b.health.current()
		if gen != after {
			return gen, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return gen, ctx.Err()
		}
	}
}
