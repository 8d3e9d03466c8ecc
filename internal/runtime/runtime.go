package runtime

import (
	"context"
	"io"
	"time"
)

// Driver runs tasks. A task is a group of containers started together on
// one host; the control plane decides which tasks should exist and the
// driver makes them real. Implementations: process (host processes) and,
// later, docker and kubernetes. Every implementation passes the
// conformance suite in runtime/runtimetest.
type Driver interface {
	// Start launches the task described by spec and returns its status
	// once every container has been launched (State PENDING or RUNNING).
	// Host ports for PortMappings with HostPort 0 are chosen by the
	// driver and reported in the status. Start is idempotent: starting a
	// task ID the driver already knows returns that task's status and
	// launches nothing. It returns ErrInvalidSpec for a spec it cannot run.
	Start(ctx context.Context, spec TaskSpec) (TaskStatus, error)

	// Inspect returns the current status of a task, or ErrTaskNotFound.
	Inspect(ctx context.Context, id string) (TaskStatus, error)

	// List returns the status of every task the driver knows, including
	// tasks started by an earlier instance of the control plane that kept
	// running while it was down (adoption).
	List(ctx context.Context) ([]TaskStatus, error)

	// Stop asks the task to stop: each container gets SIGTERM and, after
	// its StopTimeout, SIGKILL. It returns once the request is delivered;
	// the task reaches StateStopped asynchronously (poll Inspect).
	// Stopping a stopped task is a no-op. It returns ErrTaskNotFound for
	// an unknown task.
	Stop(ctx context.Context, id string) error

	// Remove forgets a stopped task and frees what it held (files, ports).
	// Removing an unknown task is a no-op; removing a task that is not
	// stopped returns ErrTaskRunning.
	Remove(ctx context.Context, id string) error

	// Logs writes up to the last maxBytes bytes (0 means all that is
	// kept) of a container's combined stdout and stderr to w. It returns
	// ErrTaskNotFound for an unknown task or container.
	Logs(ctx context.Context, id, container string, maxBytes int64, w io.Writer) error
}

// TaskSpec is everything a driver needs to run one task.
type TaskSpec struct {
	// ID identifies the task; it is unique and safe as a file name.
	ID string `json:"id"`
	// Containers are started in order.
	Containers []ContainerSpec `json:"containers"`
}

// ContainerSpec describes one container of a task.
type ContainerSpec struct {
	// Name is unique within the task.
	Name string `json:"name"`
	// Image is the container image; the process driver ignores it.
	Image string `json:"image,omitempty"`
	// Command is the resolved argv: the task definition's entryPoint
	// followed by its command. It must not be empty for the process driver.
	Command []string `json:"command"`
	// Env holds the environment variables set for the container, on top
	// of the ones the driver adds (PORT, PORT_<containerPort>).
	Env map[string]string `json:"env,omitempty"`
	// WorkingDir is the directory the container starts in; empty means a
	// driver-chosen directory.
	WorkingDir string `json:"workingDir,omitempty"`
	// Essential containers stop the whole task when they exit.
	Essential bool `json:"essential"`
	// Ports are the container's port mappings.
	Ports []PortMapping `json:"ports,omitempty"`
	// HealthCheck, when set, is run by the driver for as long as the
	// container runs, even while the control plane is down.
	HealthCheck *HealthCheck `json:"healthCheck,omitempty"`
	// StopTimeout is how long the container gets between SIGTERM and
	// SIGKILL; zero means 30 seconds.
	StopTimeout time.Duration `json:"stopTimeout,omitempty"`
}

// PortMapping maps a container port to a host port.
type PortMapping struct {
	// ContainerPort is the port the container listens on (informational
	// for the process driver, which gives the process HostPort instead).
	ContainerPort int `json:"containerPort"`
	// HostPort is the host port; 0 lets the driver choose a free one.
	HostPort int `json:"hostPort,omitempty"`
	// Protocol is "tcp" (default) or "udp".
	Protocol string `json:"protocol,omitempty"`
}

// HealthCheck is a container health check as in an ECS task definition.
type HealthCheck struct {
	// Command is ["CMD", args...] or ["CMD-SHELL", "shell command"].
	Command []string `json:"command"`
	// Interval between checks; zero means 30 seconds.
	Interval time.Duration `json:"interval,omitempty"`
	// Timeout of one check; zero means 5 seconds.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Retries is how many consecutive failures make the container
	// UNHEALTHY; zero means 3.
	Retries int `json:"retries,omitempty"`
	// StartPeriod is the grace period after start during which failures
	// do not count; zero means none.
	StartPeriod time.Duration `json:"startPeriod,omitempty"`
}

// State is the lifecycle state of a task or container as a driver sees it.
type State string

// The states a driver reports.
const (
	StatePending State = "PENDING"
	StateRunning State = "RUNNING"
	StateStopped State = "STOPPED"
)

// Health is the result of a container's health check.
type Health string

// The health values, spelled as ECS spells them.
const (
	HealthUnknown   Health = "UNKNOWN"
	HealthHealthy   Health = "HEALTHY"
	HealthUnhealthy Health = "UNHEALTHY"
)

// TaskStatus is what a driver observes of a task.
type TaskStatus struct {
	ID    string `json:"id"`
	State State  `json:"state"`
	// StoppedReason says why the task stopped, e.g. "Essential container
	// in task exited" or "Task stopped by user".
	StoppedReason string            `json:"stoppedReason,omitempty"`
	Containers    []ContainerStatus `json:"containers"`
	StartedAt     time.Time         `json:"startedAt,omitzero"`
	StoppedAt     time.Time         `json:"stoppedAt,omitzero"`
}

// ContainerStatus is what a driver observes of one container.
type ContainerStatus struct {
	Name   string `json:"name"`
	State  State  `json:"state"`
	Health Health `json:"health"`
	// ExitCode is set once the container has exited.
	ExitCode *int `json:"exitCode,omitempty"`
	// Reason explains a failure to start or an abnormal exit.
	Reason string `json:"reason,omitempty"`
	// Ports are the port mappings with their chosen host ports.
	Ports     []PortMapping `json:"ports,omitempty"`
	PID       int           `json:"pid,omitempty"`
	StartedAt time.Time     `json:"startedAt,omitzero"`
	StoppedAt time.Time     `json:"stoppedAt,omitzero"`
}
