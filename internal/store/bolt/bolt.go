// Package bolt is the embedded Store backend: one bbolt file in the data
// directory, every committed transaction fsynced before it returns.
package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/store"
)

var _ store.Store = (*Store)(nil)

// Store is a store.Store backed by a bbolt database file.
type Store struct {
	// db is the open database; reopen replaces it (remap.go).
	db      atomic.Pointer[bbolt.DB]
	path    string
	timeout time.Duration
	// mu serializes reopen and Close; closed and triedRW are guarded by
	// it.
	mu     sync.Mutex
	closed bool
	// triedRW is when a reopen was last tried.
	triedRW time.Time

	// bmu guards the Batch calls waiting for a batch (batch.go), and
	// whether one of them leads.
	bmu     sync.Mutex
	queue   []*batchCall
	leading bool
}

// Open opens (creating if needed) the database file path. It waits up to
// timeout for another process holding the file to release it.
func Open(path string, timeout time.Duration) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: timeout})
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	s := &Store{path: path, timeout: timeout}
	s.db.Store(db)
	return s, nil
}

// View implements store.Store.
func (s *Store) View(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for retried := false; ; retried = true {
		db := s.db.Load()
		err := db.View(func(btx *bbolt.Tx) error { return fn(tx{btx}) })
		if retried || !s.recover(db, err) {
			return err
		}
	}
}

// Update implements store.Store. A commit that the filesystem refuses
// (full, read-only) returns an error wrapping store.ErrDiskFull or
// store.ErrDiskReadOnly; bbolt then rolls back, and the file keeps the
// last committed transaction, since its meta page is written last.
func (s *Store) Update(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for retried := false; ; retried = true {
		db := s.db.Load()
		var fnErr error
		err := db.Update(func(btx *bbolt.Tx) error {
			fnErr = fn(tx{btx})
			return fnErr
		})
		if err == nil || fnErr != nil {
			return err // fn's own error, unchanged
		}
		if !retried && s.recover(db, err) {
			continue // fn did not run: the transaction could not begin
		}
		if de := diskError(err); de != nil {
			return fmt.Errorf("%w (commit to %s: %w)", de, s.path, err)
		}
		return fmt.Errorf("commit to %s: %w", s.path, err)
	}
}

// Close implements store.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.db.Load().Close()
}

type tx struct{ b *bbolt.Tx }

func (t tx) Get(table, key string) ([]byte, error) {
	bk := t.b.Bucket([]byte(table))
	if bk == nil {
		return nil, store.ErrNotFound
	}
	v := bk.Get([]byte(key))
	if v == nil {
		return nil, store.ErrNotFound
	}
	return v, nil
}

func (t tx) bucket(table string) (*bbolt.Bucket, error) {
	if !t.b.Writable() {
		return nil, store.ErrReadOnly
	}
	bk, err := t.b.CreateBucketIfNotExists([]byte(table))
	if err != nil {
		return nil, fmt.Errorf("create table %q: %w", table, err)
	}
	return bk, nil
}

func (t tx) Put(table, key string, value []byte) error {
	bk, err := t.bucket(table)
	if err != nil {
		return err
	}
	// bbolt keeps references to value until commit; copy so callers may reuse it.
	return bk.Put([]byte(key), bytes.Clone(value))
}

func (t tx) Delete(table, key string) error {
	bk, err := t.bucket(table)
	if err != nil {
		return err
	}
	return bk.Delete([]byte(key))
}

func (t tx) Scan(table, prefix, after string, fn func(string, []byte) error) error {
	bk := t.b.Bucket([]byte(table))
	if bk == nil {
		return nil
	}
	c := bk.Cursor()
	p := []byte(prefix)
	k, v := c.Seek(p)
	if after != "" && after >= prefix {
		k, v = c.Seek([]byte(after))
		if k != nil && string(k) == after {
			k, v = c.Next()
		}
	}
	for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Next() {
		if err := fn(string(k), v); err != nil {
			if errors.Is(err, store.ErrStop) {
				return nil
			}
			return err
		}
	}
	return nil
}

func (t tx) NextSequence(table string) (uint64, error) {
	bk, err := t.bucket(table)
	if err != nil {
		return 0, err
	}
	return bk.NextSequence()
}
