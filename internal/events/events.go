package events

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Defaults of Config.
const (
	DefaultRetention    = 24 * time.Hour
	DefaultMaxRetention = 7 * 24 * time.Hour
	DefaultPollInterval = 200 * time.Millisecond
)

// Config configures event delivery.
type Config struct {
	// Store holds the event log and the sinks' cursors.
	Store store.Store
	// Logger receives delivery failures; nil discards them.
	Logger *slog.Logger
	// Sinks are the webhooks every event is posted to.
	Sinks []Sink
	// Retention: events older than this are pruned once every sink has
	// them (default 24h). MaxRetention: events older than this are pruned
	// even if a sink has yet to receive them (default 7 days).
	Retention, MaxRetention time.Duration
	// PollInterval is how often the log is checked for new events
	// (default 200ms).
	PollInterval time.Duration
}

// Sink is a webhook that receives every event (or only those of some
// detail types), at least once and in order. A sink's progress is kept in
// the store under its name: a sink that is new (or renamed) starts at the
// oldest event still retained, and one that is removed from the
// configuration no longer holds events back from pruning.
type Sink struct {
	// Name is unique among sinks; it names the persisted cursor.
	Name string
	// URL is where events are POSTed (http or https).
	URL string
	// Secret is the key of the requests' HMAC signature (see package
	// signature).
	Secret []byte
	// DetailTypes limits the sink to events of these detail types; empty
	// means all.
	DetailTypes []string
	// Deliver, when set, handles each event in place of a POST to URL:
	// it gets the event's sequence number and envelope (which it must
	// not keep), and an error has the event retried with backoff. It is
	// how the approval notifications follow the log.
	Deliver func(ctx context.Context, seq uint64, envelope []byte) error
}

// wants reports whether the sink receives events of detailType.
func (s *Sink) wants(detailType string) bool {
	return len(s.DetailTypes) == 0 || slices.Contains(s.DetailTypes, detailType)
}

// Events follows the event log: it streams it to SSE clients, delivers
// it to webhook sinks and prunes it. Create it with New and start it
// with Run; ServeHTTP only sees new events while Run runs.
type Events struct {
	st                      store.Store
	log                     *slog.Logger
	sinks                   []Sink
	retention, maxRetention time.Duration
	pollInterval            time.Duration

	// Tunables that tests shorten.
	pruneInterval           time.Duration
	backoffBase, backoffMax time.Duration
	keepalive               time.Duration
	client                  *http.Client

	mu      sync.Mutex
	head    uint64        // newest event seen in the log
	changed chan struct{} // closed, and replaced, when head advances

	stopped  chan struct{} // closed when Run's context is done
	stopOnce sync.Once
}

// Delivery and pruning parameters.
const (
	defaultPruneInterval = time.Minute
	defaultBackoffBase   = time.Second
	defaultBackoffMax    = 5 * time.Minute
	defaultKeepalive     = 15 * time.Second
	webhookTimeout       = 10 * time.Second
	// batchSize is how many events a consumer reads per transaction.
	batchSize = 256
	// pruneBatch is how many events one pruning transaction deletes at most.
	pruneBatch = 10000
)

