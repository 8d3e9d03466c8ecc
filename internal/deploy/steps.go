package deploy

import (
	"math"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// Defaults and bounds of LINEAR and CANARY deployments, as ECS has them.
const (
	DefaultStepPercent           = 10.0
	MinStepPercent               = 3.0
	DefaultStepBakeTimeMinutes   = 6
	DefaultCanaryPercent         = 5.0
	MinCanaryPercent             = 0.1
	DefaultCanaryBakeTimeMinutes = 10
	MaxStepBakeTimeMinutes       = 1440
	maxPercent                   = 100.0
)

// productionSteps are the production percentages a deployment moves
// green to, one per step: LINEAR goes stepPercent, 2×stepPercent, … up to
// 100 (ceil(100/stepPercent) steps, the last capped at 100); CANARY goes
// canaryPercent, then 100; BLUE_GREEN goes 100 at once.
func productionSteps(strategy ecs.DeploymentStrategy, cfg ecs.DeploymentConfiguration) []float64 {
	switch strategy {
	case ecs.DeploymentStrategyLinear:
		step := DefaultStepPercent
		if c := cfg.LinearConfiguration; c != nil && c.StepPercent != nil {
			step = *c.StepPercent
		}
		n := int(math.Ceil(maxPercent/step - 1e-9))
		steps := make([]float64, n)
		for i := range steps {
			steps[i] = min(float64(i+1)*step, maxPercent)
		}
		steps[n-1] = maxPercent
		return steps
	case ecs.DeploymentStrategyCanary:
		canary := DefaultCanaryPercent
		if c := cfg.CanaryConfiguration; c != nil && c.CanaryPercent != nil {
			canary = *c.CanaryPercent
		}
		if canary >= maxPercent {
			return []float64{maxPercent}
		}
		return []float64{canary, maxPercent}
	default:
		return []float64{maxPercent}
	}
}

// stepBakeTime is how long production stays at one step before the next.
func stepBakeTime(strategy ecs.DeploymentStrategy, cfg ecs.DeploymentConfiguration) time.Duration {
	minutes := int32(0)
	switch strategy {
	case ecs.DeploymentStrategyLinear:
		minutes = DefaultStepBakeTimeMinutes
		if c := cfg.LinearConfiguration; c != nil && c.StepBakeTimeInMinutes != nil {
			minutes = *c.StepBakeTimeInMinutes
		}
	case ecs.DeploymentStrategyCanary:
		minutes = DefaultCanaryBakeTimeMinutes
		if c := cfg.CanaryConfiguration; c != nil && c.CanaryBakeTimeInMinutes != nil {
			minutes = *c.CanaryBakeTimeInMinutes
		}
	}
	return time.Duration(minutes) * time.Minute
}

// stepPercent is the production percentage the goal gets at the
// deployment's current step: all of it when rolling back.
func (d *Deployment) stepPercent() float64 {
	if d.Rollback != nil {
		return maxPercent
	}
	steps := productionSteps(d.Strategy, d.Config)
	return steps[min(d.Step, len(steps)-1)]
}
