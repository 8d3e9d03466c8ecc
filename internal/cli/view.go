package cli

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

// This file holds what every view of a deployment shows the same way:
// revisions by task definition, stages, hooks with their countdowns,
// traffic, tasks.

// deployment wraps a deployment's details for rendering at an instant.
type deployment struct {
	*cutoverapi.DeploymentDetails
	now time.Time
	loc *time.Location
	// revs names each revision ARN: its task definition, "web:3".
	revs map[string]string
}

func newDeployment(d *cutoverapi.DeploymentDetails, now time.Time, loc *time.Location) *deployment {
	v := &deployment{DeploymentDetails: d, now: now, loc: loc, revs: map[string]string{}}
	for _, r := range d.Revisions {
		name := taskDefName(r.TaskDefinition)
		if name == "" {
			name = "revision " + lastPart(r.Arn)
		}
		v.revs[r.Arn] = name
	}
	return v
}

// sd returns the deployment as ECS shows it.
func (d *deployment) sd() *ecs.ServiceDeployment { return &d.ServiceDeployment }

// rev names a revision ARN.
func (d *deployment) rev(arn string) string {
	if n, ok := d.revs[arn]; ok {
		return n
	}
	return "revision " + lastPart(arn)
}

// ongoing reports whether the deployment has not ended.
func (d *deployment) ongoing() bool {
	_, ended := outcome(d.sd().Status)
	return !ended
}

// title is "demo/web deployment ID".
func (d *deployment) title() string {
	return d.ClusterName + "/" + d.ServiceName + " deployment " + lastPart(d.sd().ServiceDeploymentArn)
}

// elapsed is how long the deployment has run, or ran.
func (d *deployment) elapsed() time.Duration {
	sd := d.sd()
	start := ecs.TimeValue(sd.CreatedAt)
	if s := ecs.TimeValue(sd.StartedAt); !s.IsZero() {
		start = s
	}
	end := d.now
	if !d.ongoing() {
		end = cmp.Or(ecs.TimeValue(sd.FinishedAt), ecs.TimeValue(sd.StoppedAt), ecs.TimeValue(sd.UpdatedAt), d.now)
	}
	return end.Sub(start)
}

// state is "IN_PROGRESS at POST_TEST_TRAFFIC_SHIFT", or the final status.
func (d *deployment) state() string {
	sd := d.sd()
	if !d.ongoing() || sd.LifecycleStage == "" {
		return string(sd.Status)
	}
	return string(sd.Status) + " at " + d.currentStageLabel()
}

// currentStageLabel names the current stage with its step and rollback.
func (d *deployment) currentStageLabel() string {
	if n := len(d.Stages); n > 0 {
		s := d.Stages[n-1]
		return stageLabel(string(s.Stage), s.Step, s.Rollback)
	}
	return string(d.sd().LifecycleStage)
}

// stageLabel names a stage: "PRODUCTION_TRAFFIC_SHIFT step 2 (rollback)".
func stageLabel(stage string, step int, rollback bool) string {
	if step > 0 {
		stage += fmt.Sprintf(" step %d", step)
	}
	if rollback {
		stage += " (rollback)"
	}
	return stage
}

// strategy describes the deployment configuration in a line.
func strategy(c *ecs.DeploymentConfiguration) string {
	if c == nil {
		return "ROLLING"
	}
	s := string(cmp.Or(c.Strategy, ecs.DeploymentStrategyRolling))
	var parts []string
	switch c.Strategy {
	case ecs.DeploymentStrategyLinear:
		if l := c.LinearConfiguration; l != nil {
			parts = append(parts, fmt.Sprintf("%s per step, %d min between steps", fmtPercent(ecs.Float64Value(l.StepPercent)), ecs.Int32Value(l.StepBakeTimeInMinutes)))
		}
	case ecs.DeploymentStrategyCanary:
		if k := c.CanaryConfiguration; k != nil {
			parts = append(parts, fmt.Sprintf("canary %s for %d min", fmtPercent(ecs.Float64Value(k.CanaryPercent)), ecs.Int32Value(k.CanaryBakeTimeInMinutes)))
		}
	}
	switch c.Strategy {
	case ecs.DeploymentStrategyBlueGreen, ecs.DeploymentStrategyLinear, ecs.DeploymentStrategyCanary:
		parts = append(parts, fmt.Sprintf("bake time %d min", ecs.Int32Value(c.BakeTimeInMinutes)))
	default:
		if c.MinimumHealthyPercent != nil || c.MaximumPercent != nil {
			parts = append(parts, fmt.Sprintf("minimum healthy %d%%, maximum %d%%", ecs.Int32Value(c.MinimumHealthyPercent), ecs.Int32Value(c.MaximumPercent)))
		}
	}
	if len(parts) == 0 {
		return s
	}
	return s + ", " + strings.Join(parts, ", ")
}

