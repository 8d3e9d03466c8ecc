package controller

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/state"
)

// HookInvoker delivers a lifecycle hook's event to the hook target and
// returns the reply body.
type HookInvoker interface {
	Invoke(ctx context.Context, target string, event []byte) ([]byte, error)
}

// invoke starts the hook invocations a plan asks for, each in its own
// goroutine, unless it is under way already. The reply is applied in a
// transaction of its own; a crash before that leaves the run due, so the
// hook is invoked again after a restart: no callback is lost.
func (c *Controller) invoke(ctx context.Context, invs []deploy.Invocation) {
	for _, inv := range invs {
		key := inv.Deployment + "|" + inv.HookID + "|" + strconv.Itoa(inv.Attempt)
		c.mu.Lock()
		busy := c.inFlight[key]
		c.inFlight[key] = true
		c.mu.Unlock()
		if busy {
			continue
		}
		c.wg.Go(func() {
			defer func() {
				c.mu.Lock()
				delete(c.inFlight, key)
				c.mu.Unlock()
				c.Wake()
			}()
			c.runInvocation(ctx, inv)
		})
	}
}

func (c *Controller) runInvocation(ctx context.Context, inv deploy.Invocation) {
	log := c.log.With("deployment", inv.Deployment, "hook", inv.HookID, "stage", inv.Event.LifecycleStage, "attempt", inv.Attempt+1)
	start := time.Now()
	body, invokeErr := c.callHook(ctx, inv)
	if ctx.Err() != nil {
		return // shutting down: the run stays due and is invoked after a restart
	}
	log.Info("lifecycle hook invoked", "target", inv.Target, "took", time.Since(start).Round(time.Millisecond), "err", invokeErr)
	err := state.Update(ctx, c.store, func(tx state.Tx) error {
		d, err := tx.Deployment(inv.Deployment)
		if err != nil {
			return err
		}
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
	ctx, cancel := context.WithDeadline(ctx, inv.Deadline)
	defer cancel()
	return c.hooks.Invoke(ctx, inv.Target, event)
}
