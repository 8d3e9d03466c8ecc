package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/state"
)

// HookInvoker delivers a lifecycle hook's event to the hook target and
// returns the reply body.
type HookInvoker interface {
	Invoke(ctx context.Context, target string, event []byte) ([]byte, error)
}

// dispatch is what the controller has done about one hook run lately.
type dispatch struct {
	attempt int // the last attempt started
	busy    bool
	at      time.Time
}

// invoke starts the hook invocations a plan asks for, each in its own
// goroutine, unless that attempt was started already: a plan read just
// before the reply to an attempt was stored still asks for it. The reply
// is applied in a transaction of its own; a crash before that leaves the
// run due, so the hook is invoked again after a restart: no callback is
// lost.
func (c *Controller) invoke(ctx context.Context, invs []deploy.Invocation) {
	for _, inv := range invs {
		key := inv.Deployment + "|" + inv.HookID
		c.mu.Lock()
		r, ok := c.dispatched[key]
		if ok && (r.busy || inv.Attempt <= r.attempt) {
			c.mu.Unlock()
			continue
		}
		r = &dispatch{attempt: inv.Attempt, busy: true, at: time.Now()}
		c.dispatched[key] = r
		c.mu.Unlock()
		c.wg.Go(func() {
			stored, svc := c.runInvocation(ctx, inv)
			c.mu.Lock()
			r.busy = false
			if !stored {
				r.attempt-- // not answered: the next pass may try it again
			}
			c.mu.Unlock()
			if k, ok := serviceOf(svc); ok && stored {
				// The service is planned again at once, not when a pass
				// gets to it: that plan moves the deployment on or sets
				// the callback's alarm.
				c.dueAt(k, c.now())
				return
			}
			c.Wake()
		})
	}
}

// forgetDispatches drops what is remembered of hook runs last invoked
// over an hour ago.
func (c *Controller) forgetDispatches() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for key, r := range c.dispatched {
		if !r.busy && time.Since(r.at) > time.Hour {
			delete(c.dispatched, key)
		}
	}
}

// runInvocation invokes a hook and stores the reply, reporting whether it
// was stored (or found no longer awaited) and the ARN of the deployment's
// service.
func (c *Controller) runInvocation(ctx context.Context, inv deploy.Invocation) (bool, string) {
	log := c.log.With("deployment", inv.Deployment, "hook", inv.HookID, "stage", inv.Event.LifecycleStage, "attempt", inv.Attempt+1)
	start := time.Now()
	body, invokeErr := c.callHook(ctx, inv)
	if ctx.Err() != nil {
		return false, "" // shutting down: the run stays due and is invoked after a restart
	}
	log.Info("lifecycle hook invoked", "target", inv.Target, "took", time.Since(start).Round(time.Millisecond), "err", invokeErr)
	var svc string
	// Hooks answer together (a hundred deployments' callbacks fall due
	// at once): their replies share commits. The function only reads and
	// writes the transaction, so it may run more than once.
	err := state.Batch(ctx, c.store, func(tx state.Tx) error {
		d, err := tx.Deployment(inv.Deployment)
		if err != nil {
			return err
		}
		svc = d.ServiceArn
		err = d.Answer(inv, body, invokeErr, c.now())
		if errors.Is(err, deploy.ErrHookNotAwaiting) || errors.Is(err, deploy.ErrHookNotFound) {
			log.Info("lifecycle hook reply ignored", "reason", err)
			return nil
		}
		if err != nil {
			return err
		}
		return tx.PutDeployment(d)
	})
	if err != nil && ctx.Err() == nil {
		log.Error("record lifecycle hook reply", "err", err)
	}
	return err == nil, svc
}

// callHook invokes the hook, never past the hook's expiry.
func (c *Controller) callHook(ctx context.Context, inv deploy.Invocation) ([]byte, error) {
	if c.hooks == nil {
		return nil, errors.New("this server has no hook invoker")
	}
	event, err := json.Marshal(inv.Event)
	if err != nil {
		return nil, fmt.Errorf("encode hook event: %w", err)
	}
	// The deadline is on the controller's clock, which tests move by hand.
	ctx, cancel := context.WithTimeout(ctx, inv.Deadline.Sub(c.now()))
	defer cancel()
	return c.hooks.Invoke(ctx, inv.Target, event)
}
