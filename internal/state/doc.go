// Package state is the control plane's persisted model: the records kept
// for clusters, task definitions, services, service revisions, service
// deployments and tasks, how they are keyed in the store, their ARNs, and
// typed accessors that both the API and the controller use inside one
// store transaction.
package state
