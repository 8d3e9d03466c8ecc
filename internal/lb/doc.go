// Package lb is cutover's built-in L7 load balancer: the data plane that
// `cutover lb` runs as its own process. It serves listeners from an
// immutable routing snapshot built from a Config (rules by priority,
// weighted forward actions, fixed responses), health-checks targets,
// drains removed targets, and keeps its last configuration on disk so
// that it serves on while the control plane is down.
package lb
