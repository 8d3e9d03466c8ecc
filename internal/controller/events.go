package controller

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
)

// deploymentEvents records what a deployment's status change means for
// the service: its events and the revision a later rollback returns to.
func (c *Controller) deploymentEvents(tx state.Tx, svc *state.Service, old, d *deploy.Deployment, now time.Time) error {
	if old != nil && old.Status == d.Status {
		return nil
	}
	rev, err := tx.Revision(d.Target.Arn)
	if err != nil {
		return err
	}
	prefix := "(deployment " + rev.LegacyID + ") "
	switch d.Status {
	case ecs.ServiceDeploymentStatusSuccessful:
		svc.StableRevision = d.Target.Arn
		addEvent(svc, now, prefix+"deployment completed.")
	case ecs.ServiceDeploymentStatusRollbackInProgress:
		addEvent(svc, now, prefix+"deployment failed: "+d.StatusReason+". Rolling back.")
	case ecs.ServiceDeploymentStatusRollbackSuccessful:
		addEvent(svc, now, prefix+"rollback completed.")
	case ecs.ServiceDeploymentStatusRollbackFailed:
		addEvent(svc, now, prefix+"rollback failed: "+d.StatusReason+".")
	case ecs.ServiceDeploymentStatusStopped:
		addEvent(svc, now, prefix+"deployment stopped: "+d.StatusReason+".")
	}
	return nil
}

// hookEvents tells in the service's events when a pause hook starts
// waiting and when a hook times out.
func hookEvents(svc *state.Service, old, d *deploy.Deployment, now time.Time) {
	before := map[string]ecs.DeploymentLifecycleHookStatus{}
	if old != nil {
		for _, h := range old.Hooks {
			before[h.ID] = h.Status
		}
	}
	for _, h := range d.Hooks {
		prev, seen := before[h.ID]
		switch {
		case !seen && h.Status == ecs.DeploymentLifecycleHookStatusAwaitingAction:
			addEvent(svc, now, fmt.Sprintf("(service deployment %s) is waiting at %s for pause hook %s until %s: continue or roll back with ContinueServiceDeployment.",
				state.LastPart(d.Arn), h.Stage, h.ID, h.ExpiresAt.UTC().Format(time.RFC3339)))
		case h.Status == ecs.DeploymentLifecycleHookStatusTimedOut && prev != h.Status:
			addEvent(svc, now, fmt.Sprintf("(service deployment %s) lifecycle hook %s timed out at %s; its timeout action is %s.",
				state.LastPart(d.Arn), h.ID, h.Stage, h.TimeoutAction))
		}
	}
}

// addEvent prepends a service event, keeping the newest MaxServiceEvents.
func addEvent(svc *state.Service, now time.Time, msg string) {
	ev := ecs.ServiceEvent{Id: uuid.NewString(), CreatedAt: ecs.TimeOf(now), Message: "(service " + svc.ServiceName + ") " + msg}
	svc.Events = append([]ecs.ServiceEvent{ev}, svc.Events...)
	if len(svc.Events) > state.MaxServiceEvents {
		svc.Events = svc.Events[:state.MaxServiceEvents]
	}
}

func taskList(ids []string) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = "(task " + id + ")"
	}
	return strings.Join(parts, " ")
}
