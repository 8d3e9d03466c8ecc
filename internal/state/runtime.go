package state

import (
	"slices"
	"strings"
)

// RuntimeTag is the cluster tag that picks the runtime the cluster's
// tasks run on (one of Runtimes); a cluster without it uses the server's
// default runtime.
const RuntimeTag = "cutover:runtime"

// The task runtimes a cluster can pick.
const (
	// RuntimeProcess runs a task's containers as host processes. It is
	// also the runtime of task records stored without one.
	RuntimeProcess = "process"
	// RuntimeDocker runs a task's containers as Docker containers.
	RuntimeDocker = "docker"
	// RuntimeKubernetes runs each task as a Kubernetes pod.
	RuntimeKubernetes = "kubernetes"
)

// Runtimes lists the runtime names RuntimeTag accepts, in the order
// error messages give them.
var Runtimes = []string{RuntimeProcess, RuntimeDocker, RuntimeKubernetes}

// KnownRuntime reports whether name is one of Runtimes.
func KnownRuntime(name string) bool { return slices.Contains(Runtimes, name) }

// RuntimeNames returns Runtimes as a list for messages: "process, docker,
// kubernetes".
func RuntimeNames() string { return strings.Join(Runtimes, ", ") }

// ClusterRuntime returns the runtime a cluster's RuntimeTag picks, or ""
// when the cluster has no such tag (the server's default applies).
func (t Tx) ClusterRuntime(clusterArn string) (string, error) {
	tags, err := t.Tags(clusterArn)
	if err != nil {
		return "", err
	}
	for _, tag := range tags {
		if tag.Key == RuntimeTag {
			return tag.Value, nil
		}
	}
	return "", nil
}

// RuntimeName returns the runtime the task was started on; a record
// stored before tasks recorded it ran on RuntimeProcess.
func (t *Task) RuntimeName() string {
	if t.Runtime == "" {
		return RuntimeProcess
	}
	return t.Runtime
}
