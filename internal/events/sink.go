package events

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/signature"
	"github.com/cutover/cutover/internal/state"
)

// EventIDHeader carries an event's sequence number in webhook requests:
// receivers use it to drop the duplicates at-least-once delivery allows.
const EventIDHeader = "X-Cutover-Event-Id"

// deliver posts the events to sink s, in order, until ctx is done. An
// event is retried until the sink accepts it; the sink's cursor is
// persisted after each accepted event (and after skipped ones), so a
// restart delivers again at most the event that was in flight.
func (e *Events) deliver(ctx context.Context, s *Sink) {
	log := e.log.With("sink", s.Name)
	// Persisting the cursor must not be cut short by shutdown: an event
	// acknowledged just before would be delivered again.
	persist := context.WithoutCancel(ctx)

	var cursor uint64
	for attempt := 1; ; attempt++ {
		err := state.View(ctx, e.st, func(tx state.Tx) (err error) {
			cursor, err = tx.EventCursor(s.Name)
			return err
		})
		if err == nil {
			break
		}
		log.Error("read sink cursor", "err", err)
		if !sleep(ctx, e.backoff(attempt)) {
			return
		}
	}
	save := func(seq uint64) {
		err := state.Update(persist, e.st, func(tx state.Tx) error { return tx.PutEventCursor(s.Name, seq) })
		if err != nil {
			// Only costs duplicates after a restart; the next save fixes it.
			log.Error("save sink cursor", "seq", seq, "err", err)
		}
	}

	for ctx.Err() == nil {
		_, changed := e.current()
		batch, err := e.read(ctx, cursor, batchSize)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("read events", "err", err)
			}
			sleep(ctx, e.pollInterval)
			continue
		}
		skipped := false
		for i := range batch {
			r := &batch[i]
			if !s.wants(r.DetailType) {
				cursor, skipped = r.seq, true
				continue
			}
			if !e.send(ctx, log, s, r) {
				break // ctx is done
			}
			cursor, skipped = r.seq, false
			save(cursor)
		}
		if skipped {
			save(cursor)
		}
		if len(batch) == batchSize {
			continue
		}
		select {
		case <-ctx.Done():
		case <-changed:
		}
	}
}

// send posts r to s until s accepts it, backing off between attempts.
// It returns false if ctx ends first.
func (e *Events) send(ctx context.Context, log *slog.Logger, s *Sink, r *record) bool {
	for attempt := 1; ; attempt++ {
		err := e.post(ctx, s, r)
		if err == nil {
			if attempt > 1 {
				log.Info("event delivered after retries", "seq", r.seq, "attempts", attempt)
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		wait := e.backoff(attempt)
		log.Warn("event delivery failed", "seq", r.seq, "attempt", attempt, "retryIn", wait, "err", err)
		if !sleep(ctx, wait) {
			return false
		}
	}
}

// backoff is the wait after the attempt-th failure: the base, doubling
// each time, up to the maximum.
func (e *Events) backoff(attempt int) time.Duration {
	d := e.backoffBase
	for range attempt - 1 {
		if d >= e.backoffMax/2 {
			return e.backoffMax
		}
		d *= 2
	}
	return min(d, e.backoffMax)
}

// post sends r to s once; any answer but a 2xx is an error.
func (e *Events) post(ctx context.Context, s *Sink, r *record) error {
	if s.Deliver != nil {
		return s.Deliver(ctx, r.seq, r.env)
	}
	return Post(ctx, e.client, s.URL, "cutover-events", s.Secret, r.seq, r.env)
}

// Post sends body, the message of event seq, to a webhook at url once:
// a JSON POST signed with secret (package signature), the event's
// sequence number in EventIDHeader. Any answer but a 2xx is an error.
func Post(ctx context.Context, c *http.Client, url, userAgent string, secret []byte, seq uint64, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set(EventIDHeader, strconv.FormatUint(seq, 10))
	signature.SetHeaders(req.Header, secret, body, time.Now())
	resp, err := c.Do(req)
	if err != nil {
		return err // already names the method and URL
	}
	defer resp.Body.Close()
	reply, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("POST %s: %s: %q", url, resp.Status, bytes.TrimSpace(reply))
	}
	return nil
}
