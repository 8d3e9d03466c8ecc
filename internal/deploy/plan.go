package deploy

import (
	"slices"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// StageTimeout is how long a deployment may stay in one lifecycle stage
// before it fails (and rolls back when it can).
const StageTimeout = 24 * time.Hour

// Input is everything the engine looks at to decide one step for a
// service.
type Input struct {
	Now         time.Time
	ServiceName string
	// DesiredCount is the service's current desired count.
	DesiredCount int
	// Revision is the revision the service runs when no deployment is
	// ongoing.
	Revision string
	// Config is the service's deployment configuration.
	Config ecs.DeploymentConfiguration
	// HealthCheckGrace is how long after start a task's failing health
	// checks are ignored.
	HealthCheckGrace time.Duration
	// Deployment is the service's latest deployment (ongoing or not), or nil.
	Deployment *Deployment
	// Superseded are earlier deployments in STOP_REQUESTED.
	Superseded []*Deployment
	// Tasks are the service's tasks that are not yet STOPPED.
	Tasks []Task
	// Failures are the service's tasks that failed (exited on their own,
	// failed to start or failed health checks) in the last hour.
	Failures []Failure
	// Traffic is the service's load balancer routing; nil for a service
	// without a load balancer.
	Traffic *Traffic
	// Alarms are the states of the alarms the deployment watches.
	Alarms []AlarmState
}

// Failure is a task of a service that failed.
type Failure struct {
	Revision string
	At       time.Time
}

// Task is what the engine needs to know about one task.
type Task struct {
	ID       string
	Revision string
	Health   TaskHealth
	// Running is true once the task's lastStatus is RUNNING.
	Running bool
	// Stopping is true once the task has been asked to stop.
	Stopping  bool
	StartedAt time.Time
}

// TaskHealth is a task's fitness to serve as the engine sees it.
type TaskHealth int

// Task health values.
const (
	// Starting: not running yet, or running with a health check that has
	// not passed yet.
	Starting TaskHealth = iota
	// Healthy: running, and every health check passes.
	Healthy
	// Unhealthy: running, and a health check fails.
	Unhealthy
)

// Plan is what the engine decided: new states to persist and task
// changes to make.
type Plan struct {
	// Deployment is the updated copy of Input.Deployment (nil if none).
	Deployment *Deployment
	// Superseded are the updated copies of Input.Superseded.
	Superseded []*Deployment
	// Start asks for new tasks.
	Start []Start
	// Stop asks for tasks to be stopped.
	Stop []Stop
	// Weights asks for listener rules to get new forward weights.
	Weights []RuleWeights
	// Invoke asks for hooks to be invoked; their replies go to Answer.
	Invoke []Invocation
	// WakeAt, when set, is when the deployment next needs a step even if
	// nothing else changes: a hook's callback or expiry, the end of a bake.
	WakeAt time.Time
	// Revision, when set, is the revision the service runs from now on
	// (a rollback returns the service to its previous revision).
	Revision string
	// Steady reports that the service has no ongoing deployment and runs
	// exactly its desired count of healthy tasks of its revision.
	Steady bool
	// Throttled reports that tasks failed so often lately that no new
	// task is started until ThrottledUntil.
	Throttled      bool
	ThrottledUntil time.Time
}

// Start asks for Count new tasks of Revision.
type Start struct {
	Revision string
	Count    int
}

// Stop asks for a task to be stopped.
type Stop struct {
	TaskID string
	Reason string
	// Failed is set when the task is stopped because it failed.
	Failed bool
}

// Stop reasons, as ECS words them.
const (
	ReasonUnhealthy = "Task failed container health checks"
	ReasonScaleIn   = "Service scaled in"
	ReasonReplaced  = "Task replaced by a newer service revision"
)

// Next decides the next step for a service. It is pure: the same input
// always gives the same plan, and the input is not modified.
func Next(in Input) Plan {
	p := next(in)
	if until := throttledUntil(in.Failures); in.Now.Before(until) {
		p.Start, p.Throttled, p.ThrottledUntil = nil, true, until
	}
	return p
}

func next(in Input) Plan {
	var p Plan
	for _, s := range in.Superseded {
		c := clone(s)
		c.Status, c.StoppedAt, c.UpdatedAt = stopped, in.Now, in.Now
		if c.StatusReason == "" {
			c.StatusReason = "Stopped by a newer service deployment"
		}
		p.Superseded = append(p.Superseded, c)
	}
	if in.Deployment == nil || !in.Deployment.Ongoing() {
		r := newRollout(in, in.Revision, in.Config)
		p.Start, p.Stop = r.step(in.Tasks)
		p.Steady = len(p.Start) == 0 && len(p.Stop) == 0 && r.settled(in.Tasks)
		if in.Deployment != nil {
			p.Deployment = clone(in.Deployment)
		}
		return p
	}

	d := clone(in.Deployment)
	p.Deployment = d
	switch d.Status {
	case pending:
		d.Status, d.StartedAt = inProgress, in.Now
		d.enter(strategyFor(d).stages(d)[0], in.Now)
	case rollbackRequested:
		d.fail(&p, "Rollback requested by user", true, in.Now)
	}
	if ShiftsTraffic(d.Strategy) && in.Traffic == nil {
		d.fail(&p, "A "+string(d.Strategy)+" deployment needs a load balancer with a production listener rule", false, in.Now)
	}
	if in.Now.Sub(d.StageStarted) > StageTimeout {
		d.fail(&p, "Lifecycle stage "+string(d.Stage)+" exceeded its 24 hour limit", true, in.Now)
	}
	d.FailedTasks = max(d.FailedTasks, countFailures(in.Failures, d.Goal(), d.CreatedAt))
	if d.breakerTrips(in.DesiredCount) {
		d.BreakerTripped = true
		d.fail(&p, "ECS deployment circuit breaker: tasks failed to start", ecs.BoolValue(d.Config.DeploymentCircuitBreaker.Rollback), in.Now)
	}
	d.checkAlarms(&p, in.Alarms, in.Now)
	s := strategyFor(d)
	for d.Ongoing() {
		// The task and traffic changes of a stage that is complete are
		// dropped: the next stage decides afresh from the same observations.
		p.Start, p.Stop, p.Weights, p.Invoke, p.WakeAt = nil, nil, nil, nil, time.Time{}
		rollingBack := d.Rollback != nil
		if !s.work(d, in, &p) {
			break
		}
		if !d.runHooks(&p, in) {
			if !rollingBack && d.Rollback != nil {
				continue // a hook's failure began the rollback: plan its first stage now
			}
			break
		}
		if !s.advance(d, in.Now) {
			// A status a step gave (IN_PROGRESS, or ROLLBACK_IN_PROGRESS)
			// is stored before the deployment ends: it is seen, and the
			// status changes stay legal.
			if d.Status == in.Deployment.Status {
				d.finish(in.Now)
			}
			break
		}
	}
	d.count(in.Tasks, in.DesiredCount)
	d.weigh(in.Traffic)
	if p.Deployment.UpdatedAt.IsZero() || !in.Deployment.SameProgress(d) {
		d.UpdatedAt = in.Now
	}
	return p
}

func (d *Deployment) enter(stage ecs.ServiceDeploymentLifecycleStage, now time.Time) {
	d.Stage, d.StageStarted = stage, now
	d.Stages = append(d.Stages, StageRun{Stage: stage, Step: d.Step, Rollback: d.Rollback != nil, StartedAt: now})
}

func (d *Deployment) finish(now time.Time) {
	if d.Rollback != nil {
		d.Status = rollbackSuccessful
	} else {
		d.Status = successful
	}
	d.FinishedAt = now
}

// fail ends a deployment that went wrong: it rolls back when asked to and
// when there is a revision to return to, and stops otherwise.
func (d *Deployment) fail(p *Plan, reason string, rollback bool, now time.Time) {
	if d.Rollback != nil {
		d.Status, d.StatusReason, d.FinishedAt = rollbackFailed, reason, now
		return
	}
	if rollback && d.RollbackTo != "" {
		d.beginRollback(p, reason, now)
		return
	}
	d.Status, d.StatusReason, d.StoppedAt = stopped, reason, now
}

func (d *Deployment) beginRollback(p *Plan, reason string, now time.Time) {
	d.Status, d.StatusReason = rollbackInProgress, reason
	d.Rollback = &Rollback{Reason: reason, StartedAt: now, RevisionArn: d.RollbackTo}
	p.Revision = d.RollbackTo
	d.Step = 0
	d.enter(strategyFor(d).stages(d)[0], now)
}

// count refreshes the task counts of the revisions in the deployment.
func (d *Deployment) count(tasks []Task, desired int) {
	counts := func(rc *RevisionCounts) {
		rc.Running, rc.Pending = 0, 0
		for _, t := range tasks {
			if t.Revision != rc.Arn || t.Stopping {
				continue
			}
			if t.Running {
				rc.Running++
			} else {
				rc.Pending++
			}
		}
	}
	goal := d.Goal()
	for i := range d.Sources {
		counts(&d.Sources[i])
		d.Sources[i].Requested = 0
		if d.Sources[i].Arn == goal {
			d.Sources[i].Requested = desired
		}
	}
	counts(&d.Target)
	d.Target.Requested = 0
	if d.Target.Arn == goal {
		d.Target.Requested = desired
	}
}

// weigh records the share of the listener rules' traffic each revision
// of the deployment gets from the load balancer.
func (d *Deployment) weigh(tr *Traffic) {
	if tr == nil {
		return
	}
	weigh := func(rc *RevisionCounts) {
		tg := tr.TargetGroups[rc.Arn]
		rc.ProductionWeight = livePercent(tr.Live[tr.ProductionRule], tg)
		rc.TestWeight = livePercent(tr.Live[tr.TestRule], tg)
	}
	for i := range d.Sources {
		weigh(&d.Sources[i])
	}
	weigh(&d.Target)
}

func clone(d *Deployment) *Deployment {
	c := *d
	c.Sources = append([]RevisionCounts(nil), d.Sources...)
	c.Hooks = append([]HookRun(nil), d.Hooks...)
	c.Stages = slices.Clone(d.Stages)
	c.TriggeredAlarms = slices.Clone(d.TriggeredAlarms)
	if d.Rollback != nil {
		r := *d.Rollback
		c.Rollback = &r
	}
	return &c
}

// SameProgress reports whether b is where a is: the same status, stage,
// reason and task counts, whatever the timestamps say.
func (a *Deployment) SameProgress(b *Deployment) bool {
	if a.Status != b.Status || a.Stage != b.Stage || a.Target != b.Target ||
		len(a.Sources) != len(b.Sources) || a.StatusReason != b.StatusReason || !slices.Equal(a.Hooks, b.Hooks) {
		return false
	}
	for i := range a.Sources {
		if a.Sources[i] != b.Sources[i] {
			return false
		}
	}
	return true
}
