package controller

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/state"
)

// taskSpec turns task t and its task definition into what the runtime
// runs. Environment files are read now, so that a task sees them as they
// are when it starts. An error that fails the task is a *taskFailure
// (an environment file that cannot be read) or wraps
// runtime.ErrInvalidSpec (a mount of a volume td does not have).
func taskSpec(t *state.Task, td *ecs.TaskDefinition) (runtime.TaskSpec, error) {
	spec := runtime.TaskSpec{ID: t.ID, Labels: taskLabels(t, td)}
	volumes := make(map[string]ecs.Volume, len(td.Volumes))
	for _, v := range td.Volumes {
		volumes[v.Name] = v
	}
	for _, cd := range td.ContainerDefinitions {
		c, err := containerSpec(cd, volumes)
		if err != nil {
			return runtime.TaskSpec{}, err
		}
		spec.Containers = append(spec.Containers, c)
	}
	return spec, nil
}

// taskLabels are the labels of task t: its cluster, ARN and task
// definition, and its service and service revision when it has them.
func taskLabels(t *state.Task, td *ecs.TaskDefinition) map[string]string {
	labels := map[string]string{
		runtime.LabelCluster:        t.ClusterArn,
		runtime.LabelTaskArn:        t.TaskArn,
		runtime.LabelTaskDefFamily:  td.Family,
		runtime.LabelTaskDefVersion: strconv.Itoa(int(ecs.Int32Value(td.Revision))),
	}
	if t.ServiceName != "" {
		labels[runtime.LabelService] = t.ServiceName
	}
	if t.Revision != "" {
		labels[runtime.LabelServiceRevision] = t.Revision
	}
	return labels
}

// containerSpec translates one container definition; volumes are the
// task definition's, by name.
func containerSpec(cd ecs.ContainerDefinition, volumes map[string]ecs.Volume) (runtime.ContainerSpec, error) {
	c := runtime.ContainerSpec{
		Name:                   cd.Name,
		Image:                  cd.Image,
		EntryPoint:             cd.EntryPoint,
		Command:                cd.Command,
		WorkingDir:             cd.WorkingDirectory,
		Essential:              cd.Essential == nil || *cd.Essential,
		StopTimeout:            seconds(cd.StopTimeout),
		User:                   cd.User,
		CPU:                    int(ecs.Int32Value(cd.Cpu)),
		Memory:                 int(ecs.Int32Value(cd.Memory)),
		MemoryReservation:      int(ecs.Int32Value(cd.MemoryReservation)),
		Labels:                 maps.Clone(cd.DockerLabels),
		ReadonlyRootFilesystem: ecs.BoolValue(cd.ReadonlyRootFilesystem),
	}
	env, err := containerEnv(cd)
	if err != nil {
		return c, err
	}
	c.Env = env
	for _, pm := range cd.PortMappings {
		c.Ports = append(c.Ports, runtime.PortMapping{
			ContainerPort: int(ecs.Int32Value(pm.ContainerPort)),
			HostPort:      int(ecs.Int32Value(pm.HostPort)),
			Protocol:      string(pm.Protocol),
		})
	}
	if hc := cd.HealthCheck; hc != nil {
		c.HealthCheck = &runtime.HealthCheck{
			Command:     hc.Command,
			Interval:    seconds(hc.Interval),
			Timeout:     seconds(hc.Timeout),
			Retries:     int(ecs.Int32Value(hc.Retries)),
			StartPeriod: seconds(hc.StartPeriod),
		}
	}
	for _, d := range cd.DependsOn {
		c.DependsOn = append(c.DependsOn, runtime.Dependency{Container: d.ContainerName, Condition: runtime.Condition(d.Condition)})
	}
	for _, u := range cd.Ulimits {
		c.Ulimits = append(c.Ulimits, runtime.Ulimit{
			Name: string(u.Name), Soft: int64(ecs.Int32Value(u.SoftLimit)), Hard: int64(ecs.Int32Value(u.HardLimit)),
		})
	}
	for _, mp := range cd.MountPoints {
		v, ok := volumes[mp.SourceVolume]
		if !ok {
			return c, fmt.Errorf("%w: container %q mounts volume %q, which the task definition does not have", runtime.ErrInvalidSpec, cd.Name, mp.SourceVolume)
		}
		m := runtime.Mount{Volume: v.Name, Target: mp.ContainerPath, ReadOnly: ecs.BoolValue(mp.ReadOnly)}
		if v.Host != nil && v.DockerVolumeConfiguration == nil {
			m.Source = v.Host.SourcePath // empty: a task volume, as ECS makes one
		}
		c.Mounts = append(c.Mounts, m)
	}
	return c, nil
}

// containerEnv is a container's environment: its environment files in
// order (a later one wins), then its environment, which wins over them
// as in ECS. Nil when there is none.
func containerEnv(cd ecs.ContainerDefinition) (map[string]string, error) {
	var env map[string]string
	set := func(k, v string) {
		if env == nil {
			env = map[string]string{}
		}
		env[k] = v
	}
	for _, f := range cd.EnvironmentFiles {
		vars, err := readEnvFile(f.Value)
		if err != nil {
			return nil, &taskFailure{reason: "ResourceInitializationError: failed to read environment file " + f.Value + ": " + err.Error()}
		}
		for k, v := range vars {
			set(k, v)
		}
	}
	for _, kv := range cd.Environment {
		set(kv.Name, kv.Value)
	}
	return env, nil
}

func seconds(p *int32) time.Duration { return time.Duration(ecs.Int32Value(p)) * time.Second }

// healthChecked names the essential containers of td that have a
// health check: the task's health is theirs.
func healthChecked(td *ecs.TaskDefinition) []string {
	var names []string
	for _, cd := range td.ContainerDefinitions {
		if (cd.Essential == nil || *cd.Essential) && cd.HealthCheck != nil {
			names = append(names, cd.Name)
		}
	}
	return names
}
