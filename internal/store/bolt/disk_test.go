package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
	"github.com/cutover/cutover/internal/testfs"
)

// put commits key=value in table "t".
func put(s store.Store, key, value string) error {
	return s.Update(context.Background(), func(tx store.Tx) error { return tx.Put("t", key, []byte(value)) })
}

// commitSome commits n keys with 1 KiB values, and returns them.
func commitSome(t *testing.T, s store.Store, n int) map[string]string {
	t.Helper()
	want := map[string]string{}
	for i := range n {
		k, v := fmt.Sprintf("k%03d", i), strings.Repeat(string(rune('a'+i%26)), 1024)
		if err := put(s, k, v); err != nil {
			t.Fatalf("commit %s: %v", k, err)
		}
		want[k] = v
	}
	return want
}

// holds checks that s has exactly want in table "t".
func holds(t *testing.T, s store.Store, want map[string]string) {
	t.Helper()
	got := map[string]string{}
	err := s.View(context.Background(), func(tx store.Tx) error {
		return tx.Scan("t", "", "", func(k string, v []byte) error {
			got[k] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if len(got) != len(want) {
		t.Fatalf("read back %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %s: read back %d bytes, not the %d committed", k, len(got[k]), len(v))
		}
	}
}

// check runs bbolt's consistency check on the closed database file.
func check(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatalf("open %s for checking: %v", path, err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil {
		t.Fatalf("bbolt check of %s: %v", path, err)
	}
}

func open(t *testing.T, path string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCommitOnFullDisk fills the store's filesystem: commits fail with
// ErrDiskFull and keep nothing, reads go on, every earlier commit is
// intact (bbolt's check passes), and once space is freed commits work.
func TestCommitOnFullDisk(t *testing.T) {
	dir := testfs.Tmpfs(t, 2<<20)
	path := filepath.Join(dir, "state.db")
	s := open(t, path)
	defer func() { s.Close() }()
	want := commitSome(t, s, 50)

	filler := testfs.Fill(t, dir)
	big := strings.Repeat("x", 256<<10)
	err := put(s, "big", big)
	if !errors.Is(err, store.ErrDiskFull) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("commit on a full disk: %v, want store.ErrDiskFull wrapping ENOSPC", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("the error %q does not name the file", err)
	}
	t.Logf("commit on a full disk: %v", err)
	// Small commits may fit in pages the file already has, or fail the
	// same way; either way the store stays consistent.
	for i := range 20 {
		k := fmt.Sprintf("small%02d", i)
		if err := put(s, k, "v"); err == nil {
			want[k] = "v"
		} else if !errors.Is(err, store.ErrDiskFull) {
			t.Fatalf("small commit on a full disk: %v", err)
		}
	}
	holds(t, s, want)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := put(s, "big", big); err != nil {
		t.Fatalf("commit after freeing space: %v", err)
	}
	want["big"] = big
	holds(t, s, want)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	check(t, path)
	s = open(t, path)
	holds(t, s, want)
}

// TestCommitOnReadOnlyDisk has the kernel turn the store's filesystem
// read-only under the open database, as errors=remount-ro does after a
// disk error: commits fail with ErrDiskReadOnly, reads go on, and after
// the operator's repair (unmount, e2fsck, mount) every commit from
// before is there.
func TestCommitOnReadOnlyDisk(t *testing.T) {
	fs := testfs.NewExt4(t, 32<<20)
	path := filepath.Join(fs.Dir, "state.db")
	s := open(t, path)
	want := commitSome(t, s, 50)

	fs.ForceReadOnly()
	err := put(s, "late", "v")
	if !errors.Is(err, store.ErrDiskReadOnly) || !errors.Is(err, syscall.EROFS) {
		t.Fatalf("commit on a read-only disk: %v, want store.ErrDiskReadOnly wrapping EROFS", err)
	}
	t.Logf("commit on a read-only disk: %v", err)
	holds(t, s, want)
	// A commit that grows the file past its mapping makes bbolt map it
	// again, which the read-only filesystem refuses: bbolt is left
	// unmapped, and the store reopens the file read-only to read on.
	err = put(s, "huge", strings.Repeat("h", 8<<20))
	if !errors.Is(err, store.ErrDiskReadOnly) {
		t.Fatalf("a commit growing the file on a read-only disk: %v, want store.ErrDiskReadOnly", err)
	}
	t.Logf("a commit growing the file on a read-only disk: %v", err)
	holds(t, s, want)
	if err := put(s, "late", "v"); !errors.Is(err, store.ErrDiskReadOnly) {
		t.Fatalf("commit on a read-only disk, the store reopened: %v, want store.ErrDiskReadOnly", err)
	}
	holds(t, s, want)
	if err := s.Close(); err != nil {
		t.Logf("close on a read-only disk: %v", err)
	}

	fs.Repair()
	check(t, path)
	s = open(t, path)
	defer s.Close()
	holds(t, s, want)
	if err := put(s, "late", "v"); err != nil {
		t.Fatalf("commit after the repair: %v", err)
	}
}
