// Package process is the runtime.Driver that runs each container of a task
// as a process on the host.
//
// Every task gets a directory under the driver's state directory and a
// small supervisor process, the shim, started detached in its own session.
// The shim is the parent of the task's container processes: it starts
// them (each once its dependsOn conditions hold), runs their health
// checks, writes their output to bounded log files, stops them (SIGTERM to
// each container's process group once its dependents have exited, SIGKILL
// after the container's StopTimeout) and records everything in a JSON
// state file. One goroutine owns the task's state: exits and health
// changes reach it as events.
// Because the shim does not depend on the control plane, tasks keep
// running, keep being health-checked and keep their exit codes while the
// control plane is down; a new Driver over the same directory adopts them
// by reading that state.
//
// Layout of the state directory:
//
//	<Dir>/tasks/<task id>/
//	    spec.json      the task spec with its host ports resolved (driver)
//	    state.json     the task's observed state (shim, replaced atomically)
//	    shim.lock      flock-ed by the shim for as long as it lives
//	    stop           present once a stop was requested
//	    shim.log       the shim's own log
//	    logs/<container>.log, logs/<container>.log.1
//
// The shim is the same binary as the control plane: cutover runs
// ShimMain for its hidden "shim" subcommand, invoked as
// "<ShimCommand...> <task dir>".
package process
