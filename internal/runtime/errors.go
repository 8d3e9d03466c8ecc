package runtime

import "errors"

// Errors returned by drivers; check them with errors.Is.
var (
	// ErrTaskNotFound means the driver does not know the task or container.
	ErrTaskNotFound = errors.New("task not found")
	// ErrTaskRunning means the operation needs a stopped task.
	ErrTaskRunning = errors.New("task is still running")
	// ErrInvalidSpec means the task spec cannot be run by this driver.
	ErrInvalidSpec = errors.New("invalid task spec")
	// ErrUnavailable means the driver cannot run tasks now, e.g. because
	// the container daemon it talks to is unreachable.
	ErrUnavailable = errors.New("runtime unavailable")
)
