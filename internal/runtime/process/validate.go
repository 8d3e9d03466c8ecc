package process

import (
	"fmt"
	"strings"

	"github.com/cutover/cutover/internal/runtime"
)

// maxNameLen bounds task IDs and container names, which become file names.
const maxNameLen = 255

// validName reports whether s is safe as a single path element: 1 to 255
// ASCII letters, digits, '-', '_' or '.', not starting with '.'.
func validName(s string) bool {
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

// validateSpec checks that the process driver can run spec. Every error it
// returns wraps runtime.ErrInvalidSpec.
func validateSpec(spec runtime.TaskSpec) error {
	if !validName(spec.ID) {
		return fmt.Errorf("%w: task id %q is not a safe name (letters, digits, '-', '_', '.')", runtime.ErrInvalidSpec, spec.ID)
	}
	if len(spec.Containers) == 0 {
		return fmt.Errorf("%w: no containers", runtime.ErrInvalidSpec)
	}
	names := make(map[string]bool, len(spec.Containers))
	hostPorts := make(map[string]bool)
	for _, c := range spec.Containers {
		if !validName(c.Name) {
			return fmt.Errorf("%w: container name %q is not a safe name (letters, digits, '-', '_', '.')", runtime.ErrInvalidSpec, c.Name)
		}
		if names[c.Name] {
			return fmt.Errorf("%w: duplicate container name %q", runtime.ErrInvalidSpec, c.Name)
		}
		names[c.Name] = true
		if err := validateContainer(c, hostPorts); err != nil {
			return fmt.Errorf("%w: container %q: %w", runtime.ErrInvalidSpec, c.Name, err)
		}
	}
	return nil
}

// validateContainer checks one container; hostPorts collects the fixed
// host ports of the task so far to reject duplicates.
func validateContainer(c runtime.ContainerSpec, hostPorts map[string]bool) error {
	if len(c.Command) == 0 || c.Command[0] == "" {
		return fmt.Errorf("empty command")
	}
	for k := range c.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("invalid environment variable name %q", k)
		}
	}
	if c.StopTimeout < 0 {
		return fmt.Errorf("negative stop timeout")
	}
	for _, p := range c.Ports {
		if p.ContainerPort < 1 || p.ContainerPort > 65535 {
			return fmt.Errorf("container port %d out of range", p.ContainerPort)
		}
		if p.HostPort < 0 || p.HostPort > 65535 {
			return fmt.Errorf("host port %d out of range", p.HostPort)
		}
		proto := protocol(p)
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
	}
	if hc := c.HealthCheck; hc != nil {
		if err := validateHealthCheck(hc); err != nil {
			return fmt.Errorf("health check: %w", err)
		}
	}
	return nil
}

// validateHealthCheck checks the command form and the durations.
func validateHealthCheck(hc *runtime.HealthCheck) error {
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

// protocol returns the mapping's protocol, "tcp" when unset.
func protocol(p runtime.PortMapping) string {
	if p.Protocol == "" {
		return "tcp"
	}
	return strings.ToLower(p.Protocol)
}
