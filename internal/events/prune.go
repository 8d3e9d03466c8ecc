package events

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// pruneLoop prunes the log every prune interval until ctx is done.
func (e *Events) pruneLoop(ctx context.Context) {
	t := time.NewTicker(e.pruneInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := e.prune(ctx, time.Now())
			switch {
			case err != nil && ctx.Err() == nil:
				e.log.Warn("prune events", "err", err)
			case n > 0:
				e.log.Debug("pruned events", "count", n)
			}
		}
	}
}

// prune deletes, as of now, the events that every sink has and that are
// older than the retention, and those older than the maximum retention
// whether sinks have them or not. It returns how many it deleted.
func (e *Events) prune(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		upTo, more, err := e.prunable(ctx, now)
		if err != nil || upTo == 0 {
			return total, err
		}
		var n int
		err = state.Update(ctx, e.st, func(tx state.Tx) (err error) {
			n, err = tx.DeleteEvents(upTo)
			return err
		})
		total += n
		if err != nil {
			return total, fmt.Errorf("prune events up to %d: %w", upTo, err)
		}
		if !more {
			return total, nil
		}
	}
}

// prunable returns the newest of the oldest events that may be pruned
// (0 for none), looking at pruneBatch events at most; more says whether
// it stopped because of that limit.
func (e *Events) prunable(ctx context.Context, now time.Time) (upTo uint64, more bool, err error) {
	keep, keepAll := now.Add(-e.retention), now.Add(-e.maxRetention)
	err = state.View(ctx, e.st, func(tx state.Tx) error {
		delivered := uint64(math.MaxUint64)
		for i := range e.sinks {
			c, err := tx.EventCursor(e.sinks[i].Name)
			if err != nil {
				return err
			}
			delivered = min(delivered, c)
		}
		n := 0
		return tx.Events(0, func(seq uint64, env []byte) error {
			t := eventTime(env)
			if !t.Before(keepAll) && (seq > delivered || !t.Before(keep)) {
				return store.ErrStop
			}
			upTo = seq
			if n++; n == pruneBatch {
				more = true
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil {
		return 0, false, fmt.Errorf("find events to prune: %w", err)
	}
	return upTo, more, nil
}

// eventTime returns when an event was written. An event that cannot be
// decoded counts as written long ago, so that it is pruned.
func eventTime(env []byte) time.Time {
	var ev struct {
		Time time.Time `json:"time"`
	}
	if err := json.Unmarshal(env, &ev); err != nil {
		return time.Time{}
	}
	return ev.Time
}
