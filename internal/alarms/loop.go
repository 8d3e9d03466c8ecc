package alarms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/prometheus"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Defaults of the evaluation loop.
const (
	// DefaultInterval is how often every alarm is evaluated.
	DefaultInterval = 10 * time.Second
	// DefaultLag is how long after its end a period counts as complete:
	// the metrics collector reports a sample every 10 s.
	DefaultLag = 10 * time.Second
	// queryTimeout bounds one PromQL query.
	queryTimeout = 10 * time.Second
	// pruneEvery is how often history older than the retention is
	// dropped.
	pruneEvery = time.Hour
)

// Metrics reads aggregated datapoints of one series; *metrics.Store
// implements it.
type Metrics interface {
	// Query aggregates the series named exactly by namespace, name and
	// dims into one datapoint per period over [start, end), periods
	// aligned on start, leaving out periods without samples. It never
	// fails.
	Query(namespace, name string, dims []metrics.Dimension, start, end time.Time, period time.Duration) []metrics.Datapoint
}

// PromQL runs PromQL range queries; *prometheus.Client implements it.
type PromQL interface {
	// QueryRange evaluates query at start, start+step, ... up to end. Its
	// errors mean the query could not be answered.
	QueryRange(ctx context.Context, query string, start, end time.Time, step time.Duration) ([]prometheus.Series, error)
}

var (
	_ Metrics = (*metrics.Store)(nil)
	_ PromQL  = (*prometheus.Client)(nil)
)

// Config configures an Evaluator.
type Config struct {
	Store store.Store
	// Metrics is where metric alarms read their datapoints.
	Metrics Metrics
	// PromQL answers alarms on promql: expressions; nil when no
	// Prometheus server is configured (such alarms then have
	// INSUFFICIENT_DATA).
	PromQL PromQL
	// Interval is how often every alarm is evaluated (zero:
	// DefaultInterval); Lag how long after its end a period is complete
	// (zero: DefaultLag).
	Interval time.Duration
	Lag      time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Changed, when set, is called after a pass changed the state of an
	// alarm, once its transaction has committed. It must not block.
	Changed func()
	Logger  *slog.Logger
}

// Evaluator evaluates every alarm at a regular interval and persists the
// state changes, each with its history item in one transaction. Create it
// with New and run it with Run.
type Evaluator struct {
	store    store.Store
	metrics  Metrics
	promql   PromQL
	interval time.Duration
	lag      time.Duration
	now      func() time.Time
	changed  func()
	log      *slog.Logger
	wake     chan struct{}
}

// New returns an Evaluator.
func New(cfg Config) *Evaluator {
	e := &Evaluator{
		store: cfg.Store, metrics: cfg.Metrics, promql: cfg.PromQL, interval: cfg.Interval, lag: cfg.Lag,
		now: cfg.Now, changed: cfg.Changed, log: cfg.Logger, wake: make(chan struct{}, 1),
	}
	if e.interval <= 0 {
		e.interval = DefaultInterval
	}
	if e.lag <= 0 {
		e.lag = DefaultLag
	}
	if e.now == nil {
		e.now = time.Now
	}
	if e.changed == nil {
		e.changed = func() {}
	}
	if e.log == nil {
		e.log = slog.New(slog.DiscardHandler)
	}
	return e
}

// Wake asks for a pass now (after an alarm was created or changed). It
// never blocks.
func (e *Evaluator) Wake() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Run evaluates every alarm each interval (and when woken) until ctx is
// done, and drops history older than state.AlarmHistoryRetention every
// hour.
func (e *Evaluator) Run(ctx context.Context) {
	ticker := time.NewTicker(e.interval)
	defer ticker.Stop()
	var pruned time.Time
	for {
		if now := e.now(); now.Sub(pruned) >= pruneEvery {
			pruned = now
			if err := e.Prune(ctx); err != nil && ctx.Err() == nil {
				e.log.Warn("prune alarm history", "err", err)
			}
		}
		if _, err := e.Pass(ctx); err != nil && ctx.Err() == nil {
			e.log.Warn("evaluate alarms", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		case <-e.wake:
		}
	}
}

// Prune drops history items older than state.AlarmHistoryRetention.
func (e *Evaluator) Prune(ctx context.Context) error {
	before := e.now().Add(-state.AlarmHistoryRetention)
	return state.Update(ctx, e.store, func(tx state.Tx) error {
		_, err := tx.PruneAlarmHistory(before)
		return err
	})
}

// Pass evaluates every alarm once and persists the changes. It returns
// how many alarms changed state. An alarm that changed while it was
// evaluated (SetAlarmState, PutMetricAlarm, DeleteAlarms) is left for the
// next pass.
func (e *Evaluator) Pass(ctx context.Context) (int, error) {
	var list []*state.Alarm
	err := state.View(ctx, e.store, func(tx state.Tx) error {
		return tx.Alarms("", "", func(a *state.Alarm) error {
			list = append(list, a)
			return nil
		})
	})
	if err != nil {
		return 0, fmt.Errorf("list alarms: %w", err)
	}
	changed := 0
	var errs []error
	for _, a := range list {
		ok, err := e.evaluate(ctx, a)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			changed++
		}
	}
	if changed > 0 {
		e.changed()
	}
	return changed, errors.Join(errs...)
}

// evaluate evaluates one alarm and stores its new state if it changed.
func (e *Evaluator) evaluate(ctx context.Context, a *state.Alarm) (bool, error) {
	log := e.log.With("alarm", a.AlarmName)
	spec, err := SpecOf(&a.MetricAlarm)
	if err != nil {
		log.Debug("alarm cannot be evaluated", "err", err)
		return false, nil
	}
	now := e.now()
	start, end := WindowAt(spec, now, e.lag)
	points, qerr := e.points(ctx, spec, start, end)
	if qerr != nil {
		// Not a warning: it repeats every pass while the query fails; the
		// alarm's move to INSUFFICIENT_DATA is logged, with the reason.
		log.Debug("read alarm datapoints", "err", qerr)
	}
	r := Evaluate(Input{Spec: spec, State: a.StateValue, Now: now, Start: start, Points: points, Err: qerr})
	if r.State == a.StateValue {
		return false, nil
	}
	done := false
	err = state.Update(ctx, e.store, func(tx state.Tx) error {
		cur, err := tx.Alarm(a.AlarmName)
		if errors.Is(err, store.ErrNotFound) {
			return nil // deleted meanwhile
		}
		if err != nil {
			return err
		}
		if !sameTime(cur.StateUpdatedTimestamp, a.StateUpdatedTimestamp) ||
			!sameTime(cur.AlarmConfigurationUpdatedTimestamp, a.AlarmConfigurationUpdatedTimestamp) {
			return nil // changed meanwhile: the next pass sees it
		}
		done = true
		return SetState(tx, cur, r.State, r.Reason, r.ReasonData, now)
	})
	if err != nil {
		return false, fmt.Errorf("alarm %q: %w", a.AlarmName, err)
	}
	if done {
		log.Info("alarm state changed", "from", a.StateValue, "to", r.State, "reason", r.Reason)
	}
	return done, nil
}

// sameTime reports whether two optional timestamps are equal.
func sameTime(a, b *cloudwatch.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(b.Time)
}
