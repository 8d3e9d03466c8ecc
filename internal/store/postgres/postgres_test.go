package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/postgres"
	"github.com/cutover/cutover/internal/store/postgres/pgtest"
	"github.com/cutover/cutover/internal/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a store on url, closed when tb ends.
func open(tb testing.TB, url string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	urls := map[store.Store]string{}
	storetest.Run(t,
		func(t *testing.T) store.Store {
			u := pgtest.NewDatabase(t)
			s := open(t, u)
			urls[s] = u
			return s
		},
		func(t *testing.T, s store.Store) store.Store {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, urls[s])
		})
}

// BenchmarkStore: go test -run '^$' -bench Store -benchmem ./internal/store/postgres/
func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b, pgtest.NewDatabase(b)) })
}

// A second store on the same database, as a second server would open
// it, sees what the first committed, and writes of the two serialize.
func TestSecondStoreSharesData(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	if err := a.Update(ctx, func(tx store.Tx) error { return tx.Put("t", "k", []byte("from a")) }); err != nil {
		t.Fatal(err)
	}
	err := b.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("t", "k")
		if err == nil && string(v) != "from a" {
			err = fmt.Errorf("b reads %q", v)
		}
		return err
	})
	if err != nil {
		t.Fatalf("second store: %v", err)
	}

	// Read-modify-write from both stores at once: no update is lost, and
	// the sequences they draw from are distinct.
	const each = 20
	var wg sync.WaitGroup
	seqs := make([][]uint64, 2)
	for i, s := range []store.Store{a, b} {
		wg.Go(func() {
			for range each {
				var n uint64
				err := s.Update(ctx, func(tx store.Tx) error {
					v, err := tx.Get("t", "counter")
					if err != nil && !errors.Is(err, store.ErrNotFound) {
						return err
					}
					var c int
					fmt.Sscan(string(v), &c)
					if err := tx.Put("t", "counter", fmt.Append(nil, c+1)); err != nil {
						return err
					}
					n, err = tx.NextSequence("seq")
					return err
				})
				if err != nil {
					t.Error(err)
					return
				}
				seqs[i] = append(seqs[i], n)
			}
		})
	}
	wg.Wait()
	err = a.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("t", "counter")
		if err == nil && string(v) != fmt.Sprint(2*each) {
			err = fmt.Errorf("counter = %s, want %d: lost updates", v, 2*each)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[uint64]bool{}
	for _, n := range append(seqs[0], seqs[1]...) {
		if seen[n] {
			t.Fatalf("sequence number %d handed out twice: %v", n, seqs)
		}
		seen[n] = true
	}
}

// Open migrates once: stores opened together, and opened again later,
// find the schema at SchemaVersion with each migration recorded once,
// and the data intact.
func TestMigrationsIdempotent(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			s, err := postgres.Open(ctx, u)
			if err != nil {
				t.Errorf("concurrent open: %v", err)
				return
			}
			s.Close()
		})
	}
	wg.Wait()
	s := open(t, u)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("t", "k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = open(t, u)
	if err := s.View(ctx, func(tx store.Tx) error { _, err := tx.Get("t", "k"); return err }); err != nil {
		t.Fatalf("after reopen: %v", err)
	}

	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT version FROM cutover_schema_migrations ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != postgres.SchemaVersion() || versions[len(versions)-1] != postgres.SchemaVersion() {
		t.Fatalf("migrations recorded: %v, want 1..%d once each", versions, postgres.SchemaVersion())
	}

	// A schema newer than this build's is refused, not used.
	if _, err := conn.Exec(ctx, "INSERT INTO cutover_schema_migrations (version) VALUES ($1)", postgres.SchemaVersion()+1); err != nil {
		t.Fatal(err)
	}
	if s, err := postgres.Open(ctx, u); err == nil || !strings.Contains(err.Error(), "newer than this cutover's") {
		if err == nil {
			s.Close()
		}
		t.Fatalf("open of a newer schema: %v, want an error", err)
	}
}

// Each schema of a database holds its own store (search_path in the
// URL).
func TestSchemasAreSeparate(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA blue; CREATE SCHEMA green"); err != nil {
		t.Fatal(err)
	}
	blue, green := open(t, u+"&search_path=blue"), open(t, u+"&search_path=green")
	if err := blue.Update(ctx, func(tx store.Tx) error { return tx.Put("t", "k", []byte("blue")) }); err != nil {
		t.Fatal(err)
	}
	if err := green.View(ctx, func(tx store.Tx) error { _, err := tx.Get("t", "k"); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("green sees blue's key: %v", err)
	}
	if _, err := postgres.Open(ctx, u+"&search_path=missing"); err == nil || !strings.Contains(err.Error(), "no schema") {
		t.Fatalf("open with a search_path of no schema: %v", err)
	}
}

