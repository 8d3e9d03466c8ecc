package deploy

import (
	"fmt"

	"github.com/cutover/cutover/internal/ecs"
)

type status = ecs.ServiceDeploymentStatus

const (
	pending            = ecs.ServiceDeploymentStatusPending
	inProgress         = ecs.ServiceDeploymentStatusInProgress
	successful         = ecs.ServiceDeploymentStatusSuccessful
	stopRequested      = ecs.ServiceDeploymentStatusStopRequested
	stopped            = ecs.ServiceDeploymentStatusStopped
	rollbackRequested  = ecs.ServiceDeploymentStatusRollbackRequested
	rollbackInProgress = ecs.ServiceDeploymentStatusRollbackInProgress
	rollbackSuccessful = ecs.ServiceDeploymentStatusRollbackSuccessful
	rollbackFailed     = ecs.ServiceDeploymentStatusRollbackFailed
)

var terminal = map[status]bool{
	successful: true, stopped: true, rollbackSuccessful: true, rollbackFailed: true,
}

// transitions lists the legal status changes of a service deployment.
var transitions = map[status][]status{
	pending:            {inProgress, stopRequested, stopped, rollbackRequested},
	inProgress:         {successful, stopRequested, rollbackRequested, rollbackInProgress, stopped},
	stopRequested:      {stopped},
	rollbackRequested:  {rollbackInProgress, stopRequested, stopped},
	rollbackInProgress: {rollbackSuccessful, rollbackFailed, stopRequested},
}

// CheckTransition returns an error wrapping ErrIllegalTransition unless a
// deployment may go from status from to status to. Staying put is legal.
func CheckTransition(from, to status) error {
	if from == to {
		return nil
	}
	for _, s := range transitions[from] {
		if s == to {
			return nil
		}
	}
	return fmt.Errorf("%w: %s to %s", ErrIllegalTransition, from, to)
}
