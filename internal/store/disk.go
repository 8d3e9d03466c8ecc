package store

import (
	"errors"
	"syscall"
)

// Errors of a store whose storage refuses writes; check them with
// errors.Is. Either means that the transaction was not committed:
// nothing of it was stored, and everything committed before is intact.
// Their messages are written for the API's callers, who see them.
var (
	// ErrDiskFull means the filesystem holding the store has no space
	// left (ENOSPC) or the quota is exhausted (EDQUOT).
	ErrDiskFull = errors.New("the data directory is full (no space left on device): the change was not stored; free space in the data directory and retry")
	// ErrDiskReadOnly means the filesystem holding the store is
	// read-only (EROFS), say remounted so after a disk error.
	ErrDiskReadOnly = errors.New("the data directory is read-only: the change was not stored; make it writable and retry")
)

// DiskError returns ErrDiskFull or ErrDiskReadOnly when err is, or
// wraps, one of them or the system error they stand for; otherwise nil.
func DiskError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrDiskFull), errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return ErrDiskFull
	case errors.Is(err, ErrDiskReadOnly), errors.Is(err, syscall.EROFS):
		return ErrDiskReadOnly
	}
	return nil
}
