package controller

import (
	"context"
	"time"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// registerTargets registers a RUNNING task of a revision with a load
// balancer in the revision's target group, at the host port bound to the
// load balancer's container port. It reports whether it registered.
func (c *Controller) registerTargets(ctx context.Context, t *state.Task) (bool, error) {
	if t.Revision == "" || len(t.Targets) > 0 {
		return false, nil
	}
	if l, ok := c.revs.lookup(t.Revision); ok && l.group == "" {
		return false, nil // no load balancer: no transaction on every pass
	}
	var target *state.TaskTarget
	err := c.store.View(ctx, func(stx store.Tx) error {
		l, err := c.revs.balancing(state.Tx{Tx: stx}, t.Revision)
		if err != nil || l.group == "" {
			return err
		}
		for _, ct := range t.Containers {
			if ct.Name != l.container {
				continue
			}
			for _, b := range ct.NetworkBindings {
				if ecs.Int32Value(b.ContainerPort) == l.port {
					target = &state.TaskTarget{Group: l.group, Host: b.BindIP, Port: int(ecs.Int32Value(b.HostPort))}
				}
			}
		}
		return nil
	})
	if err != nil || target == nil {
		return false, err
	}
	err = state.Update(ctx, c.store, func(tx state.Tx) error {
		if err := tx.RegisterTarget(target.Group, state.Target{ID: target.Host, Port: int32(target.Port)}); err != nil {
			return err
		}
		cur, err := tx.Task(state.LastPart(t.ClusterArn), t.ID)
		if err != nil {
			return err
		}
		cur.Targets = []state.TaskTarget{*target}
		*t = *cur
		return tx.PutTask(cur)
	})
	if err == nil {
		c.planeStale.Store(true)
		c.log.Info("registered task in target group", "task", t.ID, "target_group", target.Group, "port", target.Port)
	}
	return err == nil, err
}

// drainTargets deregisters a stopping task's targets, and reports
// whether the task must still wait for its in-flight requests to drain
// before its processes are stopped.
func (c *Controller) drainTargets(ctx context.Context, t *state.Task) (wait bool, err error) {
	if len(t.Targets) == 0 {
		return false, nil
	}
	if t.DrainUntil != nil {
		return c.now().Before(*t.DrainUntil), nil
	}
	err = state.Update(ctx, c.store, func(tx state.Tx) error {
		var delay time.Duration
		for _, tt := range t.Targets {
			d, err := tx.DeregisterTarget(tt.Group, state.Target{ID: tt.Host, Port: int32(tt.Port)})
			if err != nil {
				return err
			}
			delay = max(delay, d)
		}
		cur, err := tx.Task(state.LastPart(t.ClusterArn), t.ID)
		if err != nil {
			return err
		}
		until := c.now().Add(delay)
		cur.DrainUntil = &until
		*t = *cur
		return tx.PutTask(cur)
	})
	if err == nil {
		c.planeStale.Store(true)
	}
	return err == nil, err
}

// targetState is the load balancer's view of a task's target: its state
// and whether the data plane reports it at all.
func (c *Controller) targetState(tt state.TaskTarget) (string, bool) {
	p := c.plane.Load()
	if p == nil {
		return "", false
	}
	h, ok := p.health[healthKey{tt.Group, tt.Host, tt.Port}]
	return h.State, ok
}

// servedWeights returns the forward weights the data plane serves for a
// listener rule (a listener's default rule included).
func (c *Controller) servedWeights(ruleARN string) map[string]int {
	p := c.plane.Load()
	if p == nil {
		return nil
	}
	listenerARN, err := state.ListenerOfRule(ruleARN)
	if err != nil {
		return nil
	}
	for _, l := range p.config.Listeners {
		if l.ARN != listenerARN {
			continue
		}
		actions := l.DefaultActions
		for _, r := range l.Rules {
			if r.ARN == ruleARN {
				actions = r.Actions
			}
		}
		return forwardWeights(actions)
	}
	return nil
}

func forwardWeights(actions []lb.Action) map[string]int {
	out := map[string]int{}
	for _, a := range actions {
		for _, tg := range a.TargetGroups {
			out[tg.ARN] = tg.Weight
		}
	}
	return out
}
