// Package postgres is the PostgreSQL store.Store backend, for a control
// plane whose state must outlive its machine: `cutover server --store
// postgres://…`. It passes the same conformance suite (store/storetest)
// as the embedded bolt backend.
//
// # Schema
//
// All tables of the Store live in one PostgreSQL table, cutover_kv
// (tbl, key, value), whose primary key (tbl, key) keeps keys in byte
// order (key is bytea); table sequences live in cutover_sequences. Both
// are created, and later changed, by the versioned migrations in
// migrate.go, applied by Open in one transaction and recorded in
// cutover_schema_migrations. The tables are created in the connection's
// current schema, so one database can hold several control planes, one
// per schema (`?search_path=name` in the URL).
//
// # Transactions
//
// Update does not rely on SERIALIZABLE isolation with retries: that
// would run fn again after a serialization failure, and callers' fns
// are not written to be re-run (they set flags and copy records out).
// Instead every write transaction first takes one transaction-scoped
// advisory lock (pg_advisory_xact_lock) per schema, so write
// transactions run one at a time across every process that uses the
// database, as they do in bolt, and fn runs exactly once. Statements in
// a write transaction run at READ COMMITTED after the lock is held, so
// they see every write committed before; since no other write can commit
// meanwhile, the transaction is serializable. A process also serializes
// its own writers with a mutex before taking a connection, so waiting
// writers never hold the pool's connections. View runs at REPEATABLE
// READ, READ ONLY: one snapshot, which never sees a later commit without
// the earlier ones, since commits happen in lock order.
//
// Update returns after COMMIT, which PostgreSQL acknowledges once the
// commit is flushed to its WAL (synchronous_commit, which Open sets to
// on unless the URL says otherwise).
//
// # Several servers
//
// Servers that share a store elect the one that writes with a leader
// lease, a row in cutover_leader with a fencing term (lease.go): a
// server takes it with Campaign, renews it before it expires, and once
// a store has campaigned its write transactions check, under the write
// lock, that it still holds the lease; they fail with store.ErrNotLeader
// otherwise. Campaign takes the same lock, so a server that takes the
// lease over waits for the last write of the old leader, and the old
// leader, paused or cut off past its lease, cannot write again.
package postgres
