// Package storetest is the conformance suite every store.Store backend
// passes: run it from the backend's tests with a constructor.
package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/cutover/cutover/internal/store"
)

// Run runs the conformance suite. open returns a fresh, empty store;
// reopen, when not nil, closes s and opens the same data again, to check
// that committed data persists.
func Run(t *testing.T, open func(t *testing.T) store.Store, reopen func(t *testing.T, s store.Store) store.Store) {
	ctx := context.Background()
	put := func(t *testing.T, s store.Store, table, key, val string) {
		t.Helper()
		if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put(table, key, []byte(val)) }); err != nil {
			t.Fatalf("put %s/%s: %v", table, key, err)
		}
	}
	get := func(t *testing.T, s store.Store, table, key string) (string, error) {
		t.Helper()
		var out string
		err := s.View(ctx, func(tx store.Tx) error {
			b, err := tx.Get(table, key)
			out = string(b)
			return err
		})
		return out, err
	}

	t.Run("GetMissing", func(t *testing.T) {
		s := open(t)
		if _, err := get(t, s, "t", "k"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get from missing table: %v, want ErrNotFound", err)
		}
		put(t, s, "t", "a", "1")
		if _, err := get(t, s, "t", "k"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("get missing key: %v, want ErrNotFound", err)
		}
	})

	t.Run("PutGetDelete", func(t *testing.T) {
		s := open(t)
		put(t, s, "t", "k", "v1")
		put(t, s, "t", "k", "v2")
		put(t, s, "other", "k", "x")
		if v, err := get(t, s, "t", "k"); err != nil || v != "v2" {
			t.Fatalf("get = %q, %v; want v2", v, err)
		}
		if err := s.Update(ctx, func(tx store.Tx) error {
			if err := tx.Delete("t", "k"); err != nil {
				return err
			}
			return tx.Delete("t", "never-there")
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := get(t, s, "t", "k"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if v, _ := get(t, s, "other", "k"); v != "x" {
			t.Fatalf("other table changed: %q", v)
		}
	})

	t.Run("CallerMayReuseBuffer", func(t *testing.T) {
		s := open(t)
		buf := []byte("abc")
		if err := s.Update(ctx, func(tx store.Tx) error {
			err := tx.Put("t", "k", buf)
			copy(buf, "zzz")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if v, _ := get(t, s, "t", "k"); v != "abc" {
			t.Fatalf("stored value changed with the caller's buffer: %q", v)
		}
	})

	t.Run("RollbackOnError", func(t *testing.T) {
		s := open(t)
		put(t, s, "t", "keep", "1")
		boom := errors.New("boom")
		err := s.Update(ctx, func(tx store.Tx) error {
			if err := tx.Put("t", "new", []byte("x")); err != nil {
				return err
			}
			if err := tx.Delete("t", "keep"); err != nil {
				return err
			}
			return fmt.Errorf("wrapped: %w", boom)
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update returned %v, want the callback's error", err)
		}
		if _, err := get(t, s, "t", "new"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("write of failed transaction is visible: %v", err)
		}
		if v, _ := get(t, s, "t", "keep"); v != "1" {
			t.Fatalf("delete of failed transaction took effect")
		}
	})

	t.Run("ViewIsReadOnly", func(t *testing.T) {
		s := open(t)
		err := s.View(ctx, func(tx store.Tx) error { return tx.Put("t", "k", []byte("v")) })
		if !errors.Is(err, store.ErrReadOnly) {
			t.Fatalf("put in View: %v, want ErrReadOnly", err)
		}
	})

	t.Run("ScanOrderPrefixAfter", func(t *testing.T) {
		s := open(t)
		for _, k := range []string{"b/2", "a/1", "b/10", "b/1", "c/1", "b"} {
			put(t, s, "t", k, "v"+k)
		}
		scan := func(prefix, after string, limit int) []string {
			var keys []string
			err := s.View(ctx, func(tx store.Tx) error {
				return tx.Scan("t", prefix, after, func(k string, v []byte) error {
					if string(v) != "v"+k {
						return fmt.Errorf("value of %s is %q", k, v)
					}
					keys = append(keys, k)
					if len(keys) == limit {
						return store.ErrStop
					}
					return nil
				})
			})
			if err != nil {
				t.Fatalf("scan(%q, %q): %v", prefix, after, err)
			}
			return keys
		}
		cases := []struct {
			prefix, after string
			limit         int
			want          []string
		}{
			{"", "", 0, []string{"a/1", "b", "b/1", "b/10", "b/2", "c/1"}},
			{"b/", "", 0, []string{"b/1", "b/10", "b/2"}},
			{"b/", "b/1", 0, []string{"b/10", "b/2"}},
			{"b/", "b/0", 0, []string{"b/1", "b/10", "b/2"}},
			{"b/", "b/2", 0, nil},
			{"b/", "a", 0, []string{"b/1", "b/10", "b/2"}},
			{"", "b", 2, []string{"b/1", "b/10"}},
			{"z", "", 0, nil},
		}
		for _, c := range cases {
			if got := scan(c.prefix, c.after, c.limit); !slices.Equal(got, c.want) {
				t.Errorf("scan(%q, after %q, limit %d) = %v, want %v", c.prefix, c.after, c.limit, got, c.want)
			}
		}
		var n int
		if err := s.View(ctx, func(tx store.Tx) error {
			return tx.Scan("missing", "", "", func(string, []byte) error { n++; return nil })
		}); err != nil || n != 0 {
			t.Fatalf("scan of missing table: %d keys, %v", n, err)
		}
		boom := errors.New("boom")
		if err := s.View(ctx, func(tx store.Tx) error {
			return tx.Scan("t", "", "", func(string, []byte) error { return boom })
		}); !errors.Is(err, boom) {
			t.Fatalf("scan callback error not returned: %v", err)
		}
	})

	t.Run("NextSequence", func(t *testing.T) {
		s := open(t)
		var got []uint64
		for range 3 {
			if err := s.Update(ctx, func(tx store.Tx) error {
				n, err := tx.NextSequence("seq")
				got = append(got, n)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		if !slices.Equal(got, []uint64{1, 2, 3}) {
			t.Fatalf("sequence = %v, want 1 2 3", got)
		}
		if err := s.Update(ctx, func(tx store.Tx) error {
			n, err := tx.NextSequence("other")
			if err == nil && n != 1 {
				err = fmt.Errorf("other table's sequence starts at %d", n)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("ConcurrentUpdatesSerialize", func(t *testing.T) {
		s := open(t)
		put(t, s, "t", "n", "0")
		var wg sync.WaitGroup
		const workers, each = 4, 25
		for range workers {
			wg.Go(func() {
				for range each {
					err := s.Update(ctx, func(tx store.Tx) error {
						b, err := tx.Get("t", "n")
						if err != nil {
							return err
						}
						var n int
						fmt.Sscan(string(b), &n)
						return tx.Put("t", "n", []byte(fmt.Sprint(n+1)))
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if v, _ := get(t, s, "t", "n"); v != fmt.Sprint(workers*each) {
			t.Fatalf("counter = %s, want %d: lost updates", v, workers*each)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := open(t)
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		ran := false
		err := s.Update(cctx, func(store.Tx) error { ran = true; return nil })
		if err == nil || ran {
			t.Fatalf("Update with canceled context: err %v, ran %v", err, ran)
		}
	})

	runBatch(t, open)

	if reopen != nil {
		t.Run("Persists", func(t *testing.T) {
			s := open(t)
			put(t, s, "t", "k", "v")
			if err := s.Update(ctx, func(tx store.Tx) error { _, err := tx.NextSequence("seq"); return err }); err != nil {
				t.Fatal(err)
			}
			s = reopen(t, s)
			if v, err := get(t, s, "t", "k"); err != nil || v != "v" {
				t.Fatalf("after reopen: %q, %v", v, err)
			}
			if err := s.Update(ctx, func(tx store.Tx) error {
				n, err := tx.NextSequence("seq")
				if err == nil && n != 2 {
					err = fmt.Errorf("sequence after reopen = %d, want 2", n)
				}
				return err
			}); err != nil {
				t.Fatal(err)
			}
		})
	}
}
