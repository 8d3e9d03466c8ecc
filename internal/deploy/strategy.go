package deploy

import (
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// strategy is one way of moving a service from its source revisions to
// its target: the lifecycle stages it goes through and the work of each.
type strategy interface {
	// stages lists the stages of d in order; the first is entered when
	// the deployment starts and again when it starts rolling back.
	stages(d *Deployment) []ecs.ServiceDeploymentLifecycleStage
	// work does the current stage's work for this step, adding task
	// changes to p, and reports whether the stage is complete.
	work(d *Deployment, in Input, p *Plan) bool
	// advance moves d to the stage after the current one and reports
	// false when the current one was the last.
	advance(d *Deployment, now time.Time) bool
}

func strategyFor(d *Deployment) strategy {
	if ShiftsTraffic(d.Strategy) {
		return blueGreen{}
	}
	return rolling{}
}

// ShiftsTraffic reports whether a strategy runs the new revision beside
// the old one and moves listener rules' traffic to it: BLUE_GREEN,
// LINEAR and CANARY do; ROLLING replaces tasks in place.
func ShiftsTraffic(s ecs.DeploymentStrategy) bool {
	return s == ecs.DeploymentStrategyBlueGreen || s == ecs.DeploymentStrategyLinear || s == ecs.DeploymentStrategyCanary
}

// advanceIn moves d to the stage that follows the current one in stages.
func advanceIn(d *Deployment, stages []ecs.ServiceDeploymentLifecycleStage, now time.Time) bool {
	for i, s := range stages {
		if s == d.Stage && i+1 < len(stages) {
			d.enter(stages[i+1], now)
			return true
		}
	}
	return false
}

// reconcileFirst returns stages, preceded by RECONCILE_SERVICE when the
// deployment starts from more than one revision (an earlier deployment
// was interrupted half-way).
func reconcileFirst(d *Deployment, stages ...ecs.ServiceDeploymentLifecycleStage) []ecs.ServiceDeploymentLifecycleStage {
	if len(d.Sources) > 1 {
		return append([]ecs.ServiceDeploymentLifecycleStage{ecs.ServiceDeploymentLifecycleStageReconcileService}, stages...)
	}
	return stages
}
