package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/pkg/jsonmessage"

	"github.com/cutover/cutover/internal/runtime"
)

// Timing of the background work.
const (
	// depPoll is how often a waiting container looks at its dependencies.
	depPoll = 100 * time.Millisecond
	// opTimeout bounds one Docker call made in the background; pulls
	// get pullTimeout.
	opTimeout   = time.Minute
	pullTimeout = 10 * time.Minute
)

// resume starts what is left of a task an earlier control plane began.
func (d *Driver) resume(spec runtime.TaskSpec) {
	d.mu.Lock()
	t := d.state(spec.ID)
	if t.starting || t.stopping {
		d.mu.Unlock()
		return
	}
	t.starting = true
	d.mu.Unlock()
	d.log.Info("resuming the start of an adopted task", "task", spec.ID)
	go d.startContainers(spec)
}

// startContainers makes sure the task's images are present, then
// creates and starts each container once its dependencies allow,
// containers without dependencies in spec order. A container that
// cannot be started fails the task.
func (d *Driver) startContainers(spec runtime.TaskSpec) {
	defer func() {
		d.mu.Lock()
		d.state(spec.ID).starting = false
		d.mu.Unlock()
	}()
	sandbox, err := d.cli.ContainerInspect(context.Background(), d.sandboxName(spec.ID))
	if err != nil {
		// Resumed when the task is looked at again.
		d.log.Warn("find network sandbox", "task", spec.ID, "err", err)
		return
	}
	if !d.pullImages(spec) {
		return
	}
	var wg sync.WaitGroup
	for _, c := range spec.Containers {
		// Spec order for the containers that wait for nothing: each one
		// is launched before the next begins.
		done := make(chan struct{})
		wg.Go(func() {
			defer close(done)
			err := d.waitDependencies(spec, c)
			if err == nil {
				err = d.launch(spec, c, sandbox.ID)
			}
			switch {
			case err == nil, errors.Is(err, errStopping):
			case errors.Is(err, runtime.ErrUnavailable):
				// Given up, not failed: looking at the task once the
				// daemon answers again resumes the start.
				d.log.Warn("start of task paused: Docker is unreachable", "task", spec.ID, "container", c.Name, "err", err)
			default:
				d.fail(spec.ID, c.Name, "CannotStartContainerError: "+err.Error())
			}
		})
		if len(c.DependsOn) == 0 {
			<-done
		}
	}
	wg.Wait()
}

// pullImages pulls the images of spec that are not present. It fails
// the task and reports false when one cannot be had.
func (d *Driver) pullImages(spec runtime.TaskSpec) bool {
	pulled := map[string]error{}
	for _, c := range spec.Containers {
		err, seen := pulled[c.Image]
		if !seen {
			err = d.pullIfAbsent(c.Image)
			pulled[c.Image] = err
		}
		if err != nil && !errors.Is(err, runtime.ErrUnavailable) {
			d.fail(spec.ID, c.Name, "CannotPullContainerError: "+err.Error())
		}
	}
	for _, err := range pulled {
		if err != nil {
			return false
		}
	}
	return true
}

// pullIfAbsent pulls ref unless the daemon has it.
func (d *Driver) pullIfAbsent(ref string) error {
	ctx, cancel := context.WithTimeout(context.Background(), pullTimeout)
	defer cancel()
	if _, err := d.cli.ImageInspect(ctx, ref); err == nil {
		return nil
	} else if !cerrdefs.IsNotFound(err) {
		return fmt.Errorf("inspect image %s: %w", ref, unavailable(err))
	}
	d.log.Info("pulling image", "image", ref)
	r, err := d.cli.ImagePull(ctx, ref, image.PullOptions{})
	if err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	defer func() { _ = r.Close() }()
	// The pull's outcome is the last message of the stream.
	if err := jsonmessage.DisplayJSONMessagesStream(r, io.Discard, 0, false, nil); err != nil {
		return fmt.Errorf("pull %s: %w", ref, err)
	}
	return nil
}

// waitDependencies waits until every dependency condition of c holds.
// It fails when one can no longer hold, and with errStopping when the
// task stops first.
func (d *Driver) waitDependencies(spec runtime.TaskSpec, c runtime.ContainerSpec) error {
	for _, dep := range c.DependsOn {
		for {
			if d.snapshot(spec.ID).stopping {
				return errStopping
			}
			ok, err := d.dependencyMet(spec.ID, dep)
			if errors.Is(err, runtime.ErrUnavailable) {
				return err
			}
			if err != nil {
				return fmt.Errorf("dependency on container %s (%s) cannot be met: %w", dep.Container, dep.Condition, err)
			}
			if ok {
				break
			}
			time.Sleep(depPoll)
		}
	}
	return nil
}