// New checks cfg and returns an Events that starts following the log at
// its current end.
func New(cfg Config) (*Events, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: no store", ErrInvalidConfig)
	}
	seen := map[string]bool{}
	for _, s := range cfg.Sinks {
		if s.Name == "" {
			return nil, fmt.Errorf("%w: a sink has no name", ErrInvalidConfig)
		}
		if seen[s.Name] {
			return nil, fmt.Errorf("%w: two sinks are named %q", ErrInvalidConfig, s.Name)
		}
		seen[s.Name] = true
		if s.Deliver != nil {
			continue
		}
		u, err := url.Parse(s.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("%w: sink %q: URL %q is not an http or https URL", ErrInvalidConfig, s.Name, s.URL)
		}
	}
	e := &Events{
		st:            cfg.Store,
		log:           cfg.Logger,
		sinks:         slices.Clone(cfg.Sinks),
		retention:     orDefault(cfg.Retention, DefaultRetention),
		maxRetention:  orDefault(cfg.MaxRetention, DefaultMaxRetention),
		pollInterval:  orDefault(cfg.PollInterval, DefaultPollInterval),
		pruneInterval: defaultPruneInterval,
		backoffBase:   defaultBackoffBase,
		backoffMax:    defaultBackoffMax,
		keepalive:     defaultKeepalive,
		client:        &http.Client{Timeout: webhookTimeout},
		changed:       make(chan struct{}),
		stopped:       make(chan struct{}),
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	err := state.View(context.Background(), e.st, func(tx state.Tx) (err error) {
		e.head, err = tx.LastEventSeq()
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("start events: %w", err)
	}
	return e, nil
}

// orDefault returns d, or def when d is not positive.
func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Run follows the log for the SSE streams until ctx is done; then it
// ends the streams. Run must be called at most once. Deliver does the
// rest.
func (e *Events) Run(ctx context.Context) {
	e.watch(ctx)
	e.stopOnce.Do(func() { close(e.stopped) })
}

// Deliver delivers events to the sinks and prunes the log until ctx is
// done, while Run runs, and returns once every sink worker has stopped.
// It writes to the store, so of several servers on one store only the
// leader runs it; it may run again, each time the server leads, and
// resumes at the sinks' stored cursors.
func (e *Events) Deliver(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range e.sinks {
		wg.Go(func() { e.deliver(ctx, &e.sinks[i]) })
	}
	wg.Go(func() { e.pruneLoop(ctx) })
	wg.Wait()
}

// watch looks for new events every poll interval and wakes the
// consumers waiting for them.
func (e *Events) watch(ctx context.Context) {
	t := time.NewTicker(e.pollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.poll(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("look for new events", "err", err)
			}
		}
	}
}

// poll reads the newest event's sequence number from the log, wakes the
// consumers if it advanced, and returns it.
func (e *Events) poll(ctx context.Context) (uint64, error) {
	head, _ := e.current()
	last := head
	err := state.View(ctx, e.st, func(tx state.Tx) error {
		return tx.Events(head, func(seq uint64, _ []byte) error {
			last = seq
			return nil
		})
	})
	if err != nil {
		return head, fmt.Errorf("read the event log: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if last > e.head {
		e.head = last
		close(e.changed)
		e.changed = make(chan struct{})
	}
	return e.head, nil
}

// current returns the newest event seen and a channel closed when a
// newer one is seen. Consumers take the channel before reading the log,
// so that no event slips between their read and their wait.
func (e *Events) current() (uint64, <-chan struct{}) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.head, e.changed
}

// record is an event read from the log, with what consumers filter on.
type record struct {
	seq uint64
	env []byte
	state.Event
	// detail holds the detail fields the resource filter looks at.
	detail struct {
		ServiceArn string `json:"serviceArn"`
		ClusterArn string `json:"clusterArn"`
		Group      string `json:"group"`
	}
}

// read returns up to limit events after seq `after`.
func (e *Events) read(ctx context.Context, after uint64, limit int) ([]record, error) {
	var out []record
	err := state.View(ctx, e.st, func(tx state.Tx) error {
		return tx.Events(after, func(seq uint64, env []byte) error {
			r := record{seq: seq, env: append([]byte(nil), env...)}
			if err := json.Unmarshal(r.env, &r.Event); err != nil {
				// Delivered as it is; it matches no filter.
				e.log.Error("decode event", "seq", seq, "err", err)
			} else if len(r.Detail) > 0 {
				_ = json.Unmarshal(r.Detail, &r.detail) // a detail that is not an object has none of these fields
			}
			out = append(out, r)
			if len(out) == limit {
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("read events after %d: %w", after, err)
	}
	return out, nil
}

// sleep waits for d, or until ctx is done; it reports whether ctx is
// still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
