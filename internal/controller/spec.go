package controller

import (
	"time"

	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/runtime"
)

// taskSpec turns a task definition into what the runtime runs for task id.
func taskSpec(id string, td *ecs.TaskDefinition) runtime.TaskSpec {
	spec := runtime.TaskSpec{ID: id}
	for _, cd := range td.ContainerDefinitions {
		c := runtime.ContainerSpec{
			Name:       cd.Name,
			Image:      cd.Image,
			EntryPoint: cd.EntryPoint,
			Command:    cd.Command,
			WorkingDir: cd.WorkingDirectory,
			Essential:  cd.Essential == nil || *cd.Essential,
		}
		if len(cd.Environment) > 0 {
			c.Env = make(map[string]string, len(cd.Environment))
			for _, kv := range cd.Environment {
				c.Env[kv.Name] = kv.Value
			}
		}
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
		c.StopTimeout = seconds(cd.StopTimeout)
		spec.Containers = append(spec.Containers, c)
	}
	return spec
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
