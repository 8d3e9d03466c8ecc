package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// reconcileServices runs the deploy engine for every service that is
// not INACTIVE and reports whether any plan starts or stops tasks.
func (c *Controller) reconcileServices(ctx context.Context) bool {
	// The keys only: a steady service is not decoded (steady.go), and
	// reconcileService leaves INACTIVE ones alone.
	var keys []serviceKey
	err := state.View(ctx, c.store, func(tx state.Tx) error {
		return tx.ServiceKeys(func(cluster, name string) error {
			keys = append(keys, serviceKey{cluster, name})
			return nil
		})
	})
	if err != nil {
		if ctx.Err() == nil {
			c.log.Error("list services", "err", err)
		}
		return false
	}
	var moved atomic.Bool
	forEach(keys, func(k serviceKey) {
		m, err := c.reconcileService(ctx, k.cluster, k.name)
		if err != nil && ctx.Err() == nil {
			c.log.Error("reconcile service", "cluster", k.cluster, "service", k.name, "err", err)
		}
		if m {
			moved.Store(true)
		}
	})
	return moved.Load()
}

// reconcileService plans one step for a service and, when the plan
// changes anything, plans again and applies it in one write transaction.
// The read-only first look keeps idle passes off the disk.
// Hook invocations start once the plan that asks for them is stored. It
// reports whether the stored plan starts or stops tasks.
func (c *Controller) reconcileService(ctx context.Context, cluster, name string) (bool, error) {
	var sp *servicePass
	k := serviceKey{cluster, name}
	err := state.View(ctx, c.store, func(tx state.Tx) (err error) {
		if steady, err := c.stillSteady(tx, k); steady || err != nil {
			return err
		}
		if sp, err = c.planService(tx, cluster, name); err != nil {
			return err
		}
		return c.rememberSteady(tx, k, sp)
	})
	if err != nil {
		c.forgetSteady(k)
		return false, err
	}
	if sp == nil || sp.svc.Status == state.ServiceInactive {
		return false, nil // steady and unchanged since, or gone
	}
	if c.dataPlane != nil && c.plane.Load() == nil && len(sp.svc.LoadBalancers) > 0 {
		// Without the data plane's view no target counts as healthy: the
		// plan would take every balanced task for one still starting, and
		// a rolling step stops those of other revisions freely, the ones
		// serving included. Wait for a pass that reads the view.
		c.log.Debug("service not reconciled: no view of the load balancer", "service", name)
		return false, nil
	}
	changed := sp.changed()
	if changed {
		// Services reconciled together share commits: planning again
		// inside the transaction makes the function safe to run twice.
		err = state.Batch(ctx, c.store, func(tx state.Tx) (err error) {
			if sp, err = c.planService(tx, cluster, name); err != nil || !sp.changed() {
				return err
			}
			return c.apply(tx, sp)
		})
		if err != nil {
			return false, err
		}
		if len(sp.plan.Weights) > 0 {
			c.planeStale.Store(true)
		}
	}
	c.invoke(ctx, sp.plan.Invoke)
	c.dueAt(serviceKey{cluster, name}, sp.plan.WakeAt)
	return changed && sp.movesTasks(), nil
}

// movesTasks reports whether the plan starts or stops tasks, which the
// task sync then does. Whatever else a plan leaves to wait for comes
// with its own wake-up: weights are pushed at the end of the step
// (pushIfStale), hook replies and times make the service due (due.go),
// task and health changes are told (follow.go).
func (sp *servicePass) movesTasks() bool {
	return len(sp.plan.Start) > 0 || len(sp.plan.Stop) > 0 || len(sp.svc.StopRequested) > 0
}

// servicePass is one engine step for a service: what was read and what
// the engine decided.
type servicePass struct {
	svc   *state.Service
	tasks map[string]*state.Task
	in    deploy.Input
	plan  deploy.Plan
}

