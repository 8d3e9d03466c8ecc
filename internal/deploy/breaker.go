package deploy

import "github.com/cutover/cutover/internal/ecs"

// Circuit breaker thresholds, as ECS computes them: half the desired
// count, rounded up, within these bounds.
const (
	MinBreakerThreshold = 3
	MaxBreakerThreshold = 200
)

// BreakerThreshold is how many failed tasks trip the circuit breaker of
// a deployment to desired tasks.
func BreakerThreshold(desired int) int {
	return min(max((desired+1)/2, MinBreakerThreshold), MaxBreakerThreshold)
}

// BreakerEnabled reports whether the deployment is watched by the
// circuit breaker: a ROLLING deployment whose configuration enables it.
func (d *Deployment) BreakerEnabled() bool {
	cb := d.Config.DeploymentCircuitBreaker
	return !ShiftsTraffic(d.Strategy) && cb != nil && ecs.BoolValue(cb.Enable)
}

// breakerTrips reports whether enough tasks of the target revision
// failed (to start, or their health checks) to fail the deployment. A
// rollback is not watched: its tasks ran fine before.
func (d *Deployment) breakerTrips(desired int) bool {
	return d.BreakerEnabled() && d.Rollback == nil && d.FailedTasks >= BreakerThreshold(desired)
}
