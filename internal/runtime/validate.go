package runtime

import (
	"fmt"
	"path"
	"strings"
)

// maxNameLen bounds task IDs and container names, which become file and
// container names.
const maxNameLen = 255

// ValidName reports whether s is safe as a single path element and as
// part of a container name: 1 to 255 ASCII letters, digits, '-', '_' or
// '.', not starting with '.'.
func ValidName(s string) bool {
	if s == "" || len(s) > maxNameLen || s[0] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// Validate checks what every driver requires of a spec: safe, unique
// names, port mappings, health checks, dependencies that name other
// containers of the task without a cycle, and mounts. Every error it
// returns wraps ErrInvalidSpec.
func Validate(spec TaskSpec) error {
	if !ValidName(spec.ID) {
		return fmt.Errorf("%w: task id %q is not a safe name (letters, digits, '-', '_', '.')", ErrInvalidSpec, spec.ID)
	}
	if len(spec.Containers) == 0 {
		return fmt.Errorf("%w: no containers", ErrInvalidSpec)
	}
	names := make(map[string]bool, len(spec.Containers))
	for _, c := range spec.Containers {
		if !ValidName(c.Name) {
			return fmt.Errorf("%w: container name %q is not a safe name (letters, digits, '-', '_', '.')", ErrInvalidSpec, c.Name)
		}
		if names[c.Name] {
			return fmt.Errorf("%w: duplicate container name %q", ErrInvalidSpec, c.Name)
		}
		names[c.Name] = true
	}
	hostPorts := make(map[string]bool)
	volumes := make(map[string]string)
	for _, c := range spec.Containers {
		if err := validateContainer(c, names, hostPorts, volumes); err != nil {
			return fmt.Errorf("%w: container %q: %w", ErrInvalidSpec, c.Name, err)
		}
	}
	if cycle := dependencyCycle(spec.Containers); cycle != "" {
		return fmt.Errorf("%w: containers depend on each other in a cycle through %q", ErrInvalidSpec, cycle)
	}
	return nil
}

// validateContainer checks one container. names holds the task's
// container names; hostPorts and volumes collect the task's fixed host
// ports and volume sources so far, to reject conflicts.
func validateContainer(c ContainerSpec, names, hostPorts map[string]bool, volumes map[string]string) error {
	for k := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("invalid environment variable name %q", k)
		}
	}
	if c.StopTimeout < 0 {
		return fmt.Errorf("negative stop timeout")
	}
	if c.CPU < 0 || c.Memory < 0 || c.MemoryReservation < 0 {
		return fmt.Errorf("negative cpu, memory or memory reservation")
	}
	if c.Memory > 0 && c.MemoryReservation > c.Memory {
		return fmt.Errorf("memory reservation %d MiB is above the memory limit %d MiB", c.MemoryReservation, c.Memory)
	}
	for _, p := range c.Ports {
		if err := validatePort(p, hostPorts); err != nil {
			return err
		}
	}
	if hc := c.HealthCheck; hc != nil {
		if err := validateHealthCheck(hc); err != nil {
			return fmt.Errorf("health check: %w", err)
		}
	}
	for _, d := range c.DependsOn {
		if !names[d.Container] || d.Container == c.Name {
			return fmt.Errorf("depends on %q, which is not another container of the task", d.Container)
		}
		switch d.Condition {
		case ConditionStart, ConditionComplete, ConditionSuccess, ConditionHealthy:
		default:
			return fmt.Errorf("unknown dependency condition %q (START, COMPLETE, SUCCESS or HEALTHY)", d.Condition)
		}
	}
	for _, u := range c.Ulimits {
		if u.Name == "" || u.Soft < 0 || u.Hard < 0 || (u.Hard > 0 && u.Soft > u.Hard) {
			return fmt.Errorf("invalid ulimit %q (soft %d, hard %d)", u.Name, u.Soft, u.Hard)
		}
	}
	for _, m := range c.Mounts {
		if !ValidName(m.Volume) {
			return fmt.Errorf("mount of volume %q: not a safe volume name", m.Volume)
		}
		if !path.IsAbs(m.Target) {
			return fmt.Errorf("mount of volume %q: container path %q is not absolute", m.Volume, m.Target)
		}
		if m.Source != "" && !path.IsAbs(m.Source) {
			return fmt.Errorf("mount of volume %q: host path %q is not absolute", m.Volume, m.Source)
		}
		if src, seen := volumes[m.Volume]; seen && src != m.Source {
			return fmt.Errorf("volume %q has two sources, %q and %q", m.Volume, src, m.Source)
		}
		volumes[m.Volume] = m.Source
	}
	return nil
}

// validatePort checks a port mapping; hostPorts collects the task's
// fixed host ports.
func validatePort(p PortMapping, hostPorts map[string]bool) error {
	if p.ContainerPort < 1 || p.ContainerPort > 65535 {
		return fmt.Errorf("container port %d out of range", p.ContainerPort)
	}
	if p.HostPort < 0 || p.HostPort > 65535 {
		return fmt.Errorf("host port %d out of range", p.HostPort)
	}
	proto := p.Proto()
	if proto != "tcp" && proto != "udp" {
		return fmt.Errorf("unknown protocol %q", p.Protocol)
	}
	if p.HostPort != 0 {
		key := fmt.Sprintf("%s/%d", proto, p.HostPort)
		if hostPorts[key] {
			return fmt.Errorf("host port %s mapped twice", key)
		}
		hostPorts[key] = true
	}
	return nil
}

// Proto returns the mapping's protocol in lower case, "tcp" when unset.
func (p PortMapping) Proto() string {
	if p.Protocol == "" {
		return "tcp"
	}
	return strings.ToLower(p.Protocol)
}

// validateHealthCheck checks the command form and the durations.
func validateHealthCheck(hc *HealthCheck) error {
	if len(hc.Command) == 0 {
		return fmt.Errorf("empty command")
	}
	switch hc.Command[0] {
	case "NONE":
	case "CMD":
		if len(hc.Command) < 2 || hc.Command[1] == "" {
			return fmt.Errorf("CMD without a command")
		}
	case "CMD-SHELL":
		if len(hc.Command) != 2 || strings.TrimSpace(hc.Command[1]) == "" {
			return fmt.Errorf("CMD-SHELL needs exactly one shell command")
		}
	default:
		return fmt.Errorf("command must start with CMD, CMD-SHELL or NONE, not %q", hc.Command[0])
	}
	if hc.Interval < 0 || hc.Timeout < 0 || hc.StartPeriod < 0 || hc.Retries < 0 {
		return fmt.Errorf("negative interval, timeout, start period or retries")
	}
	return nil
}

// dependencyCycle returns the name of a container on a dependency cycle,
// or "" when there is none.
func dependencyCycle(cs []ContainerSpec) string {
	deps := make(map[string][]string, len(cs))
	for _, c := range cs {
		for _, d := range c.DependsOn {
			deps[c.Name] = append(deps[c.Name], d.Container)
		}
	}
	const (
		visiting = 1
		done     = 2
	)
	mark := make(map[string]int, len(cs))
	var visit func(string) string
	visit = func(n string) string {
		switch mark[n] {
		case visiting:
			return n
		case done:
			return ""
		}
		mark[n] = visiting
		for _, d := range deps[n] {
			if c := visit(d); c != "" {
				return c
			}
		}
		mark[n] = done
		return ""
	}
	for _, c := range cs {
		if n := visit(c.Name); n != "" {
			return n
		}
	}
	return ""
}
