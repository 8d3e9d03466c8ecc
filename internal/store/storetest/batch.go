package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/cutover/cutover/internal/store"
)

// runBatch checks store.Batch on s's backend (Update for a backend that
// is no store.Batcher): concurrent calls lose no update, and a call that
// fails keeps nothing and gets its own error while the calls batched
// with it commit.
func runBatch(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()
	t.Run("BatchLosesNoUpdate", func(t *testing.T) {
		s := open(t)
		const workers, each = 8, 25
		var wg sync.WaitGroup
		for range workers {
			wg.Go(func() {
				for range each {
					err := store.Batch(ctx, s, func(tx store.Tx) error {
						var n int
						if b, err := tx.Get("t", "n"); err == nil {
							fmt.Sscan(string(b), &n)
						} else if !errors.Is(err, store.ErrNotFound) {
							return err
						}
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
		var got string
		s.View(ctx, func(tx store.Tx) error {
			b, err := tx.Get("t", "n")
			got = string(b)
			return err
		})
		if got != fmt.Sprint(workers*each) {
			t.Fatalf("counter = %s, want %d: lost updates", got, workers*each)
		}
	})

	t.Run("BatchFailedCallKeepsNothing", func(t *testing.T) {
		s := open(t)
		errBoom := errors.New("boom")
		const calls = 40
		errs := make([]error, calls)
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				errs[i] = store.Batch(ctx, s, func(tx store.Tx) error {
					if err := tx.Put("t", fmt.Sprint(i), []byte("v")); err != nil {
						return err
					}
					if i%3 == 0 {
						return fmt.Errorf("call %d: %w", i, errBoom)
					}
					return nil
				})
			})
		}
		wg.Wait()
		err := s.View(ctx, func(tx store.Tx) error {
			for i := range calls {
				_, err := tx.Get("t", fmt.Sprint(i))
				switch {
				case i%3 == 0 && !errors.Is(errs[i], errBoom):
					t.Errorf("failing call %d returned %v, want its own error", i, errs[i])
				case i%3 == 0 && !errors.Is(err, store.ErrNotFound):
					t.Errorf("failing call %d: its write was kept (%v)", i, err)
				case i%3 != 0 && (errs[i] != nil || err != nil):
					t.Errorf("call %d: returned %v, its write read back with %v", i, errs[i], err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
