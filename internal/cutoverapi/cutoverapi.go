// Package cutoverapi holds the wire types of cutover's own API
// operations, served beside the ECS ones on the same endpoint and in the
// same protocol (JSON 1.1, POST /, X-Amz-Target: CutoverV1.<Operation>,
// AWS-shaped errors). They cover what ECS has no operation for: ending a
// bake time early, a deployment's full progress and the audit trail.
package cutoverapi

import (
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/ecs"
)

// TargetPrefix starts the X-Amz-Target header of cutover's operations.
const TargetPrefix = "CutoverV1."

// Operation names.
const (
	OpEndServiceDeploymentBakeTime     = "EndServiceDeploymentBakeTime"
	OpDescribeServiceDeploymentDetails = "DescribeServiceDeploymentDetails"
	OpListAuditRecords                 = "ListAuditRecords"
)

// EndServiceDeploymentBakeTimeRequest ends a blue/green, linear or canary
// deployment's bake time now, or skips it when the deployment has not
// reached it yet: the previous revision is cleaned up at once.
type EndServiceDeploymentBakeTimeRequest struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
}

// EndServiceDeploymentBakeTimeResponse answers EndServiceDeploymentBakeTime.
type EndServiceDeploymentBakeTimeResponse struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
}

// DescribeServiceDeploymentDetailsRequest asks for everything about one
// service deployment.
type DescribeServiceDeploymentDetailsRequest struct {
	ServiceDeploymentArn string `json:"serviceDeploymentArn"`
}

// DescribeServiceDeploymentDetailsResponse answers
// DescribeServiceDeploymentDetails.
type DescribeServiceDeploymentDetailsResponse struct {
	Details DeploymentDetails `json:"details"`
}

// DeploymentDetails is a service deployment with what ECS does not show:
// its stage timeline, every hook run, the revisions' traffic weights,
// the tasks and the audit trail.
type DeploymentDetails struct {
	// ServiceDeployment is the deployment as DescribeServiceDeployments
	// shows it.
	ServiceDeployment ecs.ServiceDeployment `json:"serviceDeployment"`
	ClusterName       string                `json:"clusterName"`
	ServiceName       string                `json:"serviceName"`
	// Stages is the timeline, in order; the last entry of an ongoing
	// deployment has no endedAt.
	Stages []StageRun `json:"stages"`
	// BakeEndsAt is when the bake time ends, while the deployment is in
	// BAKE_TIME; BakeEndedAt is when EndServiceDeploymentBakeTime ended
	// it (or asked to skip it).
	BakeEndsAt  *time.Time `json:"bakeEndsAt,omitempty"`
	BakeEndedAt *time.Time `json:"bakeEndedAt,omitempty"`
	// Revisions are the revisions taking part: the target first, then the
	// sources.
	Revisions []Revision `json:"revisions"`
	// Hooks are all hook runs so far, oldest first.
	Hooks []Hook `json:"hooks"`
	// Tasks are the service's tasks that have not stopped, and those of
	// the deployment's revisions that stopped since it was created.
	Tasks []Task `json:"tasks"`
	// ProductionURL and TestURL are the listeners' addresses, when the
	// service is behind a load balancer.
	ProductionURL string `json:"productionUrl,omitempty"`
	TestURL       string `json:"testUrl,omitempty"`
	// Audit is the deployment's audit trail, oldest first.
	Audit []AuditRecord `json:"audit"`
}

// StageRun is one entry of a deployment's timeline.
type StageRun struct {
	Stage     ecs.ServiceDeploymentLifecycleStage `json:"stage"`
	Step      int                                 `json:"step,omitempty"`
	Rollback  bool                                `json:"rollback,omitempty"`
	StartedAt time.Time                           `json:"startedAt"`
	EndedAt   *time.Time                          `json:"endedAt,omitempty"`
}

