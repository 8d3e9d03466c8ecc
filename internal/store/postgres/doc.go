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
// # High availability, later
//
// The write lock is where a leader's fencing goes: with several servers
// on one database, a leader lease (a row with a token, or a session
// advisory lock) elects the writer, and beginWrite checks the leader's
// token after taking the lock, inside the transaction, so that a server
// that lost its lease cannot commit.
package postgres
