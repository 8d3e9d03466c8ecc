// Package runtime defines how the control plane runs tasks: the Driver
// interface and the task spec and status it exchanges. Drivers live in
// sub-packages (process, and later docker and kubernetes) and are chosen
// in one switch in the server. runtimetest holds the conformance suite
// every driver passes.
package runtime
