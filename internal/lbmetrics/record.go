package lbmetrics

import (
	"math"
	"time"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/metrics"
)

// countMetrics are the count metrics of a set of counters.
var countMetrics = []struct {
	name string
	get  func(*lb.Counters) uint64
}{
	{RequestCount, func(c *lb.Counters) uint64 { return c.Requests }},
	{HTTPCodeTarget2XXCount, func(c *lb.Counters) uint64 { return c.Target2xx }},
	{HTTPCodeTarget3XXCount, func(c *lb.Counters) uint64 { return c.Target3xx }},
	{HTTPCodeTarget4XXCount, func(c *lb.Counters) uint64 { return c.Target4xx }},
	{HTTPCodeTarget5XXCount, func(c *lb.Counters) uint64 { return c.Target5xx }},
	{HTTPCodeELB4XXCount, func(c *lb.Counters) uint64 { return c.ELB4xx }},
	{HTTPCodeELB5XXCount, func(c *lb.Counters) uint64 { return c.ELB5xx }},
	{HTTPCodeELB502Count, func(c *lb.Counters) uint64 { return c.ELB502 }},
	{HTTPCodeELB503Count, func(c *lb.Counters) uint64 { return c.ELB503 }},
	{HTTPCodeELB504Count, func(c *lb.Counters) uint64 { return c.ELB504 }},
	{TargetConnectionErrorCount, func(c *lb.Counters) uint64 { return c.TargetConnectionErrors }},
}

// fields lists every cumulative counter of c.
func fields(c *lb.Counters) []*uint64 {
	return []*uint64{&c.Requests, &c.Target2xx, &c.Target3xx, &c.Target4xx, &c.Target5xx,
		&c.ELB4xx, &c.ELB5xx, &c.ELB502, &c.ELB503, &c.ELB504, &c.TargetConnectionErrors,
		&c.TargetResponses, &c.TargetResponseTimeNanos}
}

// delta returns what cur counted since base: cur itself when base is
// nil or when any counter went down (they restarted from zero).
func delta(base *lb.Counters, cur lb.Counters) lb.Counters {
	cur.ResponseTimeExtremes = nil
	if base == nil || decreased(base, &cur) {
		return cur
	}
	b := *base
	out, from := fields(&cur), fields(&b)
	for i := range out {
		*out[i] -= *from[i]
	}
	return cur
}

// decreased reports whether any counter of cur is below base's.
func decreased(base, cur *lb.Counters) bool {
	b, c := *base, *cur
	from, to := fields(&b), fields(&c)
	for i := range to {
		if *to[i] < *from[i] {
			return true
		}
	}
	return false
}

// lbDelta is delta for a load balancer, with its fixed responses.
func lbDelta(prev *lb.LoadBalancerMetrics, cur lb.LoadBalancerMetrics) (lb.Counters, uint64) {
	if prev == nil || cur.FixedResponses < prev.FixedResponses || decreased(&prev.Counters, &cur.Counters) {
		return delta(nil, cur.Counters), cur.FixedResponses
	}
	return delta(&prev.Counters, cur.Counters), cur.FixedResponses - prev.FixedResponses
}

// responseTime returns the TargetResponseTime sample of d, the
// counters' change over the interval, with the extremes of ext in the
// seconds [from, to); false when there was no response. Minimum and
// Maximum fall back on, and are bounded by, the average: the extremes
// of the last partial second come with the next interval.
func responseTime(d lb.Counters, ext []lb.Extremes, from, to int64) (metrics.Stats, bool) {
	if d.TargetResponses == 0 {
		return metrics.Stats{}, false
	}
	n := float64(d.TargetResponses)
	sum := float64(d.TargetResponseTimeNanos) / float64(time.Second)
	avg := sum / n
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, e := range ext {
		if e.Second >= from && e.Second < to {
			lo = math.Min(lo, float64(e.MinNanos)/float64(time.Second))
			hi = math.Max(hi, float64(e.MaxNanos)/float64(time.Second))
		}
	}
	return metrics.Stats{SampleCount: n, Sum: sum, Minimum: math.Min(lo, avg), Maximum: math.Max(hi, avg)}, true
}

// record adds to st, at ts, the metrics of the interval from prev (nil
// for none) to cur: the counts only when withCounts, the host counts
// always.
func record(st *metrics.Store, prev *lb.Metrics, cur lb.Metrics, ts time.Time, withCounts bool) {
	restarted := prev == nil || !prev.StartedAt.Equal(cur.StartedAt)
	from, to := cur.StartedAt.Unix(), cur.Time.Unix()
	if !restarted {
		from = prev.Time.Unix()
	}
	add := func(name, unit string, lbARN, tgARN string, s metrics.Stats) {
		st.Add(Namespace, name, unit, Dimensions(lbARN, tgARN), ts, s)
	}
	addCounts := func(lbARN, tgARN string, d lb.Counters, ext []lb.Extremes) {
		for _, m := range countMetrics {
			add(m.name, UnitCount, lbARN, tgARN, metrics.Value(float64(m.get(&d))))
		}
		if rt, ok := responseTime(d, ext, from, to); ok {
			add(TargetResponseTime, UnitSeconds, lbARN, tgARN, rt)
		}
	}
	for _, l := range cur.LoadBalancers {
		var pl *lb.LoadBalancerMetrics
		if !restarted {
			pl = findLB(prev, l.ARN)
		}
		if withCounts {
			d, fixed := lbDelta(pl, l)
			addCounts(l.ARN, "", d, l.ResponseTimeExtremes)
			add(HTTPFixedResponseCount, UnitCount, l.ARN, "", metrics.Value(float64(fixed)))
		}
		for _, g := range l.TargetGroups {
			if withCounts {
				var base *lb.Counters
				if pl != nil {
					if pg := findGroup(pl, g.ARN); pg != nil {
						base = &pg.Counters
					}
				}
				d := delta(base, g.Counters)
				addCounts(l.ARN, g.ARN, d, g.ResponseTimeExtremes)
				addCounts("", g.ARN, d, g.ResponseTimeExtremes)
			}
			add(HealthyHostCount, UnitCount, l.ARN, g.ARN, metrics.Value(float64(g.HealthyHosts)))
			add(UnHealthyHostCount, UnitCount, l.ARN, g.ARN, metrics.Value(float64(g.UnhealthyHosts)))
		}
	}
}

func findLB(m *lb.Metrics, arn string) *lb.LoadBalancerMetrics {
	for i := range m.LoadBalancers {
		if m.LoadBalancers[i].ARN == arn {
			return &m.LoadBalancers[i]
		}
	}
	return nil
}

func findGroup(l *lb.LoadBalancerMetrics, arn string) *lb.TargetGroupMetrics {
	for i := range l.TargetGroups {
		if l.TargetGroups[i].ARN == arn {
			return &l.TargetGroups[i]
		}
	}
	return nil
}
