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
		if !nameRE.MatchString(c.Name) {
			return invalidParam("Container name %q is invalid: up to 255 letters (uppercase and lowercase), numbers, hyphens, and underscores are allowed.", truncateRef(c.Name))
		}
		if slices.Contains(names, c.Name) {
			return invalidParam("Container names must be unique: %q is used more than once.", c.Name)
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
	for _, c := range req.ContainerDefinitions {
		for _, d := range c.DependsOn {
			if !slices.Contains(names, d.ContainerName) || d.ContainerName == c.Name {
				return clientErr("Container %q depends on %q, which is not another container of the task definition.", c.Name, truncateRef(d.ContainerName))
			}
		}
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
