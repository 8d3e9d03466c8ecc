package ecsapi

import (
	"slices"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
)

// revisionTasks counts a service's tasks of one revision.
type revisionTasks struct {
	running, pending int32
}

// renderService is a service as DescribeServices shows it: the stored
// configuration plus counts, deployments[] and current revisions
// computed from its tasks.
func (a *API) renderService(tx state.Tx, svc *state.Service, include []ecs.ServiceField) (*ecs.Service, error) {
	out := svc.Service
	cluster := state.LastPart(svc.ClusterArn)
	counts := map[string]*revisionTasks{}
	var order []string
	var running, pending int32
	err := tx.ServiceTasks(cluster, svc.ServiceName, func(t *state.Task) error {
		if t.LastStatus == state.TaskStopped {
			return nil
		}
		rc := counts[t.Revision]
		if rc == nil {
			rc = &revisionTasks{}
			counts[t.Revision] = rc
			order = append(order, t.Revision)
		}
		// Tasks on their way down keep their revision listed but count
		// as neither running nor pending.
		switch t.LastStatus {
		case state.TaskRunning:
			rc.running++
			running++
		case state.TaskProvisioning, state.TaskPending:
			rc.pending++
			pending++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.RunningCount, out.PendingCount = &running, &pending

	var current *deploy.Deployment
	if svc.Deployment != "" {
		if current, err = tx.Deployment(svc.Deployment); err != nil {
			return nil, err
		}
		out.CurrentServiceDeployment = current.Arn
	}
	// deployments[]: the PRIMARY revision first, then every other
	// revision that still has tasks.
	if svc.Revision != "" {
		order = append([]string{svc.Revision}, slices.DeleteFunc(order, func(r string) bool { return r == svc.Revision })...)
	}
	out.Deployments = []ecs.Deployment{}
	out.CurrentServiceRevisions = []ecs.ServiceCurrentRevisionSummary{}
	for _, arn := range order {
		rev, err := tx.Revision(arn)
		if err != nil {
			return nil, err
		}
		rc := counts[arn]
		if rc == nil {
			rc = &revisionTasks{}
		}
		dep := ecs.Deployment{
			Id:                   rev.LegacyID,
			Status:               "ACTIVE",
			TaskDefinition:       rev.TaskDefinition,
			DesiredCount:         ecs.Int32(rc.running + rc.pending),
			PendingCount:         ecs.Int32(rc.pending),
			RunningCount:         ecs.Int32(rc.running),
			FailedTasks:          ecs.Int32(0),
			CreatedAt:            rev.CreatedAt,
			UpdatedAt:            rev.CreatedAt,
			LaunchType:           rev.LaunchType,
			PlatformVersion:      rev.PlatformVersion,
			NetworkConfiguration: rev.NetworkConfiguration,
		}
		requested := dep.DesiredCount
		if arn == svc.Revision {
			dep.Status, dep.DesiredCount, requested = "PRIMARY", svc.DesiredCount, svc.DesiredCount
			if current != nil {
				dep.RolloutState = rolloutState(current)
				dep.RolloutStateReason = current.StatusReason
				dep.UpdatedAt = ecs.TimeOf(current.UpdatedAt)
				if current.Target.Arn == arn {
					// After a rollback the failures belong to the revision left.
					dep.FailedTasks = ecs.Int32(int32(current.FailedTasks))
				}
			}
		}
		out.Deployments = append(out.Deployments, dep)
		out.CurrentServiceRevisions = append(out.CurrentServiceRevisions, ecs.ServiceCurrentRevisionSummary{
			Arn:                arn,
			RequestedTaskCount: requested,
			RunningTaskCount:   ecs.Int32(rc.running),
			PendingTaskCount:   ecs.Int32(rc.pending),
		})
	}
	if slices.Contains(include, ecs.ServiceFieldTags) {
		if out.Tags, err = tx.Tags(svc.ServiceArn); err != nil {
			return nil, err
		}
	}
	if out.Events == nil {
		out.Events = []ecs.ServiceEvent{}
	}
	return &out, nil
}

// renderDeployment is a service deployment as
// DescribeServiceDeployments shows it.
func renderDeployment(d *deploy.Deployment) ecs.ServiceDeployment {
	summary := func(rc deploy.RevisionCounts) ecs.ServiceRevisionSummary {
		s := ecs.ServiceRevisionSummary{
			Arn:                rc.Arn,
			RequestedTaskCount: ecs.Int32(int32(rc.Requested)),
			RunningTaskCount:   ecs.Int32(int32(rc.Running)),
			PendingTaskCount:   ecs.Int32(int32(rc.Pending)),
		}
		if deploy.ShiftsTraffic(d.Strategy) {
			s.RequestedTestTrafficWeight, s.RequestedProductionTrafficWeight = &rc.TestWeight, &rc.ProductionWeight
		}
		return s
	}
	target := summary(d.Target)
	cfg := d.Config
	out := ecs.ServiceDeployment{
		ServiceDeploymentArn:     d.Arn,
		ServiceArn:               d.ServiceArn,
		ClusterArn:               d.ClusterArn,
		CreatedAt:                ecs.TimeOf(d.CreatedAt),
		StartedAt:                optTime(d.StartedAt),
		FinishedAt:               optTime(d.FinishedAt),
		StoppedAt:                optTime(d.StoppedAt),
		UpdatedAt:                ecs.TimeOf(d.UpdatedAt),
		SourceServiceRevisions:   []ecs.ServiceRevisionSummary{},
		TargetServiceRevision:    &target,
		Status:                   d.Status,
		StatusReason:             d.StatusReason,
		LifecycleStage:           d.Stage,
		LifecycleHookDetails:     hookDetails(d),
		DeploymentConfiguration:  &cfg,
		DeploymentCircuitBreaker: circuitBreaker(d),
		Alarms:                   deploymentAlarms(d),
	}
	for _, s := range d.Sources {
		out.SourceServiceRevisions = append(out.SourceServiceRevisions, summary(s))
	}
	if r := d.Rollback; r != nil {
		out.Rollback = &ecs.Rollback{Reason: r.Reason, StartedAt: ecs.TimeOf(r.StartedAt), ServiceRevisionArn: r.RevisionArn}
	}
	return out
}

// circuitBreaker is the circuit breaker's view of a deployment.
func circuitBreaker(d *deploy.Deployment) *ecs.ServiceDeploymentCircuitBreaker {
	cb := &ecs.ServiceDeploymentCircuitBreaker{
		Status: ecs.ServiceDeploymentRollbackMonitorsStatusDisabled, FailureCount: ecs.Int32(int32(d.FailedTasks)), Threshold: ecs.Int32(0),
	}
	if !d.BreakerEnabled() {
		return cb
	}
	desired := d.Target.Requested // the goal requests the desired count, the others none
	for _, s := range d.Sources {
		desired += s.Requested
	}
	cb.Threshold = ecs.Int32(int32(deploy.BreakerThreshold(desired)))
	switch {
	case d.BreakerTripped:
		cb.Status = ecs.ServiceDeploymentRollbackMonitorsStatusTriggered
	case d.Ongoing():
		cb.Status = ecs.ServiceDeploymentRollbackMonitorsStatusMonitoring
	default:
		cb.Status = ecs.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete
	}
	return cb
}

// deploymentAlarms is the alarm check's view of a deployment.
func deploymentAlarms(d *deploy.Deployment) *ecs.ServiceDeploymentAlarms {
	if !d.AlarmsEnabled() {
		return &ecs.ServiceDeploymentAlarms{Status: ecs.ServiceDeploymentRollbackMonitorsStatusDisabled}
	}
	a := &ecs.ServiceDeploymentAlarms{AlarmNames: d.Config.Alarms.AlarmNames, TriggeredAlarmNames: d.TriggeredAlarms}
	switch {
	case len(d.TriggeredAlarms) > 0:
		a.Status = ecs.ServiceDeploymentRollbackMonitorsStatusTriggered
	case d.Ongoing():
		a.Status = ecs.ServiceDeploymentRollbackMonitorsStatusMonitoring
	default:
		a.Status = ecs.ServiceDeploymentRollbackMonitorsStatusMonitoringComplete
	}
	return a
}

// briefDeployment is a service deployment as ListServiceDeployments
// shows it.
func briefDeployment(d *deploy.Deployment) ecs.ServiceDeploymentBrief {
	return ecs.ServiceDeploymentBrief{
		ServiceDeploymentArn:     d.Arn,
		ServiceArn:               d.ServiceArn,
		ClusterArn:               d.ClusterArn,
		StartedAt:                optTime(d.StartedAt),
		CreatedAt:                ecs.TimeOf(d.CreatedAt),
		FinishedAt:               optTime(d.FinishedAt),
		TargetServiceRevisionArn: d.Target.Arn,
		Status:                   d.Status,
		StatusReason:             d.StatusReason,
	}
}

func optTime(t time.Time) *ecs.Time {
	if t.IsZero() {
		return nil
	}
	return ecs.TimeOf(t)
}
