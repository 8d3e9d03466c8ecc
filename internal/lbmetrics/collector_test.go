package lbmetrics

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/testclock"
)

const (
	arnPrefix = "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
	lbARN     = arnPrefix + "loadbalancer/app/web/50dc6c495c0c9188"
	blueARN   = arnPrefix + "targetgroup/blue/73e2d6bc24d8a067"
	greenARN  = arnPrefix + "targetgroup/green/73e2d6bc24d8a068"
	lbDim     = "app/web/50dc6c495c0c9188"
	blueDim   = "targetgroup/blue/73e2d6bc24d8a067"
)

func TestDimensions(t *testing.T) {
	for _, c := range []struct{ in, lb, tg string }{
		{lbARN, lbDim, lbARN},
		{blueARN, blueARN, blueDim},
		{"arn:aws-cn:elasticloadbalancing:cn-north-1:1:loadbalancer/app/a/b", "app/a/b", "arn:aws-cn:elasticloadbalancing:cn-north-1:1:loadbalancer/app/a/b"},
		{"listener/app", "listener/app", "listener/app"},
		{"arn:aws:ecs:us-east-1:1:targetgroup/x/y", "arn:aws:ecs:us-east-1:1:targetgroup/x/y", "arn:aws:ecs:us-east-1:1:targetgroup/x/y"},
	} {
		if got := LoadBalancerDimension(c.in); got != c.lb {
			t.Errorf("LoadBalancerDimension(%q) = %q, want %q", c.in, got, c.lb)
		}
		if got := TargetGroupDimension(c.in); got != c.tg {
			t.Errorf("TargetGroupDimension(%q) = %q, want %q", c.in, got, c.tg)
		}
	}
	got := Dimensions(lbARN, blueARN)
	if len(got) != 2 || got[0] != (metrics.Dimension{Name: "LoadBalancer", Value: lbDim}) ||
		got[1] != (metrics.Dimension{Name: "TargetGroup", Value: blueDim}) {
		t.Errorf("Dimensions = %+v", got)
	}
	if got := Dimensions("", blueARN); len(got) != 1 || got[0].Name != "TargetGroup" {
		t.Errorf("Dimensions without load balancer = %+v", got)
	}
}

// fakeSource returns the snapshot or error set last.
type fakeSource struct {
	mu    sync.Mutex
	m     lb.Metrics
	err   error
	calls int
}

func (f *fakeSource) set(m lb.Metrics, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m, f.err = m, err
}

func (f *fakeSource) Metrics(context.Context) (lb.Metrics, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	return f.m, f.err
}

var t0 = time.Unix(1_700_000_000, 0).UTC() // a multiple of 10 s

// snapshot is a data plane snapshot taken at `at`, of a process started
// at started, with load balancer counters lbc and blue's counters.
func snapshot(started, at time.Time, lbc, blue lb.Counters, healthy, unhealthy int) lb.Metrics {
	return lb.Metrics{StartedAt: started, Time: at, LoadBalancers: []lb.LoadBalancerMetrics{{
		ARN: lbARN, Counters: lbc,
		TargetGroups: []lb.TargetGroupMetrics{{ARN: blueARN, Counters: blue, HealthyHosts: healthy, UnhealthyHosts: unhealthy}},
	}}}
}

// value returns the single datapoint of a series in the bucket of t.
func value(t *testing.T, st *metrics.Store, name string, dims []metrics.Dimension, at time.Time) (metrics.Datapoint, bool) {
	t.Helper()
	dps := st.Query(Namespace, name, dims, at, at.Add(10*time.Second), 10*time.Second)
	switch len(dps) {
	case 0:
		return metrics.Datapoint{}, false
	case 1:
		return dps[0], true
	}
	t.Fatalf("%s %v: %d datapoints in one bucket", name, dims, len(dps))
	return metrics.Datapoint{}, false
}

// sum returns the Sum of a count in the bucket of at, failing the test
// when there is none.
func sum(t *testing.T, st *metrics.Store, name string, dims []metrics.Dimension, at time.Time) float64 {
	t.Helper()
	dp, ok := value(t, st, name, dims, at)
	if !ok {
		t.Fatalf("no %s %v datapoint at %v", name, dims, at)
	}
	if dp.Unit != UnitCount && name != TargetResponseTime {
		t.Errorf("%s unit %q", name, dp.Unit)
	}
	return dp.Sum
}

