// Package runtime defines how the control plane runs tasks: the Driver
// interface and the task spec and status it exchanges. Drivers live in
// sub-packages (process, docker, kubernetes); the server makes
// one of each, and a cluster's cutover:runtime tag picks the one its
// tasks run on. runtimetest holds the conformance suite
// every driver passes.
package runtime