func (c *Controller) planService(tx state.Tx, cluster, name string) (*servicePass, error) {
	svc, err := tx.Service(cluster, name)
	if err != nil {
		return nil, err
	}
	sp := &servicePass{svc: svc, tasks: map[string]*state.Task{}}
	if svc.Status == state.ServiceInactive {
		return sp, nil // nothing to plan: reconcileService leaves it alone
	}
	in := deploy.Input{
		Now:              c.now(),
		ServiceName:      name,
		DesiredCount:     int(ecs.Int32Value(svc.DesiredCount)),
		Revision:         svc.Revision,
		HealthCheckGrace: time.Duration(ecs.Int32Value(svc.HealthCheckGracePeriodSeconds)) * time.Second,
	}
	if svc.DeploymentConfiguration != nil {
		in.Config = *svc.DeploymentConfiguration
	}
	if svc.Status == state.ServiceDraining {
		in.DesiredCount = 0
	}
	if svc.Deployment != "" {
		if in.Deployment, err = tx.Deployment(svc.Deployment); err != nil {
			return nil, err
		}
		if in.Deployment.Status == ecs.ServiceDeploymentStatusStopRequested {
			in.Deployment = nil // stopped below, with the other superseded ones
		}
	}
	for _, arn := range svc.StopRequested {
		d, err := tx.Deployment(arn)
		if err != nil {
			return nil, err
		}
		if d.Status == ecs.ServiceDeploymentStatusStopRequested {
			in.Superseded = append(in.Superseded, d)
		}
	}
	// The target group of each revision, for the tasks' load balancer health.
	groups := map[string]string{}
	groupOf := func(rev string) (string, error) {
		g, ok := groups[rev]
		if !ok && rev != "" {
			b, err := c.revs.balancing(tx, rev)
			if err != nil {
				return "", err
			}
			g = b.group
			groups[rev] = g
		}
		return g, nil
	}
	err = tx.ServiceTasks(cluster, name, func(t *state.Task) error {
		switch {
		case t.LastStatus != state.TaskStopped:
			group, err := groupOf(t.Revision)
			if err != nil {
				return err
			}
			sp.tasks[t.ID] = t
			in.Tasks = append(in.Tasks, c.engineTask(t, group != ""))
		case t.Failed && in.Now.Sub(ecs.TimeValue(t.StoppingAt)) < time.Hour:
			in.Failures = append(in.Failures, deploy.Failure{Revision: t.Revision, At: ecs.TimeValue(t.StoppingAt)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if in.Alarms, err = alarmStates(tx, in.Deployment); err != nil {
		return nil, err
	}
	if d := in.Deployment; d != nil && deploy.ShiftsTraffic(d.Strategy) {
		if in.Traffic, err = c.traffic(svc, d, groupOf); err != nil {
			return nil, err
		}
	}
	sp.in, sp.plan = in, deploy.Next(in)
	return sp, nil
}

// alarmStates reads the states of the alarms a deployment watches; an
// alarm that does not exist (yet) is left out.
func alarmStates(tx state.Tx, d *deploy.Deployment) ([]deploy.AlarmState, error) {
	if d == nil || !d.AlarmsEnabled() {
		return nil, nil
	}
	var out []deploy.AlarmState
	for _, name := range d.Config.Alarms.AlarmNames {
		a, err := tx.Alarm(name)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, deploy.AlarmState{Name: name, State: string(a.StateValue), Since: a.StateChangedAt()})
	}
	return out, nil
}

// traffic is the routing a blue/green deployment shifts: the service's
// listener rules, the target group of each revision taking part, and the
// weights the data plane serves now. Nil when the service has no
// production listener rule.
func (c *Controller) traffic(svc *state.Service, d *deploy.Deployment, groupOf func(string) (string, error)) (*deploy.Traffic, error) {
	if len(svc.LoadBalancers) == 0 || svc.LoadBalancers[0].AdvancedConfiguration == nil {
		return nil, nil
	}
	adv := svc.LoadBalancers[0].AdvancedConfiguration
	if adv.ProductionListenerRule == "" {
		return nil, nil
	}
	tr := &deploy.Traffic{
		ProductionRule: adv.ProductionListenerRule,
		TestRule:       adv.TestListenerRule,
		TargetGroups:   map[string]string{},
		Live:           map[string]map[string]int{},
	}
	revs := []string{d.Target.Arn, d.RollbackTo}
	for _, s := range d.Sources {
		revs = append(revs, s.Arn)
	}
	for _, rev := range revs {
		g, err := groupOf(rev)
		if err != nil {
			return nil, err
		}
		if g != "" {
			tr.TargetGroups[rev] = g
		}
	}
	for _, rule := range []string{tr.ProductionRule, tr.TestRule} {
		if rule != "" {
			tr.Live[rule] = c.servedWeights(rule)
		}
	}
	return tr, nil
}

// engineTask is how the deploy engine sees a task: healthy once its
// container health checks and its load balancer targets are.
func (c *Controller) engineTask(t *state.Task, balanced bool) deploy.Task {
	et := deploy.Task{
		ID:        t.ID,
		Revision:  t.Revision,
		Running:   t.LastStatus == state.TaskRunning,
		Stopping:  t.DesiredStatus == state.TaskStopped,
		StartedAt: ecs.TimeValue(t.StartedAt),
	}
	if et.StartedAt.IsZero() {
		et.StartedAt = ecs.TimeValue(t.CreatedAt)
	}
	switch {
	case !et.Running:
	case len(t.HealthChecked) == 0 || t.HealthStatus == ecs.HealthStatusHealthy:
		et.Health = deploy.Healthy
	case t.HealthStatus == ecs.HealthStatusUnhealthy:
		et.Health = deploy.Unhealthy
	}
	if et.Health == deploy.Healthy && balanced {
		et.Health = c.targetHealth(t)
	}
	return et
}

// targetHealth folds a running task's load balancer target health into
// its health: healthy once every target is, unhealthy when one fails its
// health checks, starting until then (and until it is registered).
func (c *Controller) targetHealth(t *state.Task) deploy.TaskHealth {
	if len(t.Targets) == 0 {
		return deploy.Starting
	}
	for _, tt := range t.Targets {
		switch st, _ := c.targetState(tt); st {
		case lb.StateHealthy:
		case lb.StateUnhealthy:
			return deploy.Unhealthy
		default:
			return deploy.Starting
		}
	}
	return deploy.Healthy
}

// changed reports whether applying the pass would change anything.
func (sp *servicePass) changed() bool {
	p := sp.plan
	switch {
	case len(p.Start) > 0, len(p.Stop) > 0, len(sp.svc.StopRequested) > 0, len(p.Weights) > 0, p.Revision != "":
		return true
	case p.Steady != sp.svc.Steady, p.Throttled != sp.svc.Throttled:
		return true
	case p.Deployment != nil && !sp.in.Deployment.SameProgress(p.Deployment):
		return true
	}
	return sp.svc.Status == state.ServiceDraining && len(sp.tasks) == 0
}

// apply persists a pass: deployments, new and stopped tasks, the
// service's revision, status and events.
func (c *Controller) apply(tx state.Tx, sp *servicePass) error {
	now, svc, p := sp.in.Now, sp.svc, sp.plan
	for _, d := range p.Superseded {
		if err := tx.PutDeployment(d); err != nil {
			return err
		}
	}
	svc.StopRequested = nil
	if p.Revision != "" {
		rev, err := tx.Revision(p.Revision)
		if err != nil {
			return err
		}
		svc.Revision, svc.TaskDefinition = rev.ServiceRevisionArn, rev.TaskDefinition
	}
	if d := p.Deployment; d != nil {
		if err := tx.PutDeployment(d); err != nil {
			return err
		}
		if err := c.deploymentEvents(tx, svc, sp.in.Deployment, d, now); err != nil {
			return err
		}
		hookEvents(svc, sp.in.Deployment, d, now)
	}
	for _, w := range p.Weights {
		actions, err := tx.RuleActions(w.Rule)
		if err != nil {
			return err
		}
		if err := tx.PutRuleActions(w.Rule, state.WithForwardWeights(actions, w.Weights)); err != nil {
			return err
		}
	}
	for _, s := range p.Start {
		ids, err := c.createTasks(tx, svc, s, now)
		if err != nil {
			return err
		}
		addEvent(svc, now, fmt.Sprintf("has started %d tasks: %s.", len(ids), taskList(ids)))
	}
	var stopped []string
	for _, s := range p.Stop {
		t := sp.tasks[s.TaskID]
		if t == nil || !t.RequestStop(ecs.TaskStopCodeServiceSchedulerInitiated, s.Reason, now) {
			continue
		}
		t.Failed = s.Failed
		c.log.Info("stopping service task", "service", svc.ServiceName, "task", t.ID, "revision", t.Revision, "reason", s.Reason,
			"health", engineHealth(sp.in.Tasks, t.ID))
		if err := tx.PutTask(t); err != nil {
			return err
		}
		stopped = append(stopped, t.ID)
	}
	if len(stopped) > 0 {
		addEvent(svc, now, fmt.Sprintf("has stopped %d running tasks: %s.", len(stopped), taskList(stopped)))
	}
	if p.Steady && !svc.Steady {
		addEvent(svc, now, "has reached a steady state.")
	}
	svc.Steady = p.Steady
	if p.Throttled && !svc.Throttled {
		addEvent(svc, now, fmt.Sprintf("is unable to consistently start tasks successfully: the next launch waits until %s.",
			p.ThrottledUntil.UTC().Format(time.RFC3339)))
	}
	svc.Throttled = p.Throttled
	if svc.Status == state.ServiceDraining && len(sp.tasks) == 0 {
		svc.Status = state.ServiceInactive
	}
	return tx.PutService(svc)
}

// createTasks adds PROVISIONING task records for a Start; the task sync
// launches them.
func (c *Controller) createTasks(tx state.Tx, svc *state.Service, s deploy.Start, now time.Time) ([]string, error) {
	rev, err := tx.Revision(s.Revision)
	if err != nil {
		return nil, err
	}
	td, err := tx.ResolveTaskDefinition(rev.TaskDefinition)
	if err != nil {
		return nil, err
	}
	cluster := state.LastPart(svc.ClusterArn)
	rt, err := c.newTaskRuntime(tx, svc.ClusterArn)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, s.Count)
	for range s.Count {
		id := strings.ReplaceAll(uuid.NewString(), "-", "")
		t := &state.Task{
			ID:            id,
			ServiceName:   svc.ServiceName,
			Revision:      rev.ServiceRevisionArn,
			Runtime:       rt,
			HealthChecked: healthChecked(td),
		}
		t.Task = ecs.Task{
			TaskArn:           c.arns.Task(cluster, id),
			ClusterArn:        svc.ClusterArn,
			TaskDefinitionArn: td.TaskDefinitionArn,
			Group:             "service:" + svc.ServiceName,
			StartedBy:         rev.LegacyID,
			LastStatus:        state.TaskProvisioning,
			DesiredStatus:     state.TaskRunning,
			LaunchType:        rev.LaunchType,
			Cpu:               td.Cpu,
			Memory:            td.Memory,
			HealthStatus:      ecs.HealthStatusUnknown,
			CreatedAt:         ecs.TimeOf(now),
			Version:           ecs.Int64(1),
		}
		for _, cd := range td.ContainerDefinitions {
			t.Containers = append(t.Containers, ecs.Container{
				ContainerArn: c.arns.Container(cluster, id, uuid.NewString()),
				TaskArn:      t.TaskArn,
				Name:         cd.Name,
				Image:        cd.Image,
				LastStatus:   state.TaskPending,
				HealthStatus: ecs.HealthStatusUnknown,
			})
		}
		if err := tx.PutTask(t); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// engineHealth is how the engine saw a task's health, for the log.
func engineHealth(tasks []deploy.Task, id string) string {
	for _, t := range tasks {
		if t.ID == id {
			return [...]string{"starting", "healthy", "unhealthy"}[t.Health]
		}
	}
	return "unknown"
}
