package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// migrations are the store's schema changes, in order: migrations[i]
// brings the schema to version i+1. An applied migration is never
// edited; a change is a new one at the end. Each runs in the
// transaction that records it, so a failed migration leaves the schema
// as it was.
var migrations = []string{
	// 1: every table's keys in one table, in byte order (bytea), and the
	// tables' sequences.
	`CREATE TABLE cutover_kv (
		tbl   text COLLATE "C" NOT NULL,
		key   bytea NOT NULL,
		value bytea NOT NULL,
		PRIMARY KEY (tbl, key)
	);
	CREATE TABLE cutover_sequences (
		tbl   text COLLATE "C" PRIMARY KEY,
		value bigint NOT NULL
	);`,
	// 2: the leader lease of the servers sharing the schema, and the
	// values they share (lease.go).
	`CREATE TABLE cutover_leader (
		id         smallint PRIMARY KEY CHECK (id = 1),
		holder     text NOT NULL,
		address    text NOT NULL,
		term       bigint NOT NULL,
		expires_at timestamptz NOT NULL
	);
	CREATE TABLE cutover_shared (
		name  text COLLATE "C" PRIMARY KEY,
		value text NOT NULL
	);`,
}

// sqlMigrationsTable records the versions applied, one row each.
const sqlMigrationsTable = `CREATE TABLE IF NOT EXISTS cutover_schema_migrations (
	version    integer PRIMARY KEY,
	applied_at timestamptz NOT NULL DEFAULT now()
)`

// SchemaVersion is the version of the schema this build of the store
// migrates to and works with.
func SchemaVersion() int { return len(migrations) }

// migrate brings the schema in the connection's current schema up to
// SchemaVersion, in one transaction that holds the write lock: servers
// that start together apply each migration once, the others wait and
// find it applied, and no write runs against a schema half migrated. A
// schema already current is only read (a read-only server will do). It
// sets s.lockKey. A schema newer than this build's is an error: this
// build would not know what it holds.
func (s *Store) migrate(ctx context.Context) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return s.connError("begin the schema migration", err)
	}
	defer rollback(ctx, ptx)
	var schema *string
	if err := ptx.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return s.migrateError("read the current schema", err)
	}
	if schema == nil {
		return fmt.Errorf("open PostgreSQL store at %s: no schema to create the store's tables in: the search_path names no schema that exists", s.where)
	}
	s.lockKey = schemaKey(*schema)
	version, err := s.schemaVersion(ctx, ptx, *schema)
	if err != nil || version == len(migrations) {
		return err
	}
	if _, err := ptx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", lockClass, s.lockKey); err != nil {
		return s.migrateError("take the write lock", err)
	}
	if _, err := ptx.Exec(ctx, sqlMigrationsTable); err != nil {
		return s.migrateError("create the migrations table", err)
	}
	// Again, under the lock: another server may have migrated meanwhile.
	if version, err = s.schemaVersion(ctx, ptx, *schema); err != nil {
		return err
	}
	for v := version + 1; v <= len(migrations); v++ {
		if _, err := ptx.Exec(ctx, migrations[v-1]); err != nil {
			return s.migrateError(fmt.Sprintf("apply migration %d", v), err)
		}
		if _, err := ptx.Exec(ctx, "INSERT INTO cutover_schema_migrations (version) VALUES ($1)", v); err != nil {
			return s.migrateError(fmt.Sprintf("record migration %d", v), err)
		}
	}
	if err := ptx.Commit(ctx); err != nil {
		return s.migrateError("commit the schema migration", err)
	}
	return nil
}

// schemaVersion returns the latest migration applied to schema (0 for
// none), or an error if it is newer than this build's.
func (s *Store) schemaVersion(ctx context.Context, ptx pgx.Tx, schema string) (int, error) {
	var exists bool
	if err := ptx.QueryRow(ctx, "SELECT to_regclass('cutover_schema_migrations') IS NOT NULL").Scan(&exists); err != nil {
		return 0, s.migrateError("find the migrations table", err)
	}
	if !exists {
		return 0, nil
	}
	var version int
	if err := ptx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM cutover_schema_migrations").Scan(&version); err != nil {
		return 0, s.migrateError("read the schema version", err)
	}
	if version > len(migrations) {
		return 0, fmt.Errorf("open PostgreSQL store at %s: its schema %q is at version %d, newer than this cutover's %d: run a newer cutover",
			s.where, schema, version, len(migrations))
	}
	return version, nil
}

func (s *Store) migrateError(doing string, err error) error {
	return wrapError(fmt.Sprintf("migrate the PostgreSQL store at %s: %s", s.where, doing), err)
}
