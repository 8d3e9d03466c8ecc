package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"

	"github.com/cutover/cutover/internal/runtime"
)

// observation is what one look at a task's containers found.
type observation struct {
	status runtime.TaskStatus
	// spec is the task's spec, from its sandbox; nil when the sandbox is
	// gone.
	spec *runtime.TaskSpec
	// running reports whether any of the task's containers, the sandbox
	// included, still runs (or may still be started).
	running bool
}

// observe derives the status of task id from its containers, list, and
// acts on it: it stops a task that must stop and resumes the start of a
// task that an earlier control plane left half-started. ok is false when
// the task has no containers at all. It acts on nothing it could not
// see: a container it fails to inspect is an error.
func (d *Driver) observe(ctx context.Context, id string, list []container.Summary) (observation, bool, error) {
	t := d.snapshot(id)
	if len(list) == 0 {
		if t.starting {
			// Start is creating the sandbox right now.
			return observation{status: runtime.TaskStatus{ID: id, State: runtime.StatePending}, running: true}, true, nil
		}
		return observation{}, false, nil
	}

	obs := observation{status: runtime.TaskStatus{ID: id, State: runtime.StatePending}}
	byName := make(map[string]container.InspectResponse, len(list))
	var sandbox *container.InspectResponse
	for _, s := range list {
		c, err := d.cli.ContainerInspect(ctx, s.ID)
		if cerrdefs.IsNotFound(err) {
			continue // removed since it was listed
		}
		if err != nil {
			return observation{}, false, fmt.Errorf("inspect container %v of task %s: %w", s.Names, id, unavailable(err))
		}
		if name := s.Labels[LabelContainer]; name != "" {
			byName[name] = c
		} else {
			sandbox = &c
		}
	}
	mustStop, reason := t.stopping, t.reason
	if sandbox != nil {
		if spec := specOf(sandbox.Config.Labels); spec.ID == id {
			obs.spec = &spec
		}
		if sandbox.State.Running {
			obs.running = true
		} else if !mustStop {
			mustStop, reason = true, reasonSandboxExited
		}
	} else if !mustStop {
		mustStop, reason = true, reasonSandboxExited
	}
	if obs.spec == nil {
		// Without its spec the task can only be stopped: report the
		// containers it has.
		spec := runtime.TaskSpec{ID: id}
		for name := range byName {
			spec.Containers = append(spec.Containers, runtime.ContainerSpec{Name: name, Essential: true})
		}
		obs.spec = &spec
		mustStop = true
	}

	allStarted := true
	var startedAt, stoppedAt time.Time
	for _, cs := range obs.spec.Containers {
		st := containerStatus(cs, byName, sandbox, t.failed[cs.Name])
		if st.StartedAt.IsZero() {
			allStarted = false
		} else if st.StartedAt.After(startedAt) {
			startedAt = st.StartedAt
		}
		if st.StoppedAt.After(stoppedAt) {
			stoppedAt = st.StoppedAt
		}
		if !mustStop && st.Reason != "" {
			mustStop, reason = true, st.Reason
		}
		if !mustStop && cs.Essential && st.State == runtime.StateStopped {
			mustStop, reason = true, reasonEssentialExited
		}
		obs.status.Containers = append(obs.status.Containers, st)
	}
	for _, st := range obs.status.Containers {
		// A container not started yet will be, unless the task stops.
		if st.State == runtime.StateRunning || st.State == runtime.StatePending && !mustStop {
			obs.running = true
		}
	}
	if sandbox != nil {
		if at := parseTime(sandbox.State.FinishedAt); at.After(stoppedAt) {
			stoppedAt = at
		}
	}
	if allStarted {
		obs.status.State, obs.status.StartedAt = runtime.StateRunning, startedAt
	}
	switch {
	case mustStop:
		obs.status.StoppedReason = reason
		if !obs.running {
			obs.status.State, obs.status.StoppedAt = runtime.StateStopped, stoppedAt
			for i := range obs.status.Containers {
				obs.status.Containers[i].State = runtime.StateStopped
			}
		} else if !t.stopInFlight {
			// Also retries a stop that failed part way.
			d.stopTask(id, reason)
		}
	case !allStarted && !t.starting:
		d.resume(*obs.spec)
	}
	return obs, true, nil
}

// specOf decodes the task spec a sandbox's labels record; a zero spec
// when there is none.
func specOf(labels map[string]string) runtime.TaskSpec {
	var spec runtime.TaskSpec
	if err := json.Unmarshal([]byte(labels[labelSpec]), &spec); err != nil {
		return runtime.TaskSpec{}
	}
	return spec
}

// containerStatus is the status of container cs: from its Docker
// container when it has one, else from why it could not start (failure)
// or as still pending.
func containerStatus(cs runtime.ContainerSpec, byName map[string]container.InspectResponse, sandbox *container.InspectResponse, failure string) runtime.ContainerStatus {
	st := runtime.ContainerStatus{Name: cs.Name, State: runtime.StatePending, Health: runtime.HealthUnknown}
	st.Ports = publishedPorts(cs, sandbox)
	c, ok := byName[cs.Name]
	if !ok {
		if failure != "" {
			st.State, st.Reason = runtime.StateStopped, failure
		}
		return st
	}
	st.StartedAt = parseTime(c.State.StartedAt)
	switch c.State.Status {
	case container.StateRunning, container.StatePaused, container.StateRestarting:
		st.State, st.PID = runtime.StateRunning, c.State.Pid
	case container.StateExited, container.StateDead:
		st.State = runtime.StateStopped
		st.StoppedAt = parseTime(c.State.FinishedAt)
		if !st.StartedAt.IsZero() || c.State.ExitCode != 0 {
			code := c.State.ExitCode
			st.ExitCode = &code
		}
	}
	switch {
	case failure != "":
		st.Reason = failure
	case c.State.OOMKilled:
		st.Reason = "OutOfMemoryError: Container killed due to memory usage"
	case c.State.Error != "":
		st.Reason = "CannotStartContainerError: " + c.State.Error
	}
	// Docker marks a container unhealthy once it stops, whatever its
	// checks said: only a running container's health is reported.
	if hc := cs.HealthCheck; hc != nil && hc.Command[0] != "NONE" && c.State.Health != nil && st.State == runtime.StateRunning {
		switch c.State.Health.Status {
		case container.Healthy:
			st.Health = runtime.HealthHealthy
		case container.Unhealthy:
			st.Health = runtime.HealthUnhealthy
		}
	}
	return st
}

// publishedPorts returns cs's port mappings with the host ports the
// sandbox publishes them on.
func publishedPorts(cs runtime.ContainerSpec, sandbox *container.InspectResponse) []runtime.PortMapping {
	var out []runtime.PortMapping
	for _, p := range cs.Ports {
		p.Protocol = p.Proto()
		if sandbox != nil && sandbox.NetworkSettings != nil {
			key := nat.Port(fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol))
			for _, b := range sandbox.NetworkSettings.Ports[key] {
				if n, err := strconv.Atoi(b.HostPort); err == nil {
					p.HostPort = n
					break
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// parseTime parses Docker's timestamps; Docker's zero time is zero.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t.UTC()
}
