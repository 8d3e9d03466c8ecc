package controller

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/cutover/cutover/internal/state"
)

// A hook's callback, the end of a bake time or a throttle is due at a
// known time for one service. Waiting for the regular pass to reach that
// service costs up to a whole pass, which grows with the number of
// services and tasks (a pass over a thousand services takes hundreds of
// milliseconds). So the controller remembers which service is due when,
// and reconciles due services at that time on a goroutine of their own,
// beside any pass under way.

// serviceKey names a service: its cluster and name.
type serviceKey struct{ cluster, name string }

// dueAt records that service k has something to do at t (by the
// controller's clock) and sets the alarm that wakes the controller then.
func (c *Controller) dueAt(k serviceKey, t time.Time) {
	if t.IsZero() {
		return
	}
	c.mu.Lock()
	if old, ok := c.due[k]; !ok || t.Before(old) {
		c.due[k] = t
	}
	if c.nextDue.IsZero() || t.Before(c.nextDue) {
		c.nextDue = t
	}
	c.mu.Unlock()
	c.wakeAt(t)
}

// ServiceChanged asks for the service an API request changed to be
// reconciled at once, alone, rather than in a whole pass; one follows if
// that changes something. It never blocks.
func (c *Controller) ServiceChanged(serviceArn string) {
	k, ok := serviceOf(serviceArn)
	if !ok {
		c.Wake()
		return
	}
	c.dueAt(k, c.now())
}

// takeDue returns the services due by now and forgets them.
func (c *Controller) takeDue(now time.Time) []serviceKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.nextDue.IsZero() || c.nextDue.After(now) {
		return nil
	}
	var keys []serviceKey
	c.nextDue = time.Time{}
	for k, t := range c.due {
		if !t.After(now) {
			keys = append(keys, k)
			delete(c.due, k)
		} else if c.nextDue.IsZero() || t.Before(c.nextDue) {
			c.nextDue = t
		}
	}
	return keys
}

// followDue reconciles the services that are due when the alarm goes off,
// beside any pass under way, until ctx ends; a whole pass follows only
// if that changed something (tasks to start or stop).
func (c *Controller) followDue(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.dueWake:
			if c.runDue(ctx) {
				c.Wake()
			}
		}
	}
}

// runDue reconciles the services that are due, if any, and reports
// whether a plan starts or stops tasks. It is cheap when nothing is due. Weights a
// due service's plan asks for are pushed at once, not by the pass it
// wakes: a rollback asked through the API flips without waiting for a
// pass under way to end.
func (c *Controller) runDue(ctx context.Context) bool {
	// Together, as a pass does: a hundred callbacks due at once share
	// their commits rather than wait for a hundred in turn.
	var moved atomic.Bool
	forEach(c.takeDue(c.now()), func(k serviceKey) {
		m, err := c.reconcileService(ctx, k.cluster, k.name)
		if err != nil && ctx.Err() == nil {
			c.log.Error("reconcile due service", "cluster", k.cluster, "service", k.name, "err", err)
		}
		if m {
			moved.Store(true)
		}
	})
	c.pushIfStale(ctx)
	return moved.Load()
}

// serviceOf returns the key of the service a service ARN names.
func serviceOf(arn string) (serviceKey, bool) {
	a, err := state.ParseARN(arn)
	if err != nil || a.Type != "service" || len(a.Parts) != 2 {
		return serviceKey{}, false
	}
	return serviceKey{a.Parts[0], a.Parts[1]}, true
}
