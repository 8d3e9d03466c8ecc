package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/cutover/cutover/internal/store"
)

var _ store.Store = (*Store)(nil)

const (
	// connectTimeout bounds a connection attempt when the URL sets no
	// connect_timeout: an unreachable server fails Open in seconds, not
	// after the operating system's TCP timeout.
	connectTimeout = 10 * time.Second
	// rollbackTimeout bounds the rollback of a transaction that will not
	// commit; past it the connection is dropped, which rolls back too.
	rollbackTimeout = 5 * time.Second
	// maxConns is the pool's size unless the URL sets pool_max_conns.
	maxConns = 16
	// lockClass is the first key of the store's advisory lock ("cutv");
	// the second is the schema's hash (schemaKey).
	lockClass int32 = 0x63757476
)

// Store is a store.Store backed by PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
	// where names the server and database in errors (never the
	// password).
	where string
	// lockKey is the second key of the write lock, set by Open: one lock
	// per schema, so control planes in different schemas of a database
	// do not wait for each other.
	lockKey int32
	// writer is a one-slot semaphore that serializes this process's
	// write transactions before they take a connection, so writers
	// waiting for the advisory lock never exhaust the pool.
	writer chan struct{}
	// fenced is set by the first Campaign: from then on a write commits
	// only while held is the lease (lease.go).
	fenced atomic.Bool
	held   atomic.Pointer[heldLease]
}

// Open connects to the PostgreSQL database named by url (a postgres://
// URL or a libpq key=value string; pgxpool's pool_* parameters apply)
// and brings the store's schema up to date (migrate.go). It fails with
// a "connect to PostgreSQL" error when the server cannot be reached.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse the PostgreSQL URL: %w", err) // pgconn redacts the password
	}
	// pgxpool's default, four connections (or one per CPU), would queue
	// the API's reads, which bolt serves all at once. The URL's
	// pool_max_conns, if any, stands.
	if !strings.Contains(url, "pool_max_conns") {
		cfg.MaxConns = maxConns
	}
	cc := cfg.ConnConfig
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = connectTimeout
	}
	// Update's durability is COMMIT's: the server must flush it before it
	// answers. Keep a setting the URL makes (remote_apply, say).
	if _, ok := cc.RuntimeParams["synchronous_commit"]; !ok {
		cc.RuntimeParams["synchronous_commit"] = "on"
	}
	host := cc.Host
	for _, f := range cc.Fallbacks { // also TLS-or-not variants of the same host
		if f.Host != cc.Host {
			host += ",…" // several hosts: errors say which one failed
			break
		}
	}
	s := &Store{
		where:  fmt.Sprintf("%s:%d/%s", host, cc.Port, cc.Database),
		writer: make(chan struct{}, 1),
	}
	// The pool connects lazily: migrate makes the first connection.
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("open PostgreSQL store at %s: %w", s.where, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// View implements store.Store: a REPEATABLE READ, READ ONLY transaction.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return s.connError("begin a read transaction", err)
	}
	defer rollback(ctx, ptx)
	return fn(&tx{ctx: ctx, pg: ptx, readOnly: true})
}

// Update implements store.Store. Write transactions run one at a time
// (see the package doc), so fn runs exactly once. Once fn has returned
// nil the commit goes on even if ctx is canceled: abandoning it half way
// would leave the caller not knowing whether it happened. A commit that
// the server refuses for want of space returns an error wrapping
// store.ErrDiskFull; one refused by a read-only server (a standby),
// store.ErrDiskReadOnly.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case s.writer <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-s.writer }()
	ptx, err := s.beginWrite(ctx)
	if err != nil {
		return err
	}
	// Deferred, so that a panic in fn (which an HTTP server recovers)
	// does not leave the transaction open, and with it the write lock
	// held for every server on the database.
	committed := false
	defer func() {
		if !committed {
			rollback(ctx, ptx)
		}
	}()
	if err := fn(&tx{ctx: ctx, pg: ptx}); err != nil {
		return err // fn's own error, unchanged
	}
	if err := ptx.Commit(context.WithoutCancel(ctx)); err != nil {
		return wrapError(fmt.Sprintf("commit to PostgreSQL at %s", s.where), err)
	}
	committed = true
	return nil
}

// beginWrite begins a write transaction and takes the store's advisory
// lock in it, which the transaction's end releases. READ COMMITTED
// suffices, and is needed: each later statement sees everything
// committed before the lock was granted, where a REPEATABLE READ
// snapshot would date from the lock statement itself, before the wait.
func (s *Store) beginWrite(ctx context.Context) (pgx.Tx, error) {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return nil, s.connError("begin a write transaction", err)
	}
	if _, err := ptx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", lockClass, s.lockKey); err != nil {
		rollback(ctx, ptx)
		return nil, wrapError(fmt.Sprintf("take the write lock of PostgreSQL at %s", s.where), err)
	}
	// The lock orders the lease's check with every other write, and
	// with the lease changing hands.
	if err := s.fence(ctx, ptx); err != nil {
		rollback(ctx, ptx)
		return nil, err
	}
	return ptx, nil
}

// Close implements store.Store: it closes the pool's connections,
// waiting for the ones in use to be released.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// connError wraps an error of starting a transaction, which is where an
// unreachable server shows.
func (s *Store) connError(doing string, err error) error {
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) {
		return fmt.Errorf("connect to PostgreSQL at %s: %w", s.where, err)
	}
	return wrapError(fmt.Sprintf("%s in PostgreSQL at %s", doing, s.where), err)
}

// rollback ends ptx when it will not commit. Its context outlives ctx's
// cancellation, so that the connection goes back to the pool clean.
func rollback(ctx context.Context, ptx pgx.Tx) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	_ = ptx.Rollback(rctx) // on failure pgx closes the connection, which rolls back
}

// wrapError wraps err with what was being done, and with
// store.ErrDiskFull or store.ErrDiskReadOnly when the server refused a
// write for want of space or because it is read-only.
func wrapError(doing string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "53100": // disk_full
			return fmt.Errorf("%w (%s: %w)", store.ErrDiskFull, doing, err)
		case "25006": // read_only_sql_transaction: a standby, or default_transaction_read_only
			return fmt.Errorf("%w (%s: %w)", store.ErrDiskReadOnly, doing, err)
		}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// schemaKey is the write lock's second key for a schema: a stable hash
// of its name.
func schemaKey(schema string) int32 {
	h := fnv.New32a()
	h.Write([]byte(schema))
	return int32(h.Sum32())
}

// quoteKey formats a key for an error message.
func quoteKey(table, key string) string {
	return table + "/" + strconv.Quote(key)
}
