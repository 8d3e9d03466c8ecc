package store

import "errors"

// Errors returned by stores; check them with errors.Is.
var (
	// ErrNotFound means the key is not in the table.
	ErrNotFound = errors.New("not found")
	// ErrReadOnly means a write was attempted in a View transaction.
	ErrReadOnly = errors.New("read-only transaction")
	// ErrStop is returned by a Scan callback to end the scan early.
	ErrStop = errors.New("stop scan")
	// ErrNotLeader means a write was refused because this server does
	// not hold the leader lease of a store that several servers share:
	// another server leads, or this one lost the lease.
	ErrNotLeader = errors.New("this server does not lead the control plane (another server does, or took over): the change was not stored; retry")
)
