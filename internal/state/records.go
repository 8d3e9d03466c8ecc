package state

import (
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// Cluster is a stored cluster. Task and service counts are computed
// when it is described.
type Cluster struct {
	ecs.Cluster
}

// Service is a stored service: its configuration as the user gave it, as
// an ECS Service, plus what the control plane tracks about it. Counts,
// deployments[] and currentServiceRevisions are computed when described.
type Service struct {
	ecs.Service
	// Revision is the service revision the service runs (or deploys to).
	Revision string `json:"cutoverRevision,omitempty"`
	// StableRevision is the revision of the last completed deployment:
	// where a rollback returns to.
	StableRevision string `json:"cutoverStableRevision,omitempty"`
	// Deployment is the ARN of the service's latest service deployment.
	Deployment string `json:"cutoverDeployment,omitempty"`
	// StopRequested lists the deployments the API moved to STOP_REQUESTED
	// that the controller has yet to stop.
	StopRequested []string `json:"cutoverStopRequested,omitempty"`
	// Steady is set while the service is in a steady state.
	Steady bool `json:"cutoverSteady,omitempty"`
	// Throttled is set while task launches wait because tasks kept failing.
	Throttled bool `json:"cutoverThrottled,omitempty"`
}

// Revision is a stored, immutable service revision.
type Revision struct {
	ecs.ServiceRevision
	// Number is the numeric ID at the end of the revision's ARN.
	Number uint64 `json:"cutoverNumber"`
	// LegacyID is the ID of the revision in DescribeServices'
	// deployments[] ("ecs-svc/...").
	LegacyID string `json:"cutoverLegacyId"`
}

// TargetGroup returns the target group the revision's tasks register
// in, or "" for a revision without a load balancer.
func (r *Revision) TargetGroup() string {
	if r.ResolvedConfiguration == nil || len(r.ResolvedConfiguration.LoadBalancers) == 0 {
		return ""
	}
	return r.ResolvedConfiguration.LoadBalancers[0].TargetGroupArn
}

// Task is a stored task.
type Task struct {
	ecs.Task
	// ID is the last part of the task's ARN.
	ID string `json:"cutoverId"`
	// ServiceName is the service the task belongs to, empty for none.
	ServiceName string `json:"cutoverService,omitempty"`
	// Revision is the service revision the task runs.
	Revision string `json:"cutoverRevision,omitempty"`
	// Runtime names the runtime the task runs on (one of Runtimes),
	// fixed when the task is created; empty on records stored before
	// tasks recorded it, which ran on RuntimeProcess (see RuntimeName).
	Runtime string `json:"cutoverRuntime,omitempty"`
	// HealthChecked names the essential containers that have a health
	// check: the task is HEALTHY once all of them pass.
	HealthChecked []string `json:"cutoverHealthChecked,omitempty"`
	// Failed is set when the task stopped because it failed: it exited
	// on its own, could not start, or failed its health checks.
	Failed bool `json:"cutoverFailed,omitempty"`
	// Targets are the load balancer targets the task is registered as.
	Targets []TaskTarget `json:"cutoverTargets,omitempty"`
	// DrainUntil is when the task's deregistered targets have finished
	// draining and the task may be stopped.
	DrainUntil *time.Time `json:"cutoverDrainUntil,omitempty"`
}

// TaskTarget is a task registered in a target group.
type TaskTarget struct {
	Group string `json:"group"`
	Host  string `json:"host"`
	Port  int    `json:"port"`
}

// MaxServiceEvents is how many events a service keeps, newest first.
const MaxServiceEvents = 100

// Service statuses, as ECS spells them.
const (
	ServiceActive   = "ACTIVE"
	ServiceDraining = "DRAINING"
	ServiceInactive = "INACTIVE"
)
