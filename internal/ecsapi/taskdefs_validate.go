package ecsapi

import (
	"encoding/json"
	"slices"

	"github.com/cutover/cutover/internal/ecs"
)

// maxTaskDefinitionSize bounds the JSON of a task definition, as in ECS.
const maxTaskDefinitionSize = 64 << 10

// validateRegistration checks what the model cannot: names, container
// definitions and the requirements of the FARGATE launch type. Malformed
// names are InvalidParameterException; definitions ECS would refuse are
// ClientException, with ECS's wording where it is known.
func validateRegistration(req *ecs.RegisterTaskDefinitionRequest) error {
	if !nameRE.MatchString(req.Family) {
		return invalidParam("Family can have up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores.")
	}
	if len(req.ContainerDefinitions) == 0 {
		return clientErr("Container list cannot be empty.")
	}
	if b, err := json.Marshal(req); err == nil && len(b) > maxTaskDefinitionSize {
		return clientErr("Actual length: '%d'. Max allowed length is '%d' bytes.", len(b), maxTaskDefinitionSize)
	}
	if err := validateTags(req.Tags); err != nil {
		return err
	}
	names := make([]string, 0, len(req.ContainerDefinitions))
	essential := false
	for _, c := range req.ContainerDefinitions {
		if err := checkName("Container", c.Name, names); err != nil {
			return err
		}
		names = append(names, c.Name)
		if c.Image == "" {
			return clientErr("Container.image should not be null or empty.")
		}
		if c.Essential == nil || *c.Essential {
			essential = true
		}
		if err := validatePortMappings(c); err != nil {
			return err
		}
	}
	if !essential {
		return clientErr("Task definition does not have any essential container.")
	}
	if err := validateDependencies(req.ContainerDefinitions); err != nil {
		return err
	}
	if err := validateVolumes(req); err != nil {
		return err
	}
	if slices.Contains(req.RequiresCompatibilities, ecs.CompatibilityFargate) {
		switch {
		case req.NetworkMode != ecs.NetworkModeAwsvpc:
			return clientErr("Fargate only supports network mode 'awsvpc'.")
		case req.Cpu == "":
			return clientErr("Fargate requires that 'cpu' be defined at the task level.")
		case req.Memory == "":
			return clientErr("Fargate requires that 'memory' be defined at the task level.")
		}
	}
	return nil
}

// validateDependencies checks the containers' dependsOn: each names
// another container of the task definition, and one that must exit
// (SUCCESS or COMPLETE) is not essential.
func validateDependencies(cds []ecs.ContainerDefinition) error {
	byName := make(map[string]ecs.ContainerDefinition, len(cds))
	for _, c := range cds {
		byName[c.Name] = c
	}
	for _, c := range cds {
		for _, d := range c.DependsOn {
			dep, ok := byName[d.ContainerName]
			if !ok {
				// ECS's wording, stray "+" included.
				return clientErr("Cannot depend on container + '%s' because it does not exist", truncateRef(d.ContainerName))
			}
			if d.ContainerName == c.Name {
				return clientErr("Container %q cannot depend on itself (dependsOn).", c.Name)
			}
			exits := d.Condition == ecs.ContainerConditionSuccess || d.Condition == ecs.ContainerConditionComplete
			if exits && (dep.Essential == nil || *dep.Essential) {
				return clientErr("A dependency container with SUCCESS or COMPLETE condition cannot be an essential container")
			}
		}
	}
	return nil
}

// checkName checks the name of a kind ("Container", "Volume") of the
// task definition: its form, and that it is not among those seen.
func checkName(kind, name string, seen []string) error {
	if !nameRE.MatchString(name) {
		return invalidParam("%s name %q is invalid: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.", kind, truncateRef(name))
	}
	if slices.Contains(seen, name) {
		return invalidParam("%s names must be unique: %q is used more than once.", kind, name)
	}
	return nil
}

// validateVolumes checks the task definition's volumes (names as for
// containers, each once) and that every mount point names one of them.
func validateVolumes(req *ecs.RegisterTaskDefinitionRequest) error {
	volumes := make([]string, 0, len(req.Volumes))
	for _, v := range req.Volumes {
		if err := checkName("Volume", v.Name, volumes); err != nil {
			return err
		}
		volumes = append(volumes, v.Name)
	}
	for _, c := range req.ContainerDefinitions {
		for _, m := range c.MountPoints {
			if !slices.Contains(volumes, m.SourceVolume) {
				name := truncateRef(m.SourceVolume)
				if name == "" {
					name = "null" // as ECS says it
				}
				return clientErr("Unknown volume '%s'.", name)
			}
		}
	}
	return nil
}

// validatePortMappings checks the ports of a container definition.
func validatePortMappings(c ecs.ContainerDefinition) error {
	for _, pm := range c.PortMappings {
		if pm.ContainerPort != nil && (*pm.ContainerPort < 0 || *pm.ContainerPort > 65535) {
			return invalidParam("Container %q: containerPort %d is out of range 0-65535.", c.Name, *pm.ContainerPort)
		}
		if pm.HostPort != nil && (*pm.HostPort < 0 || *pm.HostPort > 65535) {
			return invalidParam("Container %q: hostPort %d is out of range 0-65535.", c.Name, *pm.HostPort)
		}
	}
	return nil
}
