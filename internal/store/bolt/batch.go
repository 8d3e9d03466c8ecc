package bolt

import (
	"context"
	"errors"

	"github.com/cutover/cutover/internal/store"
)

var _ store.Batcher = (*Store)(nil)

// A batch is group commit without a delay: the first caller to find no
// commit under way leads, running every call queued so far in one
// transaction; the calls that arrive meanwhile queue up and form the
// next batch, which a queued caller leads once its predecessor is done.
// A lone call therefore commits at once, and under load each commit
// (each fsync) carries every write that waited for it. bbolt's own
// DB.Batch waits for a timer to fill a batch instead.

// batchCall is one Batch call waiting for its batch.
type batchCall struct {
	ctx  context.Context
	fn   func(store.Tx) error
	done chan error
}

// errCallFailed marks the call of a batch whose fn failed: the batch is
// rolled back and run again without it.
var errCallFailed = errors.New("a call of the batch failed")

// Batch implements store.Batcher.
func (s *Store) Batch(ctx context.Context, fn func(store.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &batchCall{ctx: ctx, fn: fn, done: make(chan error, 1)}
	s.bmu.Lock()
	s.queue = append(s.queue, c)
	lead := !s.leading
	s.leading = true
	s.bmu.Unlock()
	if lead {
		s.lead()
	}
	return <-c.done
}

// lead runs the queued calls as one batch, then hands the lead to a new
// goroutine if more calls queued meanwhile, so that the caller that led
// is not kept waiting on other callers' batches.
func (s *Store) lead() {
	s.bmu.Lock()
	calls := s.queue
	s.queue = nil
	s.bmu.Unlock()
	s.runBatch(calls)
	s.bmu.Lock()
	defer s.bmu.Unlock()
	if len(s.queue) == 0 {
		s.leading = false
		return
	}
	go s.lead()
}

// runBatch runs calls in one write transaction and answers each. A call
// whose fn fails is run again alone, for its own error, and the others
// are run again without it.
func (s *Store) runBatch(calls []*batchCall) {
	for len(calls) > 0 {
		if len(calls) == 1 {
			c := calls[0]
			c.done <- s.Update(c.ctx, c.fn)
			return
		}
		failed := -1
		err := s.Update(context.Background(), func(tx store.Tx) error {
			for i, c := range calls {
				if err := c.ctx.Err(); err != nil {
					failed = i
					return errCallFailed
				}
				if err := c.fn(tx); err != nil {
					failed = i
					return errCallFailed
				}
			}
			return nil
		})
		if failed < 0 {
			for _, c := range calls {
				c.done <- err // nil, or the commit's error for every call
			}
			return
		}
		c := calls[failed]
		c.done <- s.Update(c.ctx, c.fn)
		calls = append(calls[:failed:failed], calls[failed+1:]...)
	}
}