// Scan reads large tables in pages and keeps to one snapshot: a View's
// scan does not see a commit made while it runs.
func TestScanPagesOneSnapshot(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.NewDatabase(t))
	const n = 3000 // several pages
	if err := s.Update(ctx, func(tx store.Tx) error {
		for i := range n {
			if err := tx.Put("t", fmt.Sprintf("k/%05d", i), fmt.Appendf(nil, "v%d", i)); err != nil {
				return err
			}
		}
		return tx.Put("t", "l", []byte("outside the prefix"))
	}); err != nil {
		t.Fatal(err)
	}
	seen := 0
	err := s.View(ctx, func(tx store.Tx) error {
		return tx.Scan("t", "k/", "", func(k string, v []byte) error {
			if want := fmt.Sprintf("k/%05d", seen); k != want || string(v) != fmt.Sprintf("v%d", seen) {
				return fmt.Errorf("record %d is %s=%q, want %s", seen, k, v, want)
			}
			seen++
			if seen == 10 {
				// Committed in another transaction mid-scan: past this
				// View's snapshot.
				return s.Update(ctx, func(tx store.Tx) error { return tx.Put("t", "k/01000x", []byte("late")) })
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen != n {
		t.Fatalf("scanned %d records, want %d", seen, n)
	}
}

// Open fails at once, saying so, when no server answers.
func TestOpenUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there now
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	_, err = postgres.Open(ctx, "postgres://cutover:secret@"+addr+"/cutover")
	if err == nil {
		t.Fatal("Open of an unreachable server succeeded")
	}
	if !strings.Contains(err.Error(), "connect to PostgreSQL at 127.0.0.1") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("error %q: want it to say it could not connect, and not show the password", err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Fatalf("Open took %s to fail", d)
	}
}

// Keys are bytes, compared bytewise: a backslash, NUL and 0xff bytes
// (no valid UTF-8) survive, sort as in bolt, and bound prefix scans.
func TestBinaryKeys(t *testing.T) {
	ctx := context.Background()
	s := open(t, pgtest.NewDatabase(t))
	keys := []string{"", "\x00", "a\\x41", "p", "p\xff", "p\xff\x00", "p\xff\xff", "q", "\xff"}
	if err := s.Update(ctx, func(tx store.Tx) error {
		for i := len(keys) - 1; i >= 0; i-- {
			if err := tx.Put("bin", keys[i], []byte(keys[i])); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	scan := func(prefix, after string) []string {
		var got []string
		err := s.View(ctx, func(tx store.Tx) error {
			return tx.Scan("bin", prefix, after, func(k string, v []byte) error {
				if string(v) != k {
					return fmt.Errorf("value of %q is %q", k, v)
				}
				got = append(got, k)
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, c := range []struct {
		prefix, after string
		want          []string
	}{
		{"", "", keys},
		{"p\xff", "", []string{"p\xff", "p\xff\x00", "p\xff\xff"}},
		{"p\xff", "p\xff", []string{"p\xff\x00", "p\xff\xff"}},
		{"\xff", "", []string{"\xff"}},
		{"", "q", []string{"\xff"}},
	} {
		if got := scan(c.prefix, c.after); !slices.Equal(got, c.want) {
			t.Errorf("scan(%q, after %q) = %q, want %q", c.prefix, c.after, got, c.want)
		}
	}
	if err := s.View(ctx, func(tx store.Tx) error {
		v, err := tx.Get("bin", "a\\x41")
		if err == nil && string(v) != "a\\x41" {
			err = fmt.Errorf("got %q", v)
		}
		return err
	}); err != nil {
		t.Fatalf("get of a key with a backslash: %v", err)
	}
}

// A server that refuses writes (a standby; here a read-only default)
// still opens a current schema for reading, and its refusals are
// store.ErrDiskReadOnly, as the embedded store's on a read-only disk.
func TestReadOnlyServer(t *testing.T) {
	ctx := context.Background()
	u := pgtest.NewDatabase(t)
	s := open(t, u)
	if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("t", "k", []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	ro := open(t, u+"&default_transaction_read_only=on")
	if err := ro.View(ctx, func(tx store.Tx) error { _, err := tx.Get("t", "k"); return err }); err != nil {
		t.Fatalf("read from a read-only server: %v", err)
	}
	err := ro.Update(ctx, func(tx store.Tx) error { return tx.Put("t", "k", []byte("w")) })
	if !errors.Is(err, store.ErrDiskReadOnly) {
		t.Fatalf("write to a read-only server: %v, want ErrDiskReadOnly", err)
	}
}

// A panic in an Update's fn, recovered by the caller as an HTTP server
// does, rolls the transaction back and releases the write lock: the
// next writes, of this store and of another on the database, go on.
func TestPanicReleasesWriteLock(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := pgtest.NewDatabase(t)
	a, b := open(t, u), open(t, u)
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the panic did not reach the caller")
			}
		}()
		_ = a.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put("t", "k", []byte("from the panicking fn")); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	for _, s := range []store.Store{a, b} {
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("t", "other", []byte("v")) }); err != nil {
			t.Fatalf("write after a panic: %v", err)
		}
	}
	if err := a.View(ctx, func(tx store.Tx) error { _, err := tx.Get("t", "k"); return err }); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the panicking fn's write: %v, want it rolled back", err)
	}
}
