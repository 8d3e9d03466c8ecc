package state

import (
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

// Task statuses (lastStatus and desiredStatus), as ECS spells them.
const (
	TaskProvisioning   = "PROVISIONING"
	TaskPending        = "PENDING"
	TaskRunning        = "RUNNING"
	TaskDeactivating   = "DEACTIVATING"
	TaskStopping       = "STOPPING"
	TaskDeprovisioning = "DEPROVISIONING"
	TaskStopped        = "STOPPED"
)

// RequestStop marks a task for stopping: desired STOPPED with the reason
// and code, and lastStatus DEACTIVATING if it had not got further. It
// reports false when the task was already on its way down.
func (t *Task) RequestStop(code ecs.TaskStopCode, reason string, now time.Time) bool {
	if t.DesiredStatus == TaskStopped {
		return false
	}
	t.DesiredStatus = TaskStopped
	t.StopCode, t.StoppedReason = code, reason
	t.StoppingAt = ecs.TimeOf(now)
	switch t.LastStatus {
	case TaskProvisioning, TaskPending, TaskRunning:
		t.LastStatus = TaskDeactivating
	}
	t.Touch()
	return true
}

// Touch increments the task's version, as ECS does on every change.
func (t *Task) Touch() {
	t.Version = ecs.Int64(ecs.Int64Value(t.Version) + 1)
}
