package runtime

// The keys of TaskSpec.Labels the control plane sets: the ones the ECS
// agent puts on a task's containers, and cutover's for the service and
// its revision. Drivers read them to group a service's tasks (the
// kubernetes driver labels pods by cluster, service and revision). The
// container's own name (com.amazonaws.ecs.container-name) is a driver's
// to add.
const (
	// LabelCluster holds the cluster's ARN.
	LabelCluster = "com.amazonaws.ecs.cluster"
	// LabelTaskArn holds the task's ARN.
	LabelTaskArn = "com.amazonaws.ecs.task-arn"
	// LabelTaskDefFamily holds the task definition's family.
	LabelTaskDefFamily = "com.amazonaws.ecs.task-definition-family"
	// LabelTaskDefVersion holds the task definition's revision number.
	LabelTaskDefVersion = "com.amazonaws.ecs.task-definition-version"
	// LabelService holds the service's name, on a service's tasks only.
	LabelService = "io.cutover.service"
	// LabelServiceRevision holds the service revision's ARN, on a
	// service's tasks only.
	LabelServiceRevision = "io.cutover.revision"
)
