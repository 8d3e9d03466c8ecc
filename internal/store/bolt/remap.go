package bolt

import (
	"errors"
	"strings"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"github.com/cutover/cutover/internal/store"
)

// rwRetryEvery bounds how often a store reopened read-only tries to
// reopen read-write, on a write.
const rwRetryEvery = 5 * time.Second

// recover reopens the database after err from a transaction on db, when
// that is what it takes for the next transaction to work, and reports
// whether it did (or another caller already had): the transaction did
// not begin, and may be tried again once.
//
// bbolt unmaps the file when a commit that grows it cannot map it again
// (the filesystem turned read-only, say): every transaction after that
// fails with ErrInvalidMapping, reads included. Reopening maps the file
// again, as it was last committed; if the filesystem refuses a
// read-write open, the file is opened read-only, so that reads go on and
// writes fail with store.ErrDiskReadOnly. A store opened read-only so
// (or left closed, neither open working) tries again, on a transaction,
// every rwRetryEvery.
func (s *Store) recover(db *bbolt.DB, err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	if s.db.Load() != db {
		return true // reopened meanwhile
	}
	switch {
	case errors.Is(err, berrors.ErrInvalidMapping):
	case errors.Is(err, berrors.ErrDatabaseNotOpen), errors.Is(err, berrors.ErrDatabaseReadOnly):
		// Closed by a reopen that failed, or reopened read-only: try
		// again, now and then.
		if time.Since(s.triedRW) < rwRetryEvery {
			return false
		}
	default:
		return false
	}
	_ = db.Close()
	s.triedRW = time.Now()
	opts := &bbolt.Options{Timeout: s.timeout}
	next, rwErr := bbolt.Open(s.path, 0o600, opts)
	if rwErr != nil {
		opts.ReadOnly = true
		next, err = bbolt.Open(s.path, 0o600, opts)
		if err != nil {
			// Keep the closed database: transactions fail with
			// ErrDatabaseNotOpen until a reopen works.
			return false
		}
	}
	s.db.Store(next)
	return true
}

// diskError is store.DiskError, also for the bbolt errors that say it in
// words only: "mmap allocate error: read-only file system" (formatted
// with %s, so errors.Is finds no EROFS), a database reopened read-only.
func diskError(err error) error {
	if de := store.DiskError(err); de != nil {
		return de
	}
	msg := err.Error()
	switch {
	case errors.Is(err, berrors.ErrDatabaseReadOnly), strings.Contains(msg, syscall.EROFS.Error()):
		return store.ErrDiskReadOnly
	case strings.Contains(msg, syscall.ENOSPC.Error()), strings.Contains(msg, syscall.EDQUOT.Error()):
		return store.ErrDiskFull
	}
	return nil
}
