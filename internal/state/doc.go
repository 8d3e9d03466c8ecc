// Package state is the control plane's persisted model: the records kept
// for clusters, task definitions, services, service revisions, service
// deployments and tasks, how they are keyed in the store, their ARNs, and
// typed accessors that both the API and the controller use inside one
// store transaction. Storing a deployment, task or service also appends
// the EventBridge-shaped events its change causes to the event log, in
// the same transaction (events.go); package events delivers them.
package state
