// Package controller makes the stored desired state real. Each pass it
// walks every task through its lifecycle against the driver of the
// runtime the task was created on — its cluster's cutover:runtime tag,
// else the server's default — (PROVISIONING → PENDING → RUNNING →
// DEACTIVATING → STOPPING → DEPROVISIONING → STOPPED), asks the deploy
// engine what each service needs next and persists that decision in one
// transaction, invokes the lifecycle hooks the engine asks for (each in
// its own goroutine, the reply stored in a transaction of its own), and
// stops the tasks of each runtime that no record claims on it. Every step
// is idempotent and works from persisted state alone, so a restarted
// controller carries on where the last one stopped.
//
// A pass must stay cheap with a thousand services (bench/scale measures
// it): tasks and services are stepped several at a time, their commits
// shared (state.Batch); a service whose plan found it steady is skipped
// while the digest of what it read is unchanged (steady.go), and a task
// whose stored bytes are unchanged is not decoded again; a service with
// something due at a known time (a hook's callback, the end of a bake)
// is reconciled at that time, beside any pass under way (due.go), rather
// than when a pass gets to it; so is a service an API request changed.
//
// A deployment moves as fast as what it waits for: passes come on a
// tick, but also as soon as the data plane tells of a health change or a
// runtime of a task change (follow.go), and a step that stored targets or
// weights pushes them to the data plane at its end (pushIfStale), so a
// rollback's flip is one commit and one push after the request.
package controller
