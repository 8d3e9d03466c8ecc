package storetest

import (
	"context"
	"fmt"
	"testing"

	"github.com/cutover/cutover/internal/store"
)

// benchRecords is how many records the read benchmarks find in their
// table: about a busy control plane's tasks of one service table.
const benchRecords = 1000

// Bench runs the store benchmarks every backend reports, with allocation
// counts: a point read, a commit of one small record (the cost of
// durability: one fsync per commit on bolt), and a scan of a table's
// records, the shape of a controller pass. open returns a fresh, empty
// store.
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	ctx := context.Background()
	value := make([]byte, 512) // a task record's size, roughly
	filled := func(b *testing.B) store.Store {
		s := open(b)
		err := s.Update(ctx, func(tx store.Tx) error {
			for i := range benchRecords {
				if err := tx.Put("bench", fmt.Sprintf("svc/%06d", i), value); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		return s
	}

	b.Run("Get", func(b *testing.B) {
		s := filled(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			key := fmt.Sprintf("svc/%06d", i%benchRecords)
			i++
			err := s.View(ctx, func(tx store.Tx) error {
				_, err := tx.Get("bench", key)
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("PutCommit", func(b *testing.B) {
		s := open(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			key := fmt.Sprintf("svc/%06d", i%benchRecords)
			i++
			if err := s.Update(ctx, func(tx store.Tx) error { return tx.Put("bench", key, value) }); err != nil {
				b.Fatal(err)
			}
		}
	})

	// Many writers at once, as when a hundred deployments' hooks answer
	// together: each commit on its own, then through store.Batch, which
	// shares commits on a backend that is a store.Batcher.
	for _, mode := range []string{"Update", "Batch"} {
		b.Run("PutCommitConcurrent/"+mode, func(b *testing.B) {
			s := open(b)
			b.ReportAllocs()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					key := fmt.Sprintf("svc/%06d", i%benchRecords)
					i++
					put := func(tx store.Tx) error { return tx.Put("bench", key, value) }
					var err error
					if mode == "Batch" {
						err = store.Batch(ctx, s, put)
					} else {
						err = s.Update(ctx, put)
					}
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}

	b.Run(fmt.Sprintf("Scan%d", benchRecords), func(b *testing.B) {
		s := filled(b)
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			err := s.View(ctx, func(tx store.Tx) error {
				return tx.Scan("bench", "svc/", "", func(string, []byte) error { n++; return nil })
			})
			if err != nil || n != benchRecords {
				b.Fatalf("scanned %d records: %v", n, err)
			}
		}
	})
}
