package deploy

import (
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// Deployment is the engine's persisted state of one service deployment.
// The API renders it as an ECS ServiceDeployment.
type Deployment struct {
	Arn        string `json:"arn"`
	ServiceArn string `json:"serviceArn"`
	ClusterArn string `json:"clusterArn"`

	Strategy     ecs.DeploymentStrategy              `json:"strategy"`
	Status       ecs.ServiceDeploymentStatus         `json:"status"`
	StatusReason string                              `json:"statusReason,omitempty"`
	Stage        ecs.ServiceDeploymentLifecycleStage `json:"stage,omitempty"`
	StageStarted time.Time                           `json:"stageStartedAt,omitzero"`
	// Step numbers the production traffic shifts of a LINEAR or CANARY
	// deployment from 0; the shift stages repeat for each.
	Step   int                         `json:"step,omitempty"`
	Config ecs.DeploymentConfiguration `json:"config"`

	// Target is the revision being deployed; Sources are the revisions
	// that had tasks when the deployment was created.
	Target  RevisionCounts   `json:"target"`
	Sources []RevisionCounts `json:"sources,omitempty"`

	// RollbackTo is the revision a rollback returns to: the service's
	// last stable revision when the deployment was created (empty for a
	// service's first deployment).
	RollbackTo string    `json:"rollbackTo,omitempty"`
	Rollback   *Rollback `json:"rollback,omitempty"`

	// FailedTasks counts target tasks that stopped without being asked to.
	FailedTasks int `json:"failedTasks,omitempty"`
	// BreakerTripped is set once the circuit breaker failed the deployment.
	BreakerTripped bool `json:"breakerTripped,omitempty"`
	// TriggeredAlarms are the watched alarms that failed the deployment.
	TriggeredAlarms []string `json:"triggeredAlarms,omitempty"`
	// Hooks are the lifecycle hook runs so far.
	Hooks []HookRun `json:"hooks,omitempty"`
	// Stages is the timeline: every stage entered so far, in order.
	Stages []StageRun `json:"stages,omitempty"`
	// BakeEnded, beyond ECS, is when EndBake cut the bake time short.
	BakeEnded time.Time `json:"bakeEndedAt,omitzero"`

	CreatedAt  time.Time `json:"createdAt"`
	StartedAt  time.Time `json:"startedAt,omitzero"`
	UpdatedAt  time.Time `json:"updatedAt"`
	FinishedAt time.Time `json:"finishedAt,omitzero"`
	StoppedAt  time.Time `json:"stoppedAt,omitzero"`
}

// RevisionCounts is a revision taking part in a deployment with its last
// observed task counts.
type RevisionCounts struct {
	Arn       string `json:"arn"`
	Requested int    `json:"requested"`
	Running   int    `json:"running"`
	Pending   int    `json:"pending"`
	// TestWeight and ProductionWeight are the percentages of the test and
	// production listener rules' traffic the load balancer sends to the
	// revision (strategies that shift traffic only).
	TestWeight       float64 `json:"testWeight,omitempty"`
	ProductionWeight float64 `json:"productionWeight,omitempty"`
}

// StageRun is one entry of a deployment's timeline: a stage entered at
// StartedAt, left when the next entry starts or the deployment ends.
type StageRun struct {
	Stage ecs.ServiceDeploymentLifecycleStage `json:"stage"`
	// Step is the production traffic step (LINEAR and CANARY).
	Step int `json:"step,omitempty"`
	// Rollback marks the stages run while rolling back.
	Rollback  bool      `json:"rollback,omitempty"`
	StartedAt time.Time `json:"startedAt"`
}

// Rollback records why and when a deployment started rolling back.
type Rollback struct {
	Reason      string    `json:"reason"`
	StartedAt   time.Time `json:"startedAt"`
	RevisionArn string    `json:"revisionArn"`
}

// Ongoing reports whether the deployment has not reached a final status.
func (d *Deployment) Ongoing() bool { return !terminal[d.Status] }

// RollingBack reports whether the deployment is returning to RollbackTo.
func (d *Deployment) RollingBack() bool {
	return d.Status == ecs.ServiceDeploymentStatusRollbackRequested ||
		d.Status == ecs.ServiceDeploymentStatusRollbackInProgress
}

// EndedAt is when the deployment reached its final status, or zero.
func (d *Deployment) EndedAt() time.Time {
	if !d.FinishedAt.IsZero() {
		return d.FinishedAt
	}
	return d.StoppedAt
}

// Goal is the revision the deployment is currently moving tasks to: the
// target, or RollbackTo while rolling back.
func (d *Deployment) Goal() string {
	if d.Rollback != nil {
		return d.Rollback.RevisionArn
	}
	return d.Target.Arn
}
