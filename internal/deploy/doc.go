// Package deploy is the deployment engine's brain: a pure function that,
// given a service, its current service deployment and the tasks observed,
// decides what happens next (which tasks to start and stop, which
// traffic weights to set, which lifecycle hooks to invoke, which stage or
// status the deployment moves to). It does no I/O and reads no clock; the
// controller package feeds it persisted state and applies its Plan, and
// hands hook replies back through Deployment.Answer and
// Deployment.Resolve.
//
// Every strategy (ROLLING and BLUE_GREEN now; LINEAR and CANARY next) is
// a sequence of ECS lifecycle stages with the work each stage does, driven
// by the same Next function; the hooks of a stage run once its work is
// done.
package deploy
