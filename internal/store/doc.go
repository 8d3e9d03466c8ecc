// Package store defines the durable state of the control plane: a small
// transactional key-value interface (Store, Tx) that every backend
// implements, plus typed JSON helpers on top of it. The embedded bolt
// backend is the default; storetest is the conformance suite.
package store
