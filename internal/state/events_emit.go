package state

import (
	"errors"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/store"
)

// This file derives events from record changes. PutDeployment, PutTask
// and PutService call it with the record they replace (nil for a new
// one), so every writer emits the events in the same transaction.

// eventTime formats a timestamp of an event's detail: RFC 3339 in UTC
// with milliseconds, as ECS writes them.
func eventTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// Event types of a detail's eventType.
const (
	eventInfo  = "INFO"
	eventWarn  = "WARN"
	eventError = "ERROR"
)

type eventKind struct{ typ, name string }

// deploymentEventKinds maps the deployment statuses that emit an event
// to its type and name; other statuses emit none.
var deploymentEventKinds = map[ecs.ServiceDeploymentStatus]eventKind{
	ecs.ServiceDeploymentStatusInProgress:         {eventInfo, "SERVICE_DEPLOYMENT_IN_PROGRESS"},
	ecs.ServiceDeploymentStatusSuccessful:         {eventInfo, "SERVICE_DEPLOYMENT_COMPLETED"},
	ecs.ServiceDeploymentStatusRollbackInProgress: {eventError, "SERVICE_DEPLOYMENT_FAILED"},
	ecs.ServiceDeploymentStatusRollbackFailed:     {eventError, "SERVICE_DEPLOYMENT_FAILED"},
	ecs.ServiceDeploymentStatusStopped:            {eventError, "SERVICE_DEPLOYMENT_FAILED"},
	ecs.ServiceDeploymentStatusRollbackSuccessful: {eventInfo, "SERVICE_DEPLOYMENT_COMPLETED"},
}

// hookEventKinds maps hook run statuses to their event's type and name.
var hookEventKinds = map[ecs.DeploymentLifecycleHookStatus]eventKind{
	ecs.DeploymentLifecycleHookStatusInProgress:     {eventInfo, "HOOK_IN_PROGRESS"},
	ecs.DeploymentLifecycleHookStatusAwaitingAction: {eventInfo, "HOOK_AWAITING_ACTION"},
	ecs.DeploymentLifecycleHookStatusSucceeded:      {eventInfo, "HOOK_SUCCEEDED"},
	ecs.DeploymentLifecycleHookStatusFailed:         {eventError, "HOOK_FAILED"},
	ecs.DeploymentLifecycleHookStatusTimedOut:       {eventError, "HOOK_TIMED_OUT"},
}

type deploymentDetail struct {
	EventType            string                      `json:"eventType"`
	EventName            string                      `json:"eventName"`
	DeploymentID         string                      `json:"deploymentId"`
	ServiceDeploymentArn string                      `json:"serviceDeploymentArn"`
	Status               ecs.ServiceDeploymentStatus `json:"status"`
	UpdatedAt            string                      `json:"updatedAt"`
	Reason               string                      `json:"reason"`
}

type hookDetail struct {
	EventType            string                                `json:"eventType"`
	EventName            string                                `json:"eventName"`
	HookID               string                                `json:"hookId"`
	HookType             ecs.DeploymentLifecycleHookTargetType `json:"hookType"`
	HookTargetArn        string                                `json:"hookTargetArn,omitempty"`
	LifecycleStage       ecs.DeploymentLifecycleHookStage      `json:"lifecycleStage"`
	ExpiresAt            string                                `json:"expiresAt"`
	ClusterArn           string                                `json:"clusterArn"`
	ServiceArn           string                                `json:"serviceArn"`
	ServiceDeploymentArn string                                `json:"serviceDeploymentArn"`
	Status               ecs.DeploymentLifecycleHookStatus     `json:"status"`
	Reason               string                                `json:"reason,omitempty"`
	UpdatedAt            string                                `json:"updatedAt"`
}

type serviceActionDetail struct {
	EventType  string `json:"eventType"`
	EventName  string `json:"eventName"`
	ClusterArn string `json:"clusterArn"`
	CreatedAt  string `json:"createdAt"`
}

// deploymentEvents emits the events of a deployment replacing old. The
// start of a deployment comes before the hooks it starts; otherwise hook
// events come first, as a hook's outcome is what moves a deployment on.
func (t Tx) deploymentEvents(old, d *deploy.Deployment) error {
	statusChanged := old == nil || old.Status != d.Status
	if statusChanged && d.Status == ecs.ServiceDeploymentStatusInProgress {
		if err := t.deploymentStateEvent(d); err != nil {
			return err
		}
		statusChanged = false
	}
	if err := t.hookEvents(old, d); err != nil {
		return err
	}
	if statusChanged {
		return t.deploymentStateEvent(d)
	}
	return nil
}

