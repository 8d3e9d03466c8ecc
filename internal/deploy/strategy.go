package deploy

import "github.com/cutover/cutover/internal/ecs"

// strategy is one way of moving a service from its source revisions to
// its target: the lifecycle stages it goes through and the work of each.
type strategy interface {
	// stages lists the stages of d in order; the first is entered when
	// the deployment starts and again when it starts rolling back.
	stages(d *Deployment) []ecs.ServiceDeploymentLifecycleStage
	// work does the current stage's work for this step, adding task
	// changes to p, and reports whether the stage is complete.
	work(d *Deployment, in Input, p *Plan) bool
}

func strategyFor(d *Deployment) strategy {
	switch d.Strategy {
	case ecs.DeploymentStrategyBlueGreen:
		return blueGreen{}
	default:
		return rolling{}
	}
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
