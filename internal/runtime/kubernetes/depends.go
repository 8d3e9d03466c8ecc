package kubernetes

import (
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/cutover/cutover/internal/runtime"
)

// noHealthCheck is the startup probe of a sidecar that others wait on to
// be HEALTHY but that has no health check: a command that never passes,
// so they never start; the driver stops the task with ECS's reason.
var noHealthCheck = []string{"/.cutover-no-health-check"}

// unmet returns why the task cannot go on because a container's
// dependency can no longer hold (ECS's CannotStartContainerError), or "".
// When a dependency may still turn out unmet only with time (a HEALTHY
// one not healthy yet), recheck says when to look again.
func unmet(pod *corev1.Pod, spec runtime.TaskSpec, now time.Time) (reason string, recheck time.Duration) {
	names := containerNames(spec)
	index := make(map[string]int, len(spec.Containers))
	for i, c := range spec.Containers {
		index[c.Name] = i
	}
	statuses := containerStatuses(pod)
	for i, c := range spec.Containers {
		s := statuses[names[i]]
		if s.State.Running != nil || s.State.Terminated != nil || s.RestartCount > 0 {
			continue // it started: its dependencies were met
		}
		for _, dep := range c.DependsOn {
			j := index[dep.Container]
			ds := statuses[names[j]]
			why := ""
			switch dep.Condition {
			case runtime.ConditionSuccess:
				if t := ds.State.Terminated; t != nil && t.ExitCode != 0 {
					why = fmt.Sprintf("it exited with code %d", t.ExitCode)
				}
			case runtime.ConditionHealthy:
				hc := spec.Containers[j].HealthCheck
				switch {
				case hc == nil:
					why = "it has no health check"
				case ds.Started != nil && *ds.Started:
					// Its startup probe passed: healthy once, met.
				case ds.State.Terminated != nil || ds.RestartCount > 0:
					why = "it exited"
				case ds.State.Running != nil:
					left := waitTimeoutFor(hc) - now.Sub(ds.State.Running.StartedAt.Time)
					if left <= 0 {
						why = "it is unhealthy"
					} else if recheck == 0 || left < recheck {
						recheck = left
					}
				}
			}
			if why != "" {
				return fmt.Sprintf("CannotStartContainerError: dependency on container %s (%s) cannot be met: %s",
					dep.Container, dep.Condition, why), 0
			}
		}
	}
	return "", recheck
}