func (t Tx) deploymentStateEvent(d *deploy.Deployment) error {
	kind, ok := deploymentEventKinds[d.Status]
	if !ok {
		return nil
	}
	id, err := t.revisionID(d.Target.Arn, LastPart(d.Arn))
	if err != nil {
		return err
	}
	var reason string
	switch d.Status {
	case ecs.ServiceDeploymentStatusInProgress:
		reason = "ECS deployment " + id + " in progress."
	case ecs.ServiceDeploymentStatusSuccessful:
		reason = "ECS deployment " + id + " completed."
	case ecs.ServiceDeploymentStatusRollbackSuccessful:
		to := d.RollbackTo
		if d.Rollback != nil {
			to = d.Rollback.RevisionArn
		}
		toID, err := t.revisionID(to, to)
		if err != nil {
			return err
		}
		reason = "ECS deployment " + id + " rolled back to " + toID
	default:
		reason = d.StatusReason
	}
	updated := d.UpdatedAt
	if updated.IsZero() {
		updated = clock()
	}
	return t.AppendEvent(DetailDeploymentStateChange, []string{d.ServiceArn}, deploymentDetail{
		EventType: kind.typ, EventName: kind.name,
		DeploymentID: id, ServiceDeploymentArn: d.Arn,
		Status: d.Status, UpdatedAt: eventTime(updated), Reason: reason,
	})
}

// revisionID returns the legacy deployment ID ("ecs-svc/...") of the
// revision arn, or fallback when there is no such revision.
func (t Tx) revisionID(arn, fallback string) (string, error) {
	r, err := t.Revision(arn)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fallback, nil
	case err != nil:
		return "", err
	case r.LegacyID == "":
		return fallback, nil
	}
	return r.LegacyID, nil
}

// hookEvents emits an event for each hook run of d that is new or whose
// status differs from its run in old.
func (t Tx) hookEvents(old, d *deploy.Deployment) error {
	var was map[string]ecs.DeploymentLifecycleHookStatus
	if old != nil && len(old.Hooks) > 0 {
		was = make(map[string]ecs.DeploymentLifecycleHookStatus, len(old.Hooks))
		for _, h := range old.Hooks {
			was[h.ID] = h.Status
		}
	}
	for _, h := range d.Hooks {
		if s, ok := was[h.ID]; ok && s == h.Status {
			continue
		}
		kind, ok := hookEventKinds[h.Status]
		if !ok {
			continue
		}
		err := t.AppendEvent(DetailHookStateChange, []string{d.Arn}, hookDetail{
			EventType: kind.typ, EventName: kind.name,
			HookID: h.ID, HookType: h.TargetType, HookTargetArn: h.TargetArn,
			LifecycleStage: h.Stage, ExpiresAt: eventTime(h.ExpiresAt),
			ClusterArn: d.ClusterArn, ServiceArn: d.ServiceArn, ServiceDeploymentArn: d.Arn,
			Status: h.Status, Reason: h.Reason, UpdatedAt: eventTime(d.UpdatedAt),
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// taskEvents emits a task state change when tk is new or its last or
// desired status differs from old's.
func (t Tx) taskEvents(old, tk *Task) error {
	if old != nil && old.LastStatus == tk.LastStatus && old.DesiredStatus == tk.DesiredStatus {
		return nil
	}
	return t.AppendEvent(DetailTaskStateChange, []string{tk.TaskArn}, newTaskDetail(&tk.Task, clock()))
}

// serviceEvents emits the service actions of s replacing old: reaching a
// steady state, and task launches being throttled.
func (t Tx) serviceEvents(old, s *Service) error {
	action := func(typ, name string) error {
		return t.AppendEvent(DetailServiceAction, []string{s.ServiceArn}, serviceActionDetail{
			EventType: typ, EventName: name, ClusterArn: s.ClusterArn, CreatedAt: eventTime(clock()),
		})
	}
	if s.Steady && (old == nil || !old.Steady) {
		if err := action(eventInfo, "SERVICE_STEADY_STATE"); err != nil {
			return err
		}
	}
	if s.Throttled && (old == nil || !old.Throttled) {
		return action(eventWarn, "SERVICE_TASK_START_IMPAIRED")
	}
	return nil
}
