package runtime

import (
	"context"
	"io"
	"time"
)

// Driver runs tasks. A task is a group of containers started together on
// one host; the control plane decides which tasks should exist and the
// driver makes them real. Implementations: process (host processes) and
// docker (containers); kubernetes comes later. Every implementation
// passes the conformance suite in runtime/runtimetest.
type Driver interface {
	// Start launches the task described by spec and returns its status:
	// State PENDING until every container has been launched, RUNNING
	// after. Containers may be launched in the background after Start
	// returns; one whose DependsOn conditions do not hold yet always is.
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

// Watcher is a Driver that tells of task changes as they happen, so that
// the control plane looks at a task when it changed rather than at its
// next pass. Drivers that cannot are polled (Inspect) and still correct.
type Watcher interface {
	// Watch calls changed with a task's ID whenever the task's status
	// may have changed (it started, a container exited or changed
	// health, it stopped), until ctx ends; then it returns nil. Once it
	// watches, it tells of every task it knows, so that what changed
	// before is not missed. A change may be told more than once, or when
	// nothing changed; none is left out while Watch runs. It returns an
	// error when it cannot watch any longer. changed must not block.
	Watch(ctx context.Context, changed func(id string)) error
}

// ECS's defaults for what a task definition leaves unset: the zero
// values of ContainerSpec.StopTimeout and of HealthCheck's fields.
const (
	DefaultStopTimeout    = 30 * time.Second
	DefaultHealthInterval = 30 * time.Second
	DefaultHealthTimeout  = 5 * time.Second
	DefaultHealthRetries  = 3
)

// TaskSpec is everything a driver needs to run one task.
type TaskSpec struct {
	// ID identifies the task; it is unique and safe as a file name.
	ID string `json:"id"`
	// Labels name the task for operators (cluster, service, revision,
	// task ARN); drivers attach them where they can, e.g. as container
	// labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Containers without dependencies are started in order; the others
	// once their DependsOn conditions hold. A task stops a container
	// only once the containers that depend on it have exited.
	Containers []ContainerSpec `json:"containers"`
}

// ContainerSpec describes one container of a task.
type ContainerSpec struct {
	// Name is unique within the task.
	Name string `json:"name"`
	// Image is the container image; the process driver ignores it.
	Image string `json:"image,omitempty"`
	// EntryPoint and Command are the task definition's entryPoint and
	// command. A container driver uses them in place of the image's
	// entrypoint and command when they are set; the process driver runs
	// EntryPoint followed by Command (see Argv), which must not be empty.
	EntryPoint []string `json:"entryPoint,omitempty"`
	Command    []string `json:"command,omitempty"`
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
	// SIGKILL; zero means DefaultStopTimeout.
	StopTimeout time.Duration `json:"stopTimeout,omitempty"`
	// DependsOn holds the conditions on other containers of the task
	// that must hold before this one starts. A condition that can no
	// longer hold (a SUCCESS dependency exited non-zero; a HEALTHY one
	// exited, is unhealthy or has no health check) stops the task, and
	// this container never starts.
	DependsOn []Dependency `json:"dependsOn,omitempty"`

	// The fields below isolate a container; the process driver, which
	// runs host processes, ignores them.

	// User is the user (name or uid, optionally ":group") the container
	// runs as; empty means the image's.
	User string `json:"user,omitempty"`
	// CPU is the container's relative CPU weight in CPU units (1024 per
	// core), as in ECS; zero means the default weight.
	CPU int `json:"cpu,omitempty"`
	// Memory is the hard memory limit in MiB; zero means none.
	Memory int `json:"memory,omitempty"`
	// MemoryReservation is the soft memory limit in MiB; zero means none.
	MemoryReservation int `json:"memoryReservation,omitempty"`
	// Ulimits are resource limits set for the container's processes.
	Ulimits []Ulimit `json:"ulimits,omitempty"`
	// Labels are attached to the container (the task definition's
	// dockerLabels).
	Labels map[string]string `json:"labels,omitempty"`
	// ReadonlyRootFilesystem makes the root file system read-only.
	ReadonlyRootFilesystem bool `json:"readonlyRootFilesystem,omitempty"`
	// Mounts are the volumes mounted into the container.
	Mounts []Mount `json:"mounts,omitempty"`
}

// Argv returns EntryPoint followed by Command: what a host process runs.
func (c ContainerSpec) Argv() []string {
	return append(append([]string(nil), c.EntryPoint...), c.Command...)
}

// Dependency is a condition on another container of the same task.
type Dependency struct {
	// Container names the container depended on.
	Container string `json:"container"`
	// Condition is one of the Condition constants.
	Condition Condition `json:"condition"`
}

// Condition is what a dependency waits for, as in ECS.
type Condition string

// The dependency conditions of ECS.
const (
	// ConditionStart: the container has started.
	ConditionStart Condition = "START"
	// ConditionComplete: the container has exited, whatever its code.
	ConditionComplete Condition = "COMPLETE"
	// ConditionSuccess: the container has exited with code 0.
	ConditionSuccess Condition = "SUCCESS"
	// ConditionHealthy: the container's health check passes.
	ConditionHealthy Condition = "HEALTHY"
)

// Ulimit is a resource limit (e.g. "nofile") with soft and hard values.
type Ulimit struct {
	Name string `json:"name"`
	Soft int64  `json:"soft"`
	Hard int64  `json:"hard"`
}

// Mount mounts a volume into a container. A volume is a host directory
// (Source set) or, with Source empty, a directory the driver creates
// for the task and shares between the containers that mount Volume.
type Mount struct {
	// Volume names the task's volume (shared by the mounts that name it).
	Volume string `json:"volume"`
	// Source is the host path of a host volume; empty for a task volume.
	Source string `json:"source,omitempty"`
	// Target is the absolute path inside the container.
	Target string `json:"target"`
	// ReadOnly mounts the volume read-only.
	ReadOnly bool `json:"readOnly,omitempty"`
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
	// BindIP, in a status, is the address HostPort is reached at, as in
	// ECS's NetworkBinding: empty means the host's loopback (the process
	// and docker drivers); the kubernetes driver reports the pod IP.
	// Ignored in a spec.
	BindIP string `json:"bindIP,omitempty"`
}

// HealthCheck is a container health check as in an ECS task definition.
type HealthCheck struct {
	// Command is ["CMD", args...] or ["CMD-SHELL", "shell command"].
	Command []string `json:"command"`
	// Interval between checks; zero means DefaultHealthInterval.
	Interval time.Duration `json:"interval,omitempty"`
	// Timeout of one check; zero means DefaultHealthTimeout.
	Timeout time.Duration `json:"timeout,omitempty"`
	// Retries is how many consecutive failures make the container
	// UNHEALTHY; zero means DefaultHealthRetries.
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
