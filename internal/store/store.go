package store

import "context"

// Store is a transactional, durable key-value store. Keys are grouped in
// tables and kept in ascending byte order within a table. The control
// plane keeps all of its state in one Store; backends are bolt (embedded,
// the default) and PostgreSQL (store/postgres). Every backend passes the
// conformance suite in store/storetest.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent
	// snapshot. Writes through the Tx fail with ErrReadOnly.
	View(ctx context.Context, fn func(Tx) error) error

	// Update runs fn in a read-write transaction. If fn returns nil the
	// transaction is committed and durable (it survives kill -9 and power
	// loss as far as the backend's storage does) before Update returns;
	// if fn returns an error nothing it wrote is kept and that error is
	// returned unchanged. Transactions are serializable.
	Update(ctx context.Context, fn func(Tx) error) error

	// Close releases the store. Transactions must not run after Close.
	Close() error
}

// Tx reads and writes inside one transaction. A Tx must not be used after
// the function it was passed to returns.
type Tx interface {
	// Get returns the value stored under key in table, or ErrNotFound.
	// The returned slice must not be modified or kept after the
	// transaction ends.
	Get(table, key string) ([]byte, error)

	// Put stores value under key in table, replacing any previous value.
	Put(table, key string, value []byte) error

	// Delete removes key from table. Deleting a missing key is a no-op.
	Delete(table, key string) error

	// Scan calls fn for each key in table that starts with prefix and
	// sorts after the key `after` (empty: from the first), in ascending
	// order, until fn returns an error. fn returning ErrStop ends the
	// scan early and Scan returns nil. Values passed to fn must not be
	// kept after fn returns, and fn must not write to the scanned table.
	Scan(table, prefix, after string, fn func(key string, value []byte) error) error

	// NextSequence returns the next value of table's monotonic counter,
	// starting at 1. It is part of the transaction: if the transaction
	// does not commit, the number may be handed out again.
	NextSequence(table string) (uint64, error)
}

// Batcher is a Store that commits concurrent writes together: the calls
// that arrive while a commit is under way share the next transaction and
// its disk sync, so that a hundred writers pay for a few syncs rather
// than a hundred. A lone call commits at once, as Update does.
type Batcher interface {
	// Batch is Update for an fn that may be called more than once: when
	// another call of the batch fails, the transaction is rolled back and
	// the others run again without it (the failing one alone). fn must
	// therefore change nothing outside the transaction that a second
	// call would get wrong. Its guarantees are Update's: if fn returns
	// nil, what it wrote is durable before Batch returns; if fn returns
	// an error, nothing it wrote is kept and that error is returned.
	Batch(ctx context.Context, fn func(Tx) error) error
}

// Batch runs fn with st's Batch when st is a Batcher, else with Update.
// fn may be called more than once.
func Batch(ctx context.Context, st Store, fn func(Tx) error) error {
	if b, ok := st.(Batcher); ok {
		return b.Batch(ctx, fn)
	}
	return st.Update(ctx, fn)
}
