package deploy

import (
	"cmp"
	"slices"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// rolling replaces tasks a few at a time within the service's
// minimumHealthyPercent and maximumPercent.
type rolling struct{}

func (rolling) stages(d *Deployment) []ecs.ServiceDeploymentLifecycleStage {
	if d.Rollback != nil {
		return []ecs.ServiceDeploymentLifecycleStage{
			ecs.ServiceDeploymentLifecycleStageScaleUp,
			ecs.ServiceDeploymentLifecycleStageCleanUp,
		}
	}
	return reconcileFirst(d,
		ecs.ServiceDeploymentLifecycleStagePreScaleUp,
		ecs.ServiceDeploymentLifecycleStageScaleUp,
		ecs.ServiceDeploymentLifecycleStagePostScaleUp,
		ecs.ServiceDeploymentLifecycleStageCleanUp,
	)
}

func (r rolling) advance(d *Deployment, now time.Time) bool {
	return advanceIn(d, r.stages(d), now)
}

func (rolling) work(d *Deployment, in Input, p *Plan) bool {
	switch d.Stage {
	case ecs.ServiceDeploymentLifecycleStageScaleUp, ecs.ServiceDeploymentLifecycleStageCleanUp:
		r := newRollout(in, d.Goal(), d.Config)
		p.Start, p.Stop = r.step(in.Tasks)
		if d.Stage == ecs.ServiceDeploymentLifecycleStageScaleUp {
			return r.goalHealthy(in.Tasks) >= r.desired
		}
		return r.settled(in.Tasks)
	case ecs.ServiceDeploymentLifecycleStagePostScaleUp:
		maintain(in, p, d, d.Goal())
		return true
	default:
		// Before the scale-up, the service keeps running its last
		// stable revision, however long a hook holds the stage.
		maintain(in, p, d, d.RollbackTo)
		return true
	}
}

// maintain keeps each revision at the desired count of running tasks
// while a stage does no work of its own (a hook may hold it for hours):
// failed tasks of those revisions are replaced, nothing else is touched.
func maintain(in Input, p *Plan, d *Deployment, revisions ...string) {
	seen := map[string]bool{"": true}
	for _, rev := range revisions {
		if seen[rev] {
			continue
		}
		seen[rev] = true
		r := newRollout(in, rev, d.Config)
		r.goalOnly = true
		start, stop := r.step(in.Tasks)
		p.Start, p.Stop = append(p.Start, start...), append(p.Stop, stop...)
	}
}

// rollout moves a service's tasks to one goal revision, the way the ECS
// service scheduler does: never fewer than minHealthy healthy tasks,
// never more than maxTotal tasks.
type rollout struct {
	goal       string
	desired    int
	minHealthy int
	maxTotal   int
	grace      time.Duration
	now        time.Time
	// goalOnly leaves the tasks of other revisions alone: blue/green
	// scales green up beside blue, which keeps serving.
	goalOnly bool
}

func newRollout(in Input, goal string, cfg ecs.DeploymentConfiguration) rollout {
	minPct, maxPct := 100, 200
	if cfg.MinimumHealthyPercent != nil {
		minPct = int(*cfg.MinimumHealthyPercent)
	}
	if cfg.MaximumPercent != nil {
		maxPct = int(*cfg.MaximumPercent)
	}
	d := in.DesiredCount
	return rollout{
		goal:       goal,
		desired:    d,
		minHealthy: (d*minPct + 99) / 100,
		maxTotal:   max(d*maxPct/100, 1),
		grace:      in.HealthCheckGrace,
		now:        in.Now,
	}
}

// step returns how many goal tasks to start and which tasks to stop.
func (r rollout) step(tasks []Task) ([]Start, []Stop) {
	var stops []Stop
	var goal, other []Task
	healthy := 0
	for _, t := range tasks {
		switch {
		case t.Stopping, r.goalOnly && t.Revision != r.goal:
			continue
		case t.Health == Unhealthy && r.now.Sub(t.StartedAt) >= r.grace:
			// A failing task is replaced whatever the limits say: it
			// serves nobody.
			stops = append(stops, Stop{t.ID, ReasonUnhealthy, true})
			continue
		case t.Health == Healthy:
			healthy++
		}
		if t.Revision == r.goal {
			goal = append(goal, t)
		} else {
			other = append(other, t)
		}
	}
	live := len(goal) + len(other)

	// Too many goal tasks: scale in, least useful first.
	if extra := len(goal) - r.desired; extra > 0 {
		for _, t := range leastUseful(goal)[:extra] {
			stops = append(stops, Stop{t.ID, ReasonScaleIn, false})
			live--
			if t.Health == Healthy {
				healthy--
			}
		}
	}

	// Tasks of other revisions go as long as enough healthy tasks stay.
	canStopHealthy := healthy - r.minHealthy
	for _, t := range leastUseful(other) {
		if t.Health == Healthy {
			if canStopHealthy <= 0 {
				continue
			}
			canStopHealthy--
		}
		stops = append(stops, Stop{t.ID, ReasonReplaced, false})
		live--
	}

	var starts []Start
	if n := min(r.desired-len(goal), r.maxTotal-live); n > 0 {
		starts = append(starts, Start{r.goal, n})
	}
	return starts, stops
}

// goalHealthy counts the healthy goal tasks that are not stopping.
func (r rollout) goalHealthy(tasks []Task) int {
	n := 0
	for _, t := range tasks {
		if t.Revision == r.goal && !t.Stopping && t.Health == Healthy {
			n++
		}
	}
	return n
}

// settled reports whether exactly the desired count of goal tasks run
// healthy and nothing else is left, not even a task still stopping.
func (r rollout) settled(tasks []Task) bool {
	return len(tasks) == r.desired && r.goalHealthy(tasks) == r.desired
}

// leastUseful orders tasks so that the ones serving least come first:
// unhealthy, then starting, then healthy; newest first within each.
func leastUseful(tasks []Task) []Task {
	rank := map[TaskHealth]int{Unhealthy: 0, Starting: 1, Healthy: 2}
	s := slices.Clone(tasks)
	slices.SortStableFunc(s, func(a, b Task) int {
		if c := cmp.Compare(rank[a.Health], rank[b.Health]); c != 0 {
			return c
		}
		if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return s
}