func newTestCollector(t *testing.T, src Source, clock *testclock.Clock) (*Collector, *metrics.Store) {
	t.Helper()
	st := metrics.NewStore(10*time.Second, time.Hour)
	c, err := New(Config{Source: src, Store: st, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c, st
}

func TestPollDeltas(t *testing.T) {
	ctx := context.Background()
	src, clock := &fakeSource{}, testclock.New(t0.Add(-time.Second))
	c, st := newTestCollector(t, src, clock)
	if c.Interval() != 10*time.Second {
		t.Fatalf("Interval = %v, want the store's resolution", c.Interval())
	}
	lbD, pairD, tgD := Dimensions(lbARN, ""), Dimensions(lbARN, blueARN), Dimensions("", blueARN)
	started := t0.Add(-time.Hour) // the data plane ran before the collector

	// First read: a baseline. Host counts are gauges and recorded.
	clock.Set(t0)
	src.set(snapshot(started, t0, lb.Counters{Requests: 100}, lb.Counters{Requests: 90}, 2, 1), nil)
	if err := c.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if _, ok := value(t, st, RequestCount, lbD, t0.Add(-10*time.Second)); ok {
		t.Error("the first read recorded counts: it is only a baseline")
	}
	if got := sum(t, st, HealthyHostCount, pairD, t0.Add(-10*time.Second)); got != 2 {
		t.Errorf("HealthyHostCount = %v, want 2", got)
	}
	if got := sum(t, st, UnHealthyHostCount, pairD, t0.Add(-10*time.Second)); got != 1 {
		t.Errorf("UnHealthyHostCount = %v, want 1", got)
	}

	// Second read: the differences, zeros included, in the bucket of
	// the interval that just ended.
	t1 := t0.Add(10 * time.Second)
	clock.Set(t1)
	ms := func(n int64) int64 { return n * int64(time.Millisecond) }
	blue := lb.Counters{Requests: 90 + 30, Target2xx: 25, Target5xx: 5, TargetResponses: 30,
		TargetResponseTimeNanos: uint64(3 * time.Second),
		ResponseTimeExtremes: []lb.Extremes{
			{Second: t0.Unix() - 1, MinNanos: ms(1), MaxNanos: ms(9000)}, // before the interval
			{Second: t0.Unix() + 2, MinNanos: ms(50), MaxNanos: ms(200)},
			{Second: t0.Unix() + 9, MinNanos: ms(60), MaxNanos: ms(300)},
			{Second: t1.Unix(), MinNanos: ms(2), MaxNanos: ms(2)}, // still counting: next interval
		}}
	lbc := blue
	lbc.Requests, lbc.ELB4xx, lbc.ELB5xx, lbc.ELB503 = 100+33, 1, 2, 2
	src.set(snapshot(started, t1, lbc, blue, 3, 0), nil)
	if err := c.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct {
		name string
		dims []metrics.Dimension
		v    float64
	}{
		{RequestCount, lbD, 33}, {RequestCount, pairD, 30}, {RequestCount, tgD, 30},
		{HTTPCodeTarget2XXCount, lbD, 25}, {HTTPCodeTarget2XXCount, pairD, 25}, {HTTPCodeTarget2XXCount, tgD, 25},
		{HTTPCodeTarget5XXCount, pairD, 5}, {HTTPCodeTarget4XXCount, pairD, 0}, {HTTPCodeTarget3XXCount, tgD, 0},
		{HTTPCodeELB4XXCount, lbD, 1}, {HTTPCodeELB5XXCount, lbD, 2}, {HTTPCodeELB503Count, lbD, 2},
		{HTTPCodeELB5XXCount, pairD, 0}, {HTTPFixedResponseCount, lbD, 0}, {TargetConnectionErrorCount, pairD, 0},
		{HealthyHostCount, pairD, 3}, {UnHealthyHostCount, pairD, 0},
	} {
		if got := sum(t, st, want.name, want.dims, t0); got != want.v {
			t.Errorf("%s %v = %v, want %v", want.name, want.dims, got, want.v)
		}
	}
	for _, dims := range [][]metrics.Dimension{lbD, pairD, tgD} {
		dp, ok := value(t, st, TargetResponseTime, dims, t0)
		want := metrics.Stats{SampleCount: 30, Sum: 3, Minimum: 0.05, Maximum: 0.3}
		if !ok || dp.Unit != UnitSeconds || !near(dp.Stats, want) {
			t.Errorf("TargetResponseTime %v = %+v (%v), want %+v in Seconds", dims, dp, ok, want)
		}
	}

	// The data plane restarted: its new counters are the interval's.
	t2 := t1.Add(10 * time.Second)
	clock.Set(t2)
	restarted := t1.Add(5 * time.Second)
	src.set(snapshot(restarted, t2, lb.Counters{Requests: 200}, lb.Counters{Requests: 150, Target2xx: 150}, 3, 0), nil)
	if err := c.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sum(t, st, RequestCount, lbD, t1); got != 200 {
		t.Errorf("RequestCount after a restart = %v, want 200 (the new counters)", got)
	}
	if got := sum(t, st, HTTPCodeTarget2XXCount, pairD, t1); got != 150 {
		t.Errorf("HTTPCode_Target_2XX_Count after a restart = %v, want 150", got)
	}
	if _, ok := value(t, st, TargetResponseTime, pairD, t1); ok {
		t.Error("TargetResponseTime recorded for an interval without responses")
	}

	// A counter went down without a restart (the group left the
	// configuration and came back): taken whole. A new group starts
	// from zero.
	t3 := t2.Add(10 * time.Second)
	clock.Set(t3)
	m := snapshot(restarted, t3, lb.Counters{Requests: 260}, lb.Counters{Requests: 4, Target2xx: 4}, 3, 0)
	m.LoadBalancers[0].TargetGroups = append(m.LoadBalancers[0].TargetGroups,
		lb.TargetGroupMetrics{ARN: greenARN, Counters: lb.Counters{Requests: 7}})
	src.set(m, nil)
	if err := c.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sum(t, st, RequestCount, lbD, t2); got != 60 {
		t.Errorf("RequestCount = %v, want 60", got)
	}
	if got := sum(t, st, RequestCount, pairD, t2); got != 4 {
		t.Errorf("RequestCount of a group whose counters restarted = %v, want 4", got)
	}
	if got := sum(t, st, RequestCount, Dimensions(lbARN, greenARN), t2); got != 7 {
		t.Errorf("RequestCount of a new group = %v, want 7", got)
	}

	// The data plane does not answer: nothing is recorded, then the
	// next read covers both intervals.
	clock.Set(t3.Add(10 * time.Second))
	src.set(lb.Metrics{}, errors.New("connection refused"))
	if err := c.Poll(ctx); err == nil {
		t.Fatal("Poll succeeded with a failing source")
	}
	if _, up := c.Last(); up {
		t.Error("Last reports up after a failed read")
	}
	if _, ok := value(t, st, RequestCount, lbD, t3); ok {
		t.Error("counts recorded while the data plane did not answer")
	}
	if _, ok := value(t, st, HealthyHostCount, pairD, t3); ok {
		t.Error("host counts recorded while the data plane did not answer")
	}
	t5 := t3.Add(20 * time.Second)
	clock.Set(t5)
	m = snapshot(restarted, t5, lb.Counters{Requests: 280}, lb.Counters{Requests: 4, Target2xx: 4}, 3, 0)
	src.set(m, nil)
	if err := c.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sum(t, st, RequestCount, lbD, t3.Add(10*time.Second)); got != 20 {
		t.Errorf("RequestCount after a gap = %v, want 20 at the gap's middle", got)
	}
	if last, up := c.Last(); !up || !last.Time.Equal(t5) {
		t.Errorf("Last = %v, %v", last.Time, up)
	}
}

func near(a, b metrics.Stats) bool {
	eq := func(x, y float64) bool { return math.Abs(x-y) < 1e-9 }
	return eq(a.SampleCount, b.SampleCount) && eq(a.Sum, b.Sum) && eq(a.Minimum, b.Minimum) && eq(a.Maximum, b.Maximum)
}

func TestFirstReadOfANewDataPlaneCounts(t *testing.T) {
	src, clock := &fakeSource{}, testclock.New(t0)
	c, st := newTestCollector(t, src, clock)
	clock.Set(t0.Add(10 * time.Second))
	src.set(snapshot(t0.Add(time.Second), t0.Add(10*time.Second), lb.Counters{Requests: 12}, lb.Counters{Requests: 12}, 1, 0), nil)
	if err := c.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sum(t, st, RequestCount, Dimensions(lbARN, ""), t0); got != 12 {
		t.Errorf("RequestCount = %v, want 12: the data plane started after the collector", got)
	}
}

func TestResponseTimeBounds(t *testing.T) {
	// Extremes outside the window fall back on the average, and the
	// average bounds them.
	d := lb.Counters{TargetResponses: 4, TargetResponseTimeNanos: uint64(2 * time.Second)}
	got, ok := responseTime(d, []lb.Extremes{{Second: 5, MinNanos: int64(time.Second), MaxNanos: int64(time.Second)}}, 0, 5)
	if !ok || got != (metrics.Stats{SampleCount: 4, Sum: 2, Minimum: 0.5, Maximum: 0.5}) {
		t.Errorf("without extremes in the window: %+v", got)
	}
	got, _ = responseTime(d, []lb.Extremes{{Second: 4, MinNanos: int64(time.Second), MaxNanos: int64(time.Second)}}, 0, 5)
	if got.Minimum != 0.5 || got.Maximum != 1 {
		t.Errorf("an extreme above the average: %+v, want min 0.5 (the average), max 1", got)
	}
	if _, ok := responseTime(lb.Counters{}, nil, 0, 5); ok {
		t.Error("a sample without responses")
	}
}

func TestRun(t *testing.T) {
	src := &fakeSource{}
	src.set(snapshot(t0, t0, lb.Counters{}, lb.Counters{}, 1, 0), nil)
	st := metrics.NewStore(20*time.Millisecond, time.Minute)
	c, err := New(Config{Source: src, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		c.Run(ctx)
		close(done)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		src.mu.Lock()
		n := src.calls
		src.mu.Unlock()
		if n >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Run read the source %d times in 5s with a 20ms interval", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	if len(st.List(Namespace, HealthyHostCount, nil)) != 1 {
		t.Error("Run recorded no HealthyHostCount series")
	}
	if _, err := New(Config{Store: st}); err == nil {
		t.Error("New without a Source succeeded")
	}
}
