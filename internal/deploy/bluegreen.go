package deploy

import (
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// blueGreen brings green (the target revision) up to full size beside
// blue, moves the test and then the production listener rule to it,
// keeps blue for the bake time, then stops blue. Rolling back runs the
// two traffic-shift stages again towards blue, moving both rules back in
// the first of them, then stops green.
//
// LINEAR and CANARY are blue/green whose production traffic moves in
// steps: PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT repeat
// for each, and from the second step on PRE_PRODUCTION_TRAFFIC_SHIFT
// first waits out the step bake time (our choice of where it shows).
type blueGreen struct{}

// StagePreProductionTrafficShift is the stage just before production
// traffic moves. ECS runs hooks there, but the model's
// ServiceDeploymentLifecycleStage enum does not list it (yet): it is
// reported as a lifecycleStage all the same.
const StagePreProductionTrafficShift = ecs.ServiceDeploymentLifecycleStage(ecs.DeploymentLifecycleHookStagePreProductionTrafficShift)

func (blueGreen) stages(d *Deployment) []ecs.ServiceDeploymentLifecycleStage {
	if d.Rollback != nil {
		return []ecs.ServiceDeploymentLifecycleStage{
			ecs.ServiceDeploymentLifecycleStageScaleUp,
			ecs.ServiceDeploymentLifecycleStageTestTrafficShift,
			ecs.ServiceDeploymentLifecycleStageProductionTrafficShift,
			ecs.ServiceDeploymentLifecycleStageCleanUp,
		}
	}
	return reconcileFirst(d,
		ecs.ServiceDeploymentLifecycleStagePreScaleUp,
		ecs.ServiceDeploymentLifecycleStageScaleUp,
		ecs.ServiceDeploymentLifecycleStagePostScaleUp,
		ecs.ServiceDeploymentLifecycleStageTestTrafficShift,
		ecs.ServiceDeploymentLifecycleStagePostTestTrafficShift,
		StagePreProductionTrafficShift,
		ecs.ServiceDeploymentLifecycleStageProductionTrafficShift,
		ecs.ServiceDeploymentLifecycleStagePostProductionTrafficShift,
		ecs.ServiceDeploymentLifecycleStageBakeTime,
		ecs.ServiceDeploymentLifecycleStageCleanUp,
	)
}

func (b blueGreen) advance(d *Deployment, now time.Time) bool {
	if d.Rollback == nil && d.Stage == ecs.ServiceDeploymentLifecycleStageProductionTrafficShift &&
		d.Step+1 < len(productionSteps(d.Strategy, d.Config)) {
		d.Step++
		d.enter(StagePreProductionTrafficShift, now)
		return true
	}
	return advanceIn(d, b.stages(d), now)
}

func (blueGreen) work(d *Deployment, in Input, p *Plan) bool {
	goal := d.Goal()
	full := newRollout(in, goal, d.Config)
	full.goalOnly = true
	switch d.Stage {
	case ecs.ServiceDeploymentLifecycleStageScaleUp:
		p.Start, p.Stop = full.step(in.Tasks)
		return full.goalHealthy(in.Tasks) >= full.desired
	case ecs.ServiceDeploymentLifecycleStageTestTrafficShift:
		done := in.Traffic.TestRule == "" || shift(in, p, in.Traffic.TestRule, goal, full, 100)
		if d.Rollback != nil {
			// Rolling back moves production with test, in the same push:
			// the flip is one data-plane change, not two in a row. The
			// PRODUCTION_TRAFFIC_SHIFT stage that follows finds it done
			// and still runs its hooks.
			done = shift(in, p, in.Traffic.ProductionRule, goal, full, 100) && done
		}
		return done
	case StagePreProductionTrafficShift:
		maintain(in, p, d, goal, d.RollbackTo)
		if d.Step == 0 {
			return true
		}
		end := d.StageStarted.Add(stepBakeTime(d.Strategy, d.Config))
		p.wakeAt(end)
		return !in.Now.Before(end)
	case ecs.ServiceDeploymentLifecycleStageProductionTrafficShift:
		return shift(in, p, in.Traffic.ProductionRule, goal, full, d.stepPercent())
	case ecs.ServiceDeploymentLifecycleStageBakeTime:
		// Both stay at full size: rolling back stays instant.
		maintain(in, p, d, goal, d.RollbackTo)
		if !d.BakeEnded.IsZero() {
			return true
		}
		end := d.StageStarted.Add(time.Duration(ecs.Int32Value(d.Config.BakeTimeInMinutes)) * time.Minute)
		p.wakeAt(end)
		return !in.Now.Before(end)
	case ecs.ServiceDeploymentLifecycleStageCleanUp:
		// Nothing routes to the other revisions any more: all of them go.
		r := newRollout(in, goal, d.Config)
		r.minHealthy, r.maxTotal = 0, max(r.desired, 1)*2
		p.Start, p.Stop = r.step(in.Tasks)
		return r.settled(in.Tasks)
	case ecs.ServiceDeploymentLifecycleStageReconcileService:
		return reconcile(in, p, d)
	case ecs.ServiceDeploymentLifecycleStagePreScaleUp:
		maintain(in, p, d, d.RollbackTo)
		return true
	default:
		// Between the shifts both revisions stay at full size while hooks
		// hold the stage.
		maintain(in, p, d, goal, d.RollbackTo)
		return true
	}
}

// reconcile returns a service that an interrupted deployment left with
// more than one revision to its last stable one (blue), before green
// starts: both listener rules go back to blue's target group wholly, then
// the interrupted revisions' tasks stop. Green may share its target group
// with one of them, and the test and production shifts would send
// traffic to whatever is registered there; blue stays at full size
// throughout, so nothing that serves is stopped before traffic left it.
func reconcile(in Input, p *Plan, d *Deployment) bool {
	maintain(in, p, d, d.RollbackTo)
	if d.RollbackTo == "" {
		return true // a first deployment has nothing stable to return to
	}
	if in.Traffic != nil && in.Traffic.TargetGroups[d.RollbackTo] != "" {
		stable := newRollout(in, d.RollbackTo, d.Config)
		stable.goalOnly = true
		for _, rule := range []string{in.Traffic.ProductionRule, in.Traffic.TestRule} {
			if rule != "" && !shift(in, p, rule, d.RollbackTo, stable, 100) {
				return false
			}
		}
	}
	done := true
	for _, t := range in.Tasks {
		if t.Stopping || t.Revision == d.RollbackTo || t.Revision == d.Goal() {
			continue
		}
		p.Stop = append(p.Stop, Stop{t.ID, ReasonReplaced, false})
		done = false
	}
	return done
}

// shift moves pct percent of a rule's traffic to the goal revision's
// target group. It moves nothing until the goal runs its desired count of
// healthy tasks, asks for the weights until the data plane serves them,
// and calls the shift done only then, with the goal still fully healthy:
// traffic is never sent to an unready revision nor reported moved before
// it has.
func shift(in Input, p *Plan, rule, goal string, r rollout, pct float64) bool {
	if r.goalHealthy(in.Tasks) < r.desired {
		return false
	}
	to := in.Traffic.TargetGroups[goal]
	from := ""
	for rev, tg := range in.Traffic.TargetGroups {
		if rev != goal && tg != to {
			from = tg
		}
	}
	want := percentWeights(to, from, pct)
	if !sameWeights(in.Traffic.Live[rule], want) {
		p.Weights = append(p.Weights, RuleWeights{Rule: rule, Weights: want})
		return false
	}
	return true
}
