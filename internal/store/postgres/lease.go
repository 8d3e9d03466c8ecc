package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cutover/cutover/internal/store"
)

// Lease is the leader lease of the servers that share a store, as it
// stands.
type Lease struct {
	// Holder names the server that holds the lease ("" for none yet).
	Holder string
	// Address is where the holder serves its API.
	Address string
	// Term is the lease's fencing token: it grows each time the lease
	// changes hands, or is taken again after it lapsed.
	Term int64
	// Live reports whether the lease had not expired when read.
	Live bool
	// Held reports whether the caller holds it: its Holder and live.
	Held bool
}

// heldLease is the term a Store's writes are fenced with.
type heldLease struct {
	holder string
	term   int64
}

// Campaign takes the leader lease for holder, serving its API at address,
// or renews it, for ttl; it returns the lease as it then stands. A lease
// held by another server is taken only once it has expired; one held by
// holder is taken back at once, in a new term, by a store that does not
// hold it (holder restarted): holder must name one process at a time.
//
// From a store's first Campaign on, its writes are fenced: Update
// commits only while the lease Campaign last returned is held, checked
// inside the transaction after the write lock is taken, and fails with
// store.ErrNotLeader otherwise. Since Campaign takes the same lock, a
// takeover waits for the old leader's write in flight, and no write of
// the old leader commits after it: a leader that was paused past its
// lease can never write again.
func (s *Store) Campaign(ctx context.Context, holder, address string, ttl time.Duration) (Lease, error) {
	s.fenced.Store(true)
	var term int64 // the term holder holds as far as this store knows
	if h := s.held.Load(); h != nil && h.holder == holder {
		term = h.term
	}
	var l Lease
	err := s.locked(ctx, "take the leader lease", func(ptx pgx.Tx) error {
		// The term stays when holder renews the term it holds (a lapsed
		// lease nobody took meanwhile is renewed: nobody else wrote), and
		// grows otherwise: when the lease changes hands, and when holder
		// takes back a lease it held before it restarted. clock_timestamp,
		// not now(): the time after the wait for the lock.
		_, err := ptx.Exec(ctx, `INSERT INTO cutover_leader AS l (id, holder, address, term, expires_at)
			VALUES (1, $1, $2, 1, clock_timestamp() + make_interval(secs => $3))
			ON CONFLICT (id) DO UPDATE SET
				holder = excluded.holder, address = excluded.address, expires_at = excluded.expires_at,
				term = CASE WHEN l.holder = excluded.holder AND l.term = $4 THEN l.term ELSE l.term + 1 END
			WHERE l.expires_at <= clock_timestamp() OR l.holder = excluded.holder`,
			holder, address, ttl.Seconds(), term)
		if err != nil {
			return err
		}
		return ptx.QueryRow(ctx, `SELECT holder, address, term, expires_at > clock_timestamp() FROM cutover_leader WHERE id = 1`).
			Scan(&l.Holder, &l.Address, &l.Term, &l.Live)
	})
	if err != nil {
		return Lease{}, err
	}
	l.Held = l.Live && l.Holder == holder
	if l.Held {
		s.held.Store(&heldLease{holder: holder, term: l.Term})
	} else {
		s.held.Store(nil)
	}
	return l, nil
}

// Resign gives up the lease at once, if holder holds it, so that another
// server takes over without waiting for it to expire; the store's
// writes fail from then on.
func (s *Store) Resign(ctx context.Context, holder string) error {
	h := s.held.Swap(nil)
	if h == nil || h.holder != holder {
		return nil
	}
	return s.locked(ctx, "give up the leader lease", func(ptx pgx.Tx) error {
		_, err := ptx.Exec(ctx, `UPDATE cutover_leader SET expires_at = clock_timestamp() WHERE id = 1 AND holder = $1 AND term = $2`, h.holder, h.term)
		return err
	})
}

// fence fails a write transaction, which holds the write lock, unless
// the store's writes are not fenced or it holds the lease.
func (s *Store) fence(ctx context.Context, ptx pgx.Tx) error {
	if !s.fenced.Load() {
		return nil
	}
	h := s.held.Load()
	if h == nil {
		return fmt.Errorf("%w: another server holds the leader lease of PostgreSQL at %s", store.ErrNotLeader, s.where)
	}
	var held bool
	err := ptx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM cutover_leader
		WHERE id = 1 AND holder = $1 AND term = $2 AND expires_at > clock_timestamp())`, h.holder, h.term).Scan(&held)
	if err != nil {
		return wrapError(fmt.Sprintf("check the leader lease in PostgreSQL at %s", s.where), err)
	}
	if !held {
		return fmt.Errorf("%w: this server's lease (term %d) of PostgreSQL at %s has expired or passed to another server", store.ErrNotLeader, h.term, s.where)
	}
	return nil
}

// Shared returns the value of name that the servers sharing the store
// share: the one the first server to ask proposed. The control plane's
// instance ID is one (the Docker and Kubernetes runtimes label tasks
// with it, so that each server finds the tasks the others started), the
// secret that signs hook requests and approval links another.
func (s *Store) Shared(ctx context.Context, name, proposed string) (string, error) {
	var v string
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.ReadCommitted}, func(ptx pgx.Tx) error {
		if _, err := ptx.Exec(ctx, `INSERT INTO cutover_shared (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING`, name, proposed); err != nil {
			return err
		}
		return ptx.QueryRow(ctx, `SELECT value FROM cutover_shared WHERE name = $1`, name).Scan(&v)
	})
	if err != nil {
		return "", s.connError("read the shared "+name, err)
	}
	return v, nil
}

// locked runs fn in a transaction that holds the write lock, and commits.
func (s *Store) locked(ctx context.Context, doing string, fn func(pgx.Tx) error) error {
	ptx, err := s.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	if err != nil {
		return s.connError(doing, err)
	}
	defer rollback(ctx, ptx)
	if _, err := ptx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, $2)", lockClass, s.lockKey); err != nil {
		return wrapError(fmt.Sprintf("%s: take the write lock of PostgreSQL at %s", doing, s.where), err)
	}
	if err := fn(ptx); err != nil {
		return wrapError(fmt.Sprintf("%s in PostgreSQL at %s", doing, s.where), err)
	}
	if err := ptx.Commit(ctx); err != nil {
		return wrapError(fmt.Sprintf("%s: commit to PostgreSQL at %s", doing, s.where), err)
	}
	return nil
}
