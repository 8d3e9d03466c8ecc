// Package controller makes the stored desired state real. Each pass it
// walks every task through its lifecycle against the runtime driver
// (PROVISIONING → PENDING → RUNNING → DEACTIVATING → STOPPING →
// DEPROVISIONING → STOPPED), asks the deploy engine what each service
// needs next and persists that decision in one transaction, invokes the
// lifecycle hooks the engine asks for (each in its own goroutine, the
// reply stored in a transaction of its own), and stops runtime tasks that
// no record claims. Every step is idempotent and works
// from persisted state alone, so a restarted controller carries on where
// the last one stopped.
package controller