// dependencyMet reports whether dep holds now; an error means it never
// will.
func (d *Driver) dependencyMet(id string, dep runtime.Dependency) (bool, error) {
	if reason := d.snapshot(id).failed[dep.Container]; reason != "" {
		return false, errors.New(reason)
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	c, err := d.cli.ContainerInspect(ctx, d.containerName(id, dep.Container))
	if cerrdefs.IsNotFound(err) {
		return false, nil // not created yet
	}
	if err != nil {
		return false, fmt.Errorf("inspect %s: %w", dep.Container, unavailable(err))
	}
	exited := c.State.Status == container.StateExited || c.State.Status == container.StateDead
	switch dep.Condition {
	case runtime.ConditionStart:
		return !parseTime(c.State.StartedAt).IsZero(), nil
	case runtime.ConditionComplete:
		return exited, nil
	case runtime.ConditionSuccess:
		if exited && c.State.ExitCode != 0 {
			return false, fmt.Errorf("it exited with code %d", c.State.ExitCode)
		}
		return exited, nil
	case runtime.ConditionHealthy:
		switch {
		case c.State.Health != nil && c.State.Health.Status == container.Healthy:
			return true, nil
		case exited:
			// Checked before Unhealthy: Docker marks a stopped
			// container unhealthy whatever its checks said.
			return false, errors.New("it exited")
		case c.State.Health != nil && c.State.Health.Status == container.Unhealthy:
			return false, errors.New("it is unhealthy")
		case c.State.Health == nil && c.State.Running:
			return false, errors.New("it has no health check")
		}
	}
	return false, nil
}

// launch creates and starts container c, unless the task is stopping.
func (d *Driver) launch(spec runtime.TaskSpec, c runtime.ContainerSpec, sandboxID string) error {
	d.mu.Lock()
	t := d.state(spec.ID)
	d.mu.Unlock()
	t.launch.Lock()
	defer t.launch.Unlock()
	if d.snapshot(spec.ID).stopping {
		return errStopping
	}
	ctx, cancel := context.WithTimeout(context.Background(), opTimeout)
	defer cancel()
	cfg, host := d.containerConfig(spec, c, sandboxID)
	name := d.containerName(spec.ID, c.Name)
	created, err := d.cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if cerrdefs.IsConflict(err) {
		// Created by an earlier control plane: start it if it never was.
		cur, err := d.cli.ContainerInspect(ctx, name)
		if err != nil {
			return fmt.Errorf("inspect %s: %w", name, unavailable(err))
		}
		if cur.State.Status != container.StateCreated {
			return nil
		}
		created.ID = cur.ID
	} else if err != nil {
		return fmt.Errorf("create container: %w", unavailable(err))
	}
	if err := d.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		return fmt.Errorf("start container: %w", unavailable(err))
	}
	return nil
}

// fail records why container name of task id could not start and stops
// the task.
func (d *Driver) fail(id, name, reason string) {
	d.log.Warn("task failed to start", "task", id, "container", name, "reason", reason)
	d.mu.Lock()
	t := d.state(id)
	if t.failed[name] == "" {
		t.failed[name] = reason
	}
	d.mu.Unlock()
	d.stopTask(id, reason)
}

// stopTask marks the task as stopping for reason (the first reason
// given wins) and, unless that is under way, stops its containers in
// the background.
func (d *Driver) stopTask(id, reason string) {
	d.mu.Lock()
	t := d.state(id)
	if !t.stopping {
		t.stopping, t.reason = true, reason
	}
	if t.stopInFlight {
		d.mu.Unlock()
		return
	}
	t.stopInFlight = true
	d.mu.Unlock()
	go func() {
		defer func() {
			d.mu.Lock()
			t.stopInFlight = false
			d.mu.Unlock()
		}()
		// A container being launched is running once this returns; no
		// other will be launched.
		t.launch.Lock()
		//lint:ignore SA2001 waiting for the launch in progress is the point
		t.launch.Unlock()
		if err := d.stopContainers(id); err != nil {
			d.log.Warn("stop task", "task", id, "err", err)
		}
	}()
}

// stopContainers stops the task's containers, each after the containers
// that depend on it, then its sandbox.
func (d *Driver) stopContainers(id string) error {
	ctx := context.Background()
	list, err := d.containers(ctx, id)
	if err != nil {
		return err
	}
	var sandboxID string
	var spec runtime.TaskSpec
	ids := map[string]string{}
	for _, c := range list {
		if name := c.Labels[LabelContainer]; name != "" {
			ids[name] = c.ID
		} else {
			sandboxID, spec = c.ID, specOf(c.Labels)
		}
	}
	// dependents[x] are the containers that depend on x: they stop first.
	dependents := map[string][]string{}
	for _, c := range spec.Containers {
		for _, dep := range c.DependsOn {
			dependents[dep.Container] = append(dependents[dep.Container], c.Name)
		}
	}
	stopped := make(map[string]chan struct{}, len(ids))
	for name := range ids {
		stopped[name] = make(chan struct{})
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(ids))
	for name, cid := range ids {
		wg.Go(func() {
			defer close(stopped[name])
			for _, other := range dependents[name] {
				if ch := stopped[other]; ch != nil {
					<-ch
				}
			}
			// Each container's own stop timeout was set when it was
			// created: SIGTERM, then SIGKILL once it has passed.
			if err := d.cli.ContainerStop(ctx, cid, container.StopOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
				errs <- fmt.Errorf("stop container %s: %w", name, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(collect(errs)...); err != nil {
		return err
	}
	if sandboxID != "" {
		if err := d.cli.ContainerStop(ctx, sandboxID, container.StopOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
			return fmt.Errorf("stop network sandbox: %w", err)
		}
	}
	return nil
}

func collect(errs <-chan error) []error {
	var out []error
	for err := range errs {
		out = append(out, err)
	}
	return out
}