// Revision is a service revision taking part in a deployment.
type Revision struct {
	Arn            string `json:"arn"`
	Role           string `json:"role"` // "target" or "source"
	TaskDefinition string `json:"taskDefinition,omitempty"`
	TargetGroupArn string `json:"targetGroupArn,omitempty"`
	Requested      int    `json:"requested"`
	Running        int    `json:"running"`
	Pending        int    `json:"pending"`
	// TestWeight and ProductionWeight are the percentages of each
	// listener's traffic the revision receives.
	TestWeight       float64 `json:"testWeight"`
	ProductionWeight float64 `json:"productionWeight"`
}

// Hook is one run of a lifecycle hook.
type Hook struct {
	HookID        string                                `json:"hookId"`
	Stage         ecs.DeploymentLifecycleHookStage      `json:"stage"`
	Step          int                                   `json:"step,omitempty"`
	Rollback      bool                                  `json:"rollback,omitempty"`
	TargetType    ecs.DeploymentLifecycleHookTargetType `json:"targetType"`
	TargetArn     string                                `json:"targetArn,omitempty"`
	Status        ecs.DeploymentLifecycleHookStatus     `json:"status"`
	StartedAt     time.Time                             `json:"startedAt"`
	ExpiresAt     time.Time                             `json:"expiresAt"`
	TimeoutAction ecs.DeploymentLifecycleHookAction     `json:"timeoutAction"`
	Attempts      int                                   `json:"attempts"`
	NextInvokeAt  *time.Time                            `json:"nextInvokeAt,omitempty"`
	LastReply     string                                `json:"lastReply,omitempty"`
	Reason        string                                `json:"reason,omitempty"`
	// Current marks the runs of the deployment's current stage: the ones
	// ContinueServiceDeployment can act on.
	Current bool `json:"current"`
}

// Task is a task of the service.
type Task struct {
	TaskArn       string           `json:"taskArn"`
	RevisionArn   string           `json:"revisionArn"`
	LastStatus    string           `json:"lastStatus"`
	DesiredStatus string           `json:"desiredStatus"`
	HealthStatus  ecs.HealthStatus `json:"healthStatus,omitempty"`
	// TargetHealth is the load balancer's view of the task, when it is
	// registered: initial, healthy, unhealthy, draining.
	TargetHealth  string     `json:"targetHealth,omitempty"`
	StartedAt     *time.Time `json:"startedAt,omitempty"`
	StoppedAt     *time.Time `json:"stoppedAt,omitempty"`
	StoppedReason string     `json:"stoppedReason,omitempty"`
}

// Actions of the audit trail: the operations that change what is
// deployed or how a deployment goes.
const (
	ActionCreateService = "CreateService"
	ActionUpdateService = "UpdateService"
	ActionDeleteService = "DeleteService"
	ActionContinue      = "ContinueServiceDeployment"
	ActionStop          = "StopServiceDeployment"
	ActionEndBake       = OpEndServiceDeploymentBakeTime
)

// ListAuditRecordsRequest lists a service's audit trail, oldest first,
// optionally only the records of one of its deployments.
type ListAuditRecordsRequest struct {
	Cluster              string `json:"cluster,omitempty"`
	Service              string `json:"service"`
	ServiceDeploymentArn string `json:"serviceDeploymentArn,omitempty"`
	MaxResults           int    `json:"maxResults,omitempty"`
	NextToken            string `json:"nextToken,omitempty"`
}

// ListAuditRecordsResponse answers ListAuditRecords.
type ListAuditRecordsResponse struct {
	AuditRecords []AuditRecord `json:"auditRecords"`
	NextToken    string        `json:"nextToken,omitempty"`
}

// AuditRecord says who did what, when: a service created, updated or
// deleted, a hook continued or rolled back, a deployment stopped, a bake
// time ended.
type AuditRecord struct {
	// Seq numbers the records of the whole server in order.
	Seq                  uint64      `json:"seq"`
	Time                 time.Time   `json:"time"`
	Action               string      `json:"action"`
	Actor                audit.Actor `json:"actor"`
	ClusterArn           string      `json:"clusterArn"`
	ServiceArn           string      `json:"serviceArn"`
	ServiceDeploymentArn string      `json:"serviceDeploymentArn,omitempty"`
	HookID               string      `json:"hookId,omitempty"`
	Detail               string      `json:"detail,omitempty"`
}
