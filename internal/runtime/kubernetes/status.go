package kubernetes

import (
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cutover/cutover/internal/runtime"
)

// Stopped reasons, as ECS words them where it has words for them.
const (
	reasonEssentialExited = "Essential container in task exited"
	reasonUserStop        = "Task stopped by user"
	reasonDependency      = "A container the others depend on failed"
	reasonPodGone         = "Task pod stopped"
	reasonNotStarted      = "Task stopped before the container started"
)

// specOf returns the task spec a pod was created from.
func specOf(pod *corev1.Pod) (runtime.TaskSpec, error) {
	var spec runtime.TaskSpec
	if err := json.Unmarshal([]byte(pod.Annotations[annotationSpec]), &spec); err != nil {
		return spec, fmt.Errorf("pod %s: task spec annotation: %w", pod.Name, err)
	}
	return spec, nil
}

// stopped reports whether the pod's task is over: the kubelet put the pod
// in a terminal phase, or the pod was deleted before a node took it.
func stopped(pod *corev1.Pod) bool {
	switch {
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		return true
	case pod.DeletionTimestamp != nil && pod.Spec.NodeName == "":
		return true
	}
	return false
}

// containerStatuses indexes the pod's container statuses (init and
// regular) by Kubernetes container name.
func containerStatuses(pod *corev1.Pod) map[string]corev1.ContainerStatus {
	m := make(map[string]corev1.ContainerStatus)
	for _, s := range pod.Status.InitContainerStatuses {
		m[s.Name] = s
	}
	for _, s := range pod.Status.ContainerStatuses {
		m[s.Name] = s
	}
	return m
}

// hostPorts returns the host ports published for each container's ports,
// in order, by Kubernetes container name.
func hostPorts(pod *corev1.Pod) map[string][]int {
	m := make(map[string][]int)
	for _, c := range append(append([]corev1.Container(nil), pod.Spec.InitContainers...), pod.Spec.Containers...) {
		for _, p := range c.Ports {
			m[c.Name] = append(m[c.Name], int(p.HostPort))
		}
	}
	return m
}

// statusOf reads a task's status off its pod.
func statusOf(pod *corev1.Pod, spec runtime.TaskSpec, now time.Time) runtime.TaskStatus {
	st := runtime.TaskStatus{ID: spec.ID}
	names := containerNames(spec)
	statuses := containerStatuses(pod)
	over := stopped(pod)
	allRunning := true
	var lastStop time.Time
	published := hostPorts(pod)
	for i, c := range spec.Containers {
		cs := containerStatus(c, statuses[names[i]], over, now)
		for j := range cs.Ports {
			if hp := published[names[i]]; j < len(hp) && hp[j] != 0 {
				cs.Ports[j].HostPort = hp[j] // on the node: the host's loopback
			} else {
				cs.Ports[j].BindIP = pod.Status.PodIP
			}
		}
		if cs.State != runtime.StateRunning && !(cs.State == runtime.StateStopped && cs.ExitCode != nil) {
			// PENDING until every container has been launched; one that
			// ran and exited was launched.
			allRunning = false
		}
		if cs.StoppedAt.After(lastStop) {
			lastStop = cs.StoppedAt
		}
		if !cs.StartedAt.IsZero() && (st.StartedAt.IsZero() || cs.StartedAt.Before(st.StartedAt)) {
			st.StartedAt = cs.StartedAt
		}
		st.Containers = append(st.Containers, cs)
	}
	switch {
	case over:
		st.State = runtime.StateStopped
		st.StoppedReason = pod.Annotations[annotationReason]
		if st.StoppedReason == "" {
			st.StoppedReason = reasonPodGone
			if pod.Status.Message != "" {
				st.StoppedReason += ": " + pod.Status.Message
			}
		}
		st.StoppedAt = lastStop
		if st.StoppedAt.IsZero() && pod.DeletionTimestamp != nil {
			st.StoppedAt = pod.DeletionTimestamp.Time
		}
		if st.StoppedAt.IsZero() {
			st.StoppedAt = now
		}
		for i := range st.Containers {
			// A container that never started stopped for the task's
			// reason (an unmet dependency, a stop while it waited).
			if c := &st.Containers[i]; c.StartedAt.IsZero() && c.ExitCode == nil && (c.Reason == "" || c.Reason == reasonNotStarted) {
				c.Reason = st.StoppedReason
			}
		}
	case allRunning:
		st.State = runtime.StateRunning
	default:
		st.State = runtime.StatePending
	}
	return st
}

// containerStatus maps one container's Kubernetes state. over says the
// pod is over: a container that never started is then STOPPED.
func containerStatus(c runtime.ContainerSpec, s corev1.ContainerStatus, over bool, now time.Time) runtime.ContainerStatus {
	cs := runtime.ContainerStatus{Name: c.Name, State: runtime.StatePending, Health: runtime.HealthUnknown}
	for _, p := range c.Ports {
		// In a pod a container is reached on the pod IP at its own port,
		// unless the port is published on the node (Config.HostPorts).
		p.HostPort = p.ContainerPort
		cs.Ports = append(cs.Ports, p)
	}
	switch {
	case s.State.Running != nil:
		cs.State = runtime.StateRunning
		cs.StartedAt = s.State.Running.StartedAt.Time
		cs.Health = health(c, s, now)
	case s.State.Terminated != nil:
		t := s.State.Terminated
		cs.State = runtime.StateStopped
		code := int(t.ExitCode)
		cs.ExitCode = &code
		cs.StartedAt, cs.StoppedAt = t.StartedAt.Time, t.FinishedAt.Time
		if t.Reason != "" && t.Reason != "Completed" && t.Reason != "Error" {
			cs.Reason = t.Reason
			if t.Message != "" {
				cs.Reason += ": " + t.Message
			}
		}
		if cs.StartedAt.IsZero() {
			// It never ran (e.g. its command was not found): no exit
			// code of its own.
			cs.ExitCode = nil
		}
	case s.State.Waiting != nil:
		if w := s.State.Waiting; w.Reason != "" && w.Reason != "ContainerCreating" && w.Reason != "PodInitializing" {
			cs.Reason = w.Reason
			if w.Message != "" {
				cs.Reason += ": " + w.Message
			}
		}
	}
	if over && cs.State != runtime.StateStopped {
		cs.State = runtime.StateStopped
		if cs.Reason == "" {
			cs.Reason = reasonNotStarted
		}
	}
	return cs
}

// health reads a running container's health: HEALTHY while its readiness
// probe passes; UNHEALTHY once it failed after passing, or never passed
// within the start period and retries checks; UNKNOWN before, and always
// without a health check.
func health(c runtime.ContainerSpec, s corev1.ContainerStatus, now time.Time) runtime.Health {
	if c.HealthCheck == nil {
		return runtime.HealthUnknown
	}
	if s.Ready {
		return runtime.HealthHealthy
	}
	if s.State.Running != nil && now.Sub(s.State.Running.StartedAt.Time) > waitTimeoutFor(c.HealthCheck) {
		return runtime.HealthUnhealthy
	}
	return runtime.HealthUnknown
}
