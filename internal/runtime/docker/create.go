package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"

	"github.com/cutover/cutover/internal/runtime"
)

// validateSpec checks what every driver requires and what Docker needs
// on top: an image per container, and container ports unique across the
// task, whose containers share one network namespace.
func validateSpec(spec runtime.TaskSpec) error {
	if err := runtime.Validate(spec); err != nil {
		return err
	}
	ports := map[string]string{}
	for _, c := range spec.Containers {
		if c.Image == "" {
			return fmt.Errorf("%w: container %q: no image", runtime.ErrInvalidSpec, c.Name)
		}
		for _, p := range c.Ports {
			key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto())
			if other, dup := ports[key]; dup {
				return fmt.Errorf("%w: containers %q and %q both map container port %s, but the containers of a task share one network", runtime.ErrInvalidSpec, other, c.Name, key)
			}
			ports[key] = c.Name
		}
	}
	return nil
}

// labels returns the labels of one of the task's containers: the
// driver's, the task's and extra.
func (d *Driver) labels(spec runtime.TaskSpec, extra map[string]string) map[string]string {
	l := maps.Clone(extra)
	if l == nil {
		l = map[string]string{}
	}
	maps.Copy(l, spec.Labels)
	l[LabelDriver] = d.cfg.Namespace
	l[LabelTask] = spec.ID
	return l
}

// createSandbox creates and starts the container that holds the task's
// network namespace and publishes its ports. It reports false when the
// sandbox existed already.
func (d *Driver) createSandbox(ctx context.Context, spec runtime.TaskSpec) (bool, error) {
	image, err := d.pause.ensure(ctx, d)
	if err != nil {
		return false, err
	}
	specJSON, err := json.Marshal(spec)
	if err != nil {
		return false, fmt.Errorf("encode task spec: %w", err)
	}
	cfg := &container.Config{
		Image:        image,
		Labels:       d.labels(spec, map[string]string{labelSpec: string(specJSON)}),
		ExposedPorts: nat.PortSet{},
		Env:          d.cfg.PauseEnv,
		StopTimeout:  intPtr(2),
	}
	host := &container.HostConfig{PortBindings: nat.PortMap{}}
	for _, c := range spec.Containers {
		for _, p := range c.Ports {
			port := nat.Port(fmt.Sprintf("%d/%s", p.ContainerPort, p.Proto()))
			cfg.ExposedPorts[port] = struct{}{}
			binding := nat.PortBinding{HostIP: d.cfg.HostIP}
			if p.HostPort != 0 {
				binding.HostPort = strconv.Itoa(p.HostPort)
			}
			host.PortBindings[port] = append(host.PortBindings[port], binding)
		}
	}
	name := d.sandboxName(spec.ID)
	created, err := d.cli.ContainerCreate(ctx, cfg, host, nil, nil, name)
	if cerrdefs.IsConflict(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("create network sandbox %s: %w", name, unavailable(err))
	}
	if err := d.cli.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		// Most often a fixed host port that is taken: nothing of the
		// task is left behind, and the spec cannot run as it is.
		_ = d.cli.ContainerRemove(context.WithoutCancel(ctx), created.ID, container.RemoveOptions{Force: true})
		if err := unavailable(err); errors.Is(err, runtime.ErrUnavailable) {
			return false, fmt.Errorf("start network sandbox %s: %w", name, err)
		}
		return false, fmt.Errorf("%w: start network sandbox (which publishes the ports): %v", runtime.ErrInvalidSpec, err)
	}
	return true, nil
}

// containerConfig translates one container of the task into Docker's
// terms; it joins the network namespace of the sandbox sandboxID.
func (d *Driver) containerConfig(spec runtime.TaskSpec, c runtime.ContainerSpec, sandboxID string) (*container.Config, *container.HostConfig) {
	cfg := &container.Config{
		Image:       c.Image,
		Entrypoint:  c.EntryPoint,
		Cmd:         c.Command,
		Env:         env(c),
		WorkingDir:  c.WorkingDir,
		User:        c.User,
		Labels:      d.labels(spec, c.Labels),
		StopTimeout: intPtr(int((stopTimeout(c) + time.Second - 1) / time.Second)),
	}
	cfg.Labels[LabelContainer] = c.Name
	if hc := c.HealthCheck; hc != nil {
		cfg.Healthcheck = &container.HealthConfig{
			Test:        hc.Command,
			Interval:    orDefault(hc.Interval, runtime.DefaultHealthInterval),
			Timeout:     orDefault(hc.Timeout, runtime.DefaultHealthTimeout),
			StartPeriod: hc.StartPeriod,
			Retries:     hc.Retries,
		}
		if hc.Retries == 0 {
			cfg.Healthcheck.Retries = runtime.DefaultHealthRetries
		}
	}
	host := &container.HostConfig{
		NetworkMode:    container.NetworkMode("container:" + sandboxID),
		ReadonlyRootfs: c.ReadonlyRootFilesystem,
	}
	if c.CPU > 0 {
		host.CPUShares = int64(max(c.CPU, 2)) // Docker's minimum weight
	}
	host.Memory = int64(c.Memory) << 20
	host.MemoryReservation = int64(c.MemoryReservation) << 20
	for _, u := range c.Ulimits {
		host.Ulimits = append(host.Ulimits, &units.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	for _, m := range c.Mounts {
		mt := mount.Mount{Type: mount.TypeVolume, Source: d.volumeName(spec.ID, m.Volume), Target: m.Target, ReadOnly: m.ReadOnly}
		if m.Source != "" {
			mt.Type, mt.Source = mount.TypeBind, m.Source
		}
		host.Mounts = append(host.Mounts, mt)
	}
	return cfg, host
}

// env returns the container's environment: PORT (the first mapping's
// container port) and PORT_<containerPort>, as the process runtime sets
// them, below the container's own variables.
func env(c runtime.ContainerSpec) []string {
	vars := map[string]string{}
	for i, p := range c.Ports {
		port := strconv.Itoa(p.ContainerPort)
		if i == 0 {
			vars["PORT"] = port
		}
		vars["PORT_"+port] = port
	}
	maps.Copy(vars, c.Env)
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// taskVolumes names the task volumes (not host paths) of spec.
func taskVolumes(spec runtime.TaskSpec) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range spec.Containers {
		for _, m := range c.Mounts {
			if m.Source == "" && !seen[m.Volume] {
				seen[m.Volume] = true
				out = append(out, m.Volume)
			}
		}
	}
	return out
}

func stopTimeout(c runtime.ContainerSpec) time.Duration {
	return orDefault(c.StopTimeout, runtime.DefaultStopTimeout)
}

func orDefault(v, def time.Duration) time.Duration {
	if v == 0 {
		return def
	}
	return v
}

func intPtr(n int) *int { return &n }
