package deploy

import (
	"fmt"
	"slices"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// EndBake, beyond ECS, cuts a deployment's bake time short: the old
// revision is cleaned up as soon as the deployment reaches BAKE_TIME, or
// at once when it is there. Asking again changes nothing. It returns
// ErrNoBakeTime for a strategy without a bake time and ErrBakeOver when
// the deployment has passed it, is rolling back or has ended.
func (d *Deployment) EndBake(now time.Time) error {
	if !ShiftsTraffic(d.Strategy) {
		return fmt.Errorf("%w: a %s deployment has no bake time", ErrNoBakeTime, d.Strategy)
	}
	if !d.Ongoing() || d.Rollback != nil || d.RollingBack() {
		return fmt.Errorf("%w: the deployment is %s", ErrBakeOver, d.Status)
	}
	stages := strategyFor(d).stages(d)
	if slices.Index(stages, d.Stage) > slices.Index(stages, ecs.ServiceDeploymentLifecycleStageBakeTime) {
		return fmt.Errorf("%w: the deployment is at %s", ErrBakeOver, d.Stage)
	}
	if d.BakeEnded.IsZero() {
		d.BakeEnded, d.UpdatedAt = now, now
	}
	return nil
}
