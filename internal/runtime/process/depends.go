package process

import (
	"errors"
	"fmt"

	"github.com/cutover/cutover/internal/runtime"
)

// dependencyMet reports whether dep holds for the container it names,
// given that container's spec and current status; an error says why it
// never will. The wording is the docker runtime's.
func dependencyMet(dep runtime.Dependency, spec runtime.ContainerSpec, st runtime.ContainerStatus) (bool, error) {
	switch {
	case st.State == runtime.StatePending:
		return false, nil
	case st.State == runtime.StateStopped && st.ExitCode == nil:
		return false, errors.New(st.Reason) // it never ran
	}
	exited := st.State == runtime.StateStopped
	switch dep.Condition {
	case runtime.ConditionStart:
		return true, nil
	case runtime.ConditionComplete:
		return exited, nil
	case runtime.ConditionSuccess:
		if exited && *st.ExitCode != 0 {
			return false, fmt.Errorf("it exited with code %d", *st.ExitCode)
		}
		return exited, nil
	case runtime.ConditionHealthy:
		switch {
		case st.Health == runtime.HealthHealthy:
			return true, nil
		case st.Health == runtime.HealthUnhealthy:
			return false, errors.New("it is unhealthy")
		case exited:
			return false, errors.New("it exited")
		case !hasHealthCheck(spec):
			return false, errors.New("it has no health check")
		}
	}
	return false, nil
}

// hasHealthCheck reports whether the shim runs a health check for cs.
func hasHealthCheck(cs runtime.ContainerSpec) bool {
	return cs.HealthCheck != nil && cs.HealthCheck.Command[0] != "NONE"
}

// dependenciesMet reports whether every dependency of c holds now; an
// error, which names the dependency, says that one never will.
func (s *shim) dependenciesMet(c *container) (bool, error) {
	met := true
	for _, dep := range c.spec.DependsOn {
		d := s.byName[dep.Container]
		ok, err := dependencyMet(dep, d.spec, s.state.Status.Containers[d.index])
		if err != nil {
			return false, fmt.Errorf("dependency on container %s (%s) cannot be met: %w", dep.Container, dep.Condition, err)
		}
		met = met && ok
	}
	return met, nil
}

// stopUnblocked stops every running container none of whose dependents
// still runs: a task stops its dependents before their dependencies.
// The run loop calls it again after each exit while the task stops.
func (s *shim) stopUnblocked() {
	for _, c := range s.ctrs {
		if c.pid == 0 || s.dependentRunning(c) {
			continue
		}
		c.stop(s.logger)
	}
}

// dependentRunning reports whether a container that depends on c runs.
func (s *shim) dependentRunning(c *container) bool {
	for _, other := range s.ctrs {
		if s.state.Status.Containers[other.index].State != runtime.StateRunning {
			continue
		}
		for _, dep := range other.spec.DependsOn {
			if dep.Container == c.spec.Name {
				return true
			}
		}
	}
	return false
}
