package lbmetrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/metrics"
)

// Source reads the data plane's traffic counters.
type Source interface {
	// Metrics returns the counters of every load balancer and target
	// group the data plane serves, cumulative since
	// lb.Metrics.StartedAt. An error means the data plane did not
	// answer; calling again is harmless.
	Metrics(ctx context.Context) (lb.Metrics, error)
}

var _ Source = (*lb.Client)(nil)

// DefaultTimeout bounds one read of the Source.
const DefaultTimeout = 5 * time.Second

// Config configures a Collector.
type Config struct {
	// Source is where the counters are read; required.
	Source Source
	// Store receives the metrics; required.
	Store *metrics.Store
	// Interval is the time between reads; zero means the Store's
	// resolution.
	Interval time.Duration
	// Logger receives the Collector's logs; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Collector reads the data plane's counters periodically and adds them
// to a metrics.Store as ELBv2's CloudWatch metrics. Create it with New;
// its methods are safe for concurrent use.
type Collector struct {
	src      Source
	store    *metrics.Store
	interval time.Duration
	log      *slog.Logger
	now      func() time.Time
	started  time.Time

	// pollMu serializes Poll: each read is compared with the one before.
	pollMu sync.Mutex
	mu     sync.Mutex // guards the fields below
	last   *lb.Metrics
	lastAt time.Time // collector's clock at last
	up     bool
}

// New returns a Collector; call Run to start it.
func New(cfg Config) (*Collector, error) {
	if cfg.Source == nil || cfg.Store == nil {
		return nil, errors.New("lbmetrics: a Source and a Store are required")
	}
	c := &Collector{src: cfg.Source, store: cfg.Store, interval: cfg.Interval, log: cfg.Logger, now: cfg.Now}
	if c.interval <= 0 {
		c.interval = cfg.Store.Resolution()
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.started = c.now()
	return c, nil
}

// Interval is the time between reads.
func (c *Collector) Interval() time.Duration { return c.interval }

// Run reads the counters at every multiple of the interval until ctx
// ends. Read errors are logged when the data plane stops answering and
// when it answers again.
func (c *Collector) Run(ctx context.Context) {
	for {
		now := time.Now()
		wait := now.Truncate(c.interval).Add(c.interval).Sub(now)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		_ = c.Poll(ctx)
	}
}

// Poll reads the counters once and records what changed since the
// previous read. Its error says why the Source did not answer; the
// Collector then records nothing, and the next read covers both
// intervals.
func (c *Collector) Poll(ctx context.Context) error {
	c.pollMu.Lock()
	defer c.pollMu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, min(c.interval, DefaultTimeout))
	defer cancel()
	m, err := c.src.Metrics(ctx)
	now := c.now()

	c.mu.Lock()
	wasUp, prev, prevAt := c.up, c.last, c.lastAt
	c.up = err == nil
	if err == nil {
		c.last, c.lastAt = &m, now
	}
	c.mu.Unlock()

	if err != nil {
		if wasUp {
			c.log.Warn("load balancer metrics unavailable", "error", err)
		} else {
			c.log.Debug("load balancer metrics unavailable", "error", err)
		}
		return fmt.Errorf("read load balancer metrics: %w", err)
	}
	if !wasUp && prev != nil {
		c.log.Info("load balancer metrics available again")
	}
	span := c.interval
	if prev != nil {
		span = now.Sub(prevAt)
	}
	// Counts need a base: the previous read, or zero for a data plane
	// that started after the Collector.
	withCounts := prev != nil || m.StartedAt.After(c.started)
	record(c.store, prev, m, now.Add(-span/2), withCounts)
	return nil
}

// Last returns the counters read last, and whether the last read
// succeeded.
func (c *Collector) Last() (m lb.Metrics, up bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		return lb.Metrics{}, false
	}
	return *c.last, c.up
}