// awaiting reports whether h is a pause that ContinueServiceDeployment
// can act on now.
func awaiting(h *cutoverapi.Hook) bool {
	return h.Current && h.Status == ecs.DeploymentLifecycleHookStatusAwaitingAction
}

// movesProduction reports whether h is the wait before production
// traffic moves: a pause before the production shift that continues by
// itself at its timeout.
func movesProduction(h *cutoverapi.Hook) bool {
	return h.TargetType == ecs.DeploymentLifecycleHookTargetTypePause && !h.Rollback &&
		h.Stage == ecs.DeploymentLifecycleHookStagePreProductionTrafficShift &&
		h.TimeoutAction == ecs.DeploymentLifecycleHookActionContinue
}

// hookNote says what a hook run is waiting for, with its countdowns, or
// how it ended and, from the audit trail, who ended it.
func (d *deployment) hookNote(h *cutoverapi.Hook) string {
	note := hookNote(h, d.now)
	if note != "" || h.Current && h.Status == ecs.DeploymentLifecycleHookStatusInProgress {
		return note
	}
	for _, r := range slices.Backward(d.Audit) {
		if r.HookID == h.HookID {
			return strings.TrimSpace(r.Detail + " by " + r.Actor.String())
		}
	}
	return ""
}

// hookNote says what a hook run is waiting for, with its countdowns, or
// how it ended.
func hookNote(h *cutoverapi.Hook, now time.Time) string {
	left := ""
	if !h.ExpiresAt.IsZero() {
		left = fmtDuration(h.ExpiresAt.Sub(now))
	}
	switch {
	case awaiting(h) && movesProduction(h):
		return "production traffic moves in " + left + " unless rejected"
	case awaiting(h) && h.TimeoutAction == ecs.DeploymentLifecycleHookActionContinue:
		return "awaiting approval; continues by itself in " + left + " unless rejected"
	case awaiting(h):
		return "awaiting approval; rolls back in " + left + " unless approved"
	case h.Current && h.Status == ecs.DeploymentLifecycleHookStatusInProgress:
		note := fmt.Sprintf("attempt %d", h.Attempts)
		if h.NextInvokeAt != nil {
			note += ", next call in " + fmtDuration(h.NextInvokeAt.Sub(now))
		}
		if left != "" {
			note += fmt.Sprintf(", times out in %s (then %s)", left, h.TimeoutAction)
		}
		return note
	}
	return h.Reason
}

// hookLabel names a hook run: "PAUSE at POST_TEST_TRAFFIC_SHIFT", with
// the function of a Lambda hook.
func hookLabel(h *cutoverapi.Hook) string {
	s := string(h.TargetType)
	if h.TargetArn != "" {
		s += " " + lastPart(strings.ReplaceAll(h.TargetArn, ":", "/"))
	}
	return s + " at " + stageLabel(string(h.Stage), h.Step, h.Rollback)
}

// bakeNote is the bake time's countdown, or "" when not baking.
func (d *deployment) bakeNote() string {
	if d.BakeEndsAt == nil || !d.ongoing() {
		return ""
	}
	return fmt.Sprintf("bake time ends in %s (at %s)", fmtDuration(d.BakeEndsAt.Sub(d.now)), fmtClock(*d.BakeEndsAt, d.loc))
}

// shiftsTraffic reports whether the deployment moves traffic between
// revisions behind a load balancer.
func (d *deployment) shiftsTraffic() bool {
	c := d.sd().DeploymentConfiguration
	return c != nil && c.Strategy != "" && c.Strategy != ecs.DeploymentStrategyRolling
}

