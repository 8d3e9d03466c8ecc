package alarms

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// errNoPrometheus is the query error of a PromQL alarm on a server
// without a Prometheus URL.
var errNoPrometheus = errors.New("no Prometheus server is configured (prometheus.url in the config file)")

// points reads the datapoints of spec's window [start, end).
func (e *Evaluator) points(ctx context.Context, spec Spec, start, end time.Time) ([]Point, error) {
	if spec.PromQL != "" {
		return PromQLPoints(ctx, e.promql, spec.PromQL, start, end, spec.Period)
	}
	var out []Point
	for _, dp := range e.metrics.Query(spec.Namespace, spec.MetricName, spec.Dimensions, start, end, spec.Period) {
		if spec.Unit != "" && dp.Unit != spec.Unit {
			continue
		}
		out = append(out, Point{Start: dp.Timestamp, Value: StatValue(dp.Stats, spec.Statistic), SampleCount: dp.SampleCount})
	}
	return out, nil
}

// PromQLPoints runs query over the periods of [start, end): the value of
// the period from t is the query evaluated at its end, t+period (a
// rate(x[1m]) at the end of a minute covers that minute). The query must
// give at most one series; none leaves every period missing. A nil q is
// an error: no Prometheus server is configured.
func PromQLPoints(ctx context.Context, q PromQL, query string, start, end time.Time, period time.Duration) ([]Point, error) {
	if q == nil {
		return nil, errNoPrometheus
	}
	ctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	series, err := q.QueryRange(ctx, query, start.Add(period), end, period)
	if err != nil {
		return nil, err
	}
	switch len(series) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("the PromQL query returned %d series; an alarm needs one (aggregate them, for example with sum())", len(series))
	}
	var out []Point
	for _, s := range series[0].Samples {
		ps := s.Time.Add(-period)
		if ps.Before(start) || !ps.Before(end) {
			continue
		}
		out = append(out, Point{Start: ps, Value: s.Value})
	}
	return out, nil
}