// traffic renders the weights of one listener, "web:3 100% · web:2 0%",
// target first.
func (d *deployment) traffic(test bool) string {
	var parts []string
	for _, r := range d.Revisions {
		w := r.ProductionWeight
		if test {
			w = r.TestWeight
		}
		parts = append(parts, d.rev(r.Arn)+" "+fmtPercent(w))
	}
	return strings.Join(parts, " · ")
}

// trafficLine renders production and test weights on one line.
func (d *deployment) trafficLine() string {
	s := "production " + d.traffic(false)
	if d.TestURL != "" {
		s += "; test " + d.traffic(true)
	}
	return s
}

// taskSummary counts the tasks of each revision: "web:3 2 running (2
// healthy) · web:2 2 running".
func (d *deployment) taskSummary() string {
	var parts []string
	for _, r := range d.Revisions {
		var running, pending, healthy, stopping int
		for _, t := range d.Tasks {
			if t.RevisionArn != r.Arn {
				continue
			}
			switch {
			case t.LastStatus == "STOPPED":
			case t.DesiredStatus == "STOPPED":
				stopping++
			case t.LastStatus == "RUNNING":
				running++
				if t.HealthStatus == ecs.HealthStatusHealthy {
					healthy++
				}
			default:
				pending++
			}
		}
		s := fmt.Sprintf("%s %d running", d.rev(r.Arn), running)
		if healthy > 0 {
			s += fmt.Sprintf(" (%d healthy)", healthy)
		}
		if pending > 0 {
			s += fmt.Sprintf(", %d starting", pending)
		}
		if stopping > 0 {
			s += fmt.Sprintf(", %d stopping", stopping)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " · ")
}

// taskStatus is a task's last status, and where it is headed when that
// differs: "RUNNING (stopping)".
func taskStatus(t *cutoverapi.Task) string {
	switch {
	case t.DesiredStatus == "" || t.DesiredStatus == t.LastStatus:
		return t.LastStatus
	case t.DesiredStatus == "STOPPED":
		return t.LastStatus + " (stopping)"
	}
	return t.LastStatus + " (starting)"
}

// taskHealth is a task's container health, or "" once it has stopped.
func taskHealth(t *cutoverapi.Task) string {
	if t.LastStatus == "STOPPED" {
		return ""
	}
	return string(t.HealthStatus)
}

// sortedTasks returns the tasks in a stable order: the target's first,
// then by status, then by start.
func (d *deployment) sortedTasks() []cutoverapi.Task {
	roles := map[string]int{}
	for i, r := range d.Revisions {
		roles[r.Arn] = i
	}
	rank := map[string]int{"RUNNING": 0, "ACTIVATING": 1, "PENDING": 2, "PROVISIONING": 3, "DEACTIVATING": 4, "STOPPING": 5, "DEPROVISIONING": 6, "STOPPED": 7}
	tasks := slices.Clone(d.Tasks)
	slices.SortStableFunc(tasks, func(x, y cutoverapi.Task) int {
		return cmp.Or(cmp.Compare(roles[x.RevisionArn], roles[y.RevisionArn]),
			cmp.Compare(rank[x.LastStatus], rank[y.LastStatus]),
			cmp.Compare(x.HealthStatus, y.HealthStatus),
			ptrTime(x.StartedAt).Compare(ptrTime(y.StartedAt)),
			cmp.Compare(x.TaskArn, y.TaskArn))
	})
	return tasks
}

// ptrTime returns *t, or the zero time.
func ptrTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// actionHints are the commands that act on the deployment now.
func (d *deployment) actionHints() []string {
	arn := d.sd().ServiceDeploymentArn
	var hints []string
	var waiting []*cutoverapi.Hook
	for i := range d.Hooks {
		if awaiting(&d.Hooks[i]) {
			waiting = append(waiting, &d.Hooks[i])
		}
	}
	switch len(waiting) {
	case 0:
	case 1:
		hints = append(hints, "approve: cutover approve --deployment "+arn, "reject:  cutover reject --deployment "+arn)
	default:
		for _, h := range waiting {
			hints = append(hints, fmt.Sprintf("approve: cutover approve --deployment %s --hook-id %s", arn, h.HookID))
		}
	}
	if d.BakeEndsAt != nil && d.ongoing() {
		hints = append(hints, "end the bake time now: cutover end-bake --deployment "+arn)
	}
	return hints
}
