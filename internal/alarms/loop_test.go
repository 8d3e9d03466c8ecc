package alarms

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/metrics"
	"github.com/cutover/cutover/internal/prometheus"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
	"github.com/cutover/cutover/internal/testclock"
)

// loopEnv is an Evaluator on a fresh store and metrics store.
type loopEnv struct {
	store   store.Store
	metrics *metrics.Store
	clock   *testclock.Clock
	changes atomic.Int64
	ev      *Evaluator
}

func newLoopEnv(t *testing.T, promql PromQL) *loopEnv {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	env := &loopEnv{store: st, metrics: metrics.NewStore(0, 24*time.Hour), clock: testclock.New(t0)}
	env.ev = New(Config{Store: st, Metrics: env.metrics, PromQL: promql, Now: env.clock.Now, Changed: func() { env.changes.Add(1) }})
	return env
}

var lbDims = []metrics.Dimension{{Name: "LoadBalancer", Value: "app/web/1"}}

// put stores a new alarm in INSUFFICIENT_DATA, as PutMetricAlarm does.
func (env *loopEnv) put(t *testing.T, a *cloudwatch.MetricAlarm) {
	t.Helper()
	now := env.clock.Now()
	al := &state.Alarm{MetricAlarm: *a}
	al.StateValue, al.StateReason = cloudwatch.StateValueInsufficientData, "Unchecked: Initial alarm creation"
	al.StateUpdatedTimestamp, al.AlarmConfigurationUpdatedTimestamp = cloudwatch.TimeOf(now), cloudwatch.TimeOf(now)
	err := state.Update(context.Background(), env.store, func(tx state.Tx) error { return tx.PutAlarm(al) })
	if err != nil {
		t.Fatal(err)
	}
}

// set sets an alarm's state by hand, as SetAlarmState does.
func (env *loopEnv) set(t *testing.T, name string, value cloudwatch.StateValue, reason string) {
	t.Helper()
	err := state.Update(context.Background(), env.store, func(tx state.Tx) error {
		cur, err := tx.Alarm(name)
		if err != nil {
			return err
		}
		return SetState(tx, cur, value, reason, "", env.clock.Now())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// alarm reads an alarm and its StateUpdate history, newest last.
func (env *loopEnv) alarm(t *testing.T, name string) (*state.Alarm, []string) {
	t.Helper()
	var a *state.Alarm
	var history []string
	err := state.View(context.Background(), env.store, func(tx state.Tx) error {
		var err error
		if a, err = tx.Alarm(name); err != nil {
			return err
		}
		return tx.AlarmHistory(name, func(it *state.AlarmHistoryItem) error {
			history = append(history, it.HistorySummary)
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return a, history
}

// pass runs one pass and returns how many alarms changed.
func (env *loopEnv) pass(t *testing.T) int {
	t.Helper()
	n, err := env.ev.Pass(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// addErrors records n 5XX per 10 s sample over [from, to).
func (env *loopEnv) addErrors(from, to time.Time, n float64) {
	for t := from; t.Before(to); t = t.Add(10 * time.Second) {
		env.metrics.Add("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Count", lbDims, t, metrics.Value(n))
	}
}

func TestEvaluatorMetricAlarm(t *testing.T) {
	env := newLoopEnv(t, nil)
	env.put(t, &cloudwatch.MetricAlarm{
		AlarmName: "web-5xx", Namespace: "AWS/ApplicationELB", MetricName: "HTTPCode_Target_5XX_Count",
		Dimensions: []cloudwatch.Dimension{{Name: "LoadBalancer", Value: "app/web/1"}}, Statistic: cloudwatch.StatisticSum,
		Period: cloudwatch.Int32(60), EvaluationPeriods: cloudwatch.Int32(2), DatapointsToAlarm: cloudwatch.Int32(2),
		Threshold: cloudwatch.Float64(5), ComparisonOperator: cloudwatch.ComparisonOperatorGreaterThanThreshold,
		TreatMissingData: MissingNotBreaching,
	})

	// No data, treated as not breaching: OK.
	env.clock.Set(t0.Add(2*time.Minute + 10*time.Second))
	if n := env.pass(t); n != 1 {
		t.Fatalf("first pass changed %d alarms", n)
	}
	a, history := env.alarm(t, "web-5xx")
	if a.StateValue != cloudwatch.StateValueOk || len(history) != 1 || history[0] != "Alarm updated from INSUFFICIENT_DATA to OK" {
		t.Fatalf("after no data: %s %q, history %v", a.StateValue, a.StateReason, history)
	}

	// One errors a sample (6 a minute) for two minutes: ALARM, once the
	// second minute is complete and the lag has passed.
	env.addErrors(t0.Add(2*time.Minute), t0.Add(4*time.Minute), 1)
	env.clock.Set(t0.Add(4*time.Minute + 5*time.Second)) // the 12:03 period is not complete yet
	if n := env.pass(t); n != 0 {
		t.Fatalf("pass inside the lag changed %d alarms", n)
	}
	env.clock.Set(t0.Add(4*time.Minute + 10*time.Second))
	if n := env.pass(t); n != 1 {
		t.Fatalf("pass after the lag changed %d alarms", n)
	}
	a, history = env.alarm(t, "web-5xx")
	want := "Threshold Crossed: 2 out of the last 2 datapoints [6.0 (24/11/26 12:03:00), 6.0 (24/11/26 12:02:00)] were greater than the threshold (5.0) (minimum 2 datapoints for OK -> ALARM transition)."
	if a.StateValue != cloudwatch.StateValueAlarm || a.StateReason != want || len(history) != 2 {
		t.Fatalf("after errors: %s %q, history %v", a.StateValue, a.StateReason, history)
	}
	if !a.StateTransitionedTimestamp.Equal(env.clock.Now()) || !json.Valid([]byte(a.StateReasonData)) {
		t.Errorf("transition timestamp %v, reason data %s", a.StateTransitionedTimestamp, a.StateReasonData)
	}

	// Nothing changes: nothing is written.
	if n := env.pass(t); n != 0 {
		t.Fatalf("idle pass changed %d alarms", n)
	}

	// A state set by hand holds until the next evaluation changes it.
	env.set(t, "web-5xx", cloudwatch.StateValueOk, "silenced")
	if n := env.pass(t); n != 1 {
		t.Fatalf("pass after SetState changed %d alarms", n)
	}
	if a, _ = env.alarm(t, "web-5xx"); a.StateValue != cloudwatch.StateValueAlarm {
		t.Fatalf("after SetState and a pass: %s", a.StateValue)
	}

	// The errors stop: OK again two minutes later.
	env.clock.Set(t0.Add(6*time.Minute + 10*time.Second))
	env.pass(t)
	a, history = env.alarm(t, "web-5xx")
	if a.StateValue != cloudwatch.StateValueOk || len(history) != 5 {
		t.Fatalf("after recovery: %s %q, history %v", a.StateValue, a.StateReason, history)
	}
	if env.changes.Load() != 4 {
		t.Errorf("Changed called %d times, want 4", env.changes.Load())
	}
}

func TestEvaluatorSkipsConcurrentChanges(t *testing.T) {
	env := newLoopEnv(t, nil)
	env.put(t, metricAlarm(func(a *cloudwatch.MetricAlarm) { a.AlarmName = "a" }))
	stale, _ := env.alarm(t, "a")
	env.clock.Set(t0.Add(time.Hour))
	// The alarm changes after the pass read it.
	env.set(t, "a", cloudwatch.StateValueAlarm, "by hand")
	if changed, err := env.ev.evaluate(context.Background(), stale); err != nil || changed {
		t.Fatalf("evaluate of a stale alarm = %v, %v", changed, err)
	}
	if a, _ := env.alarm(t, "a"); a.StateValue != cloudwatch.StateValueAlarm {
		t.Fatalf("state = %s, want the one set by hand", a.StateValue)
	}
	// Deleted meanwhile: nothing is written.
	err := state.Update(context.Background(), env.store, func(tx state.Tx) error { return tx.DeleteAlarm("a") })
	if err != nil {
		t.Fatal(err)
	}
	if changed, err := env.ev.evaluate(context.Background(), stale); err != nil || changed {
		t.Fatalf("evaluate of a deleted alarm = %v, %v", changed, err)
	}
}

// fakePrometheus is a real HTTP server speaking the Prometheus query API:
// query_range answers series with values computed by value(t).
type fakePrometheus struct {
	*httptest.Server
	mu      sync.Mutex
	queries []string
}

func newFakePrometheus(t *testing.T, series int, value func(t time.Time) string) *fakePrometheus {
	p := &fakePrometheus{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/prom/api/v1/query_range" || r.ParseForm() != nil {
			http.Error(w, `{"status":"error","errorType":"bad_data","error":"unknown path"}`, http.StatusNotFound)
			return
		}
		q := r.Form.Get("query")
		p.mu.Lock()
		p.queries = append(p.queries, q+" "+r.Form.Get("start")+" "+r.Form.Get("end")+" "+r.Form.Get("step"))
		p.mu.Unlock()
		if strings.Contains(q, "syntax error") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"status":"error","errorType":"bad_data","error":"1:8: parse error: unexpected identifier"}`)
			return
		}
		start, _ := strconv.ParseFloat(r.Form.Get("start"), 64)
		end, _ := strconv.ParseFloat(r.Form.Get("end"), 64)
		step, _ := strconv.ParseFloat(r.Form.Get("step"), 64)
		var result []string
		for s := range series {
			var values []string
			for ts := start; ts <= end; ts += step {
				values = append(values, fmt.Sprintf(`[%v,"%s"]`, ts, value(time.Unix(int64(ts), 0))))
			}
			result = append(result, fmt.Sprintf(`{"metric":{"job":"web","instance":"%d"},"values":[%s]}`, s, strings.Join(values, ",")))
		}
		fmt.Fprintf(w, `{"status":"success","data":{"resultType":"matrix","result":[%s]}}`, strings.Join(result, ","))
	}))
	t.Cleanup(p.Close)
	return p
}

func promAlarm(name, query string) *cloudwatch.MetricAlarm {
	return &cloudwatch.MetricAlarm{
		AlarmName: name, EvaluationPeriods: cloudwatch.Int32(3), DatapointsToAlarm: cloudwatch.Int32(2),
		Threshold: cloudwatch.Float64(0.05), ComparisonOperator: cloudwatch.ComparisonOperatorGreaterThanOrEqualToThreshold,
		Metrics: []cloudwatch.MetricDataQuery{{Id: "q", Expression: PromQLPrefix + query, ReturnData: cloudwatch.Bool(true), Period: cloudwatch.Int32(60)}},
	}
}

func TestEvaluatorPromQL(t *testing.T) {
	// The error ratio is 10% from 12:01 on (the evaluation at the end of
	// each period).
	prom := newFakePrometheus(t, 1, func(ts time.Time) string {
		if ts.After(t0.Add(time.Minute)) {
			return "0.1"
		}
		return "0"
	})
	client, err := prometheus.New(prom.URL+"/prom", nil)
	if err != nil {
		t.Fatal(err)
	}
	env := newLoopEnv(t, client)
	env.put(t, promAlarm("ratio", `sum(rate(errors[1m])) / sum(rate(requests[1m]))`))
	env.clock.Set(t0.Add(3*time.Minute + 10*time.Second))
	if n := env.pass(t); n != 1 {
		t.Fatalf("pass changed %d alarms", n)
	}
	a, _ := env.alarm(t, "ratio")
	want := "Threshold Crossed: 2 out of the last 3 datapoints [0.1 (24/11/26 12:02:00), 0.1 (24/11/26 12:01:00)] were greater than or equal to the threshold (0.05) (minimum 2 datapoints for INSUFFICIENT_DATA -> ALARM transition)."
	if a.StateValue != cloudwatch.StateValueAlarm || a.StateReason != want {
		t.Fatalf("state %s, reason %q", a.StateValue, a.StateReason)
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(a.StateReasonData), &data); err != nil || data["promql"] == nil || data["statistic"] != nil {
		t.Errorf("reason data %s", a.StateReasonData)
	}
	// One query_range over the window: from the end of its first period
	// to its end, one step a period.
	wantQuery := fmt.Sprintf("sum(rate(errors[1m])) / sum(rate(requests[1m])) %d %d 60", t0.Add(time.Minute).Unix(), t0.Add(3*time.Minute).Unix())
	if len(prom.queries) != 1 || prom.queries[0] != wantQuery {
		t.Errorf("queries = %q, want %q", prom.queries, wantQuery)
	}
}

func TestEvaluatorPromQLFailures(t *testing.T) {
	tests := []struct {
		name   string
		series int
		query  string
		client bool
		reason string
	}{
		{"no prometheus", 1, "up", false, "Insufficient Data: the query failed: no Prometheus server is configured (prometheus.url in the config file)."},
		{"bad query", 1, "syntax error", true, "Insufficient Data: the query failed: prometheus query failed: bad_data: 1:8: parse error: unexpected identifier."},
		{"several series", 2, "up", true, "Insufficient Data: the query failed: the PromQL query returned 2 series; an alarm needs one (aggregate them, for example with sum())."},
		{"no series", 0, "up", true, "Insufficient Data: 3 datapoints were unknown."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var q PromQL
			if tt.client {
				prom := newFakePrometheus(t, tt.series, func(time.Time) string { return "1" })
				c, err := prometheus.New(prom.URL+"/prom", nil)
				if err != nil {
					t.Fatal(err)
				}
				q = c
			}
			env := newLoopEnv(t, q)
			env.put(t, promAlarm("p", tt.query))
			// From OK, so that INSUFFICIENT_DATA is a change.
			env.set(t, "p", cloudwatch.StateValueOk, "x")
			env.clock.Set(t0.Add(time.Hour))
			env.pass(t)
			a, _ := env.alarm(t, "p")
			if a.StateValue != cloudwatch.StateValueInsufficientData || a.StateReason != tt.reason {
				t.Fatalf("state %s, reason %q", a.StateValue, a.StateReason)
			}
		})
	}
}

func TestEvaluatorPrune(t *testing.T) {
	env := newLoopEnv(t, nil)
	env.put(t, metricAlarm(func(a *cloudwatch.MetricAlarm) { a.AlarmName = "a" }))
	env.set(t, "a", cloudwatch.StateValueOk, "x")
	env.clock.Set(t0.Add(10 * 24 * time.Hour))
	env.set(t, "a", cloudwatch.StateValueAlarm, "x")
	env.clock.Set(t0.Add(15 * 24 * time.Hour))
	if err := env.ev.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, history := env.alarm(t, "a"); len(history) != 1 || history[0] != "Alarm updated from OK to ALARM" {
		t.Fatalf("history after prune = %v", history)
	}
}

func TestEvaluatorRunWakes(t *testing.T) {
	env := newLoopEnv(t, nil)
	env.ev.interval = time.Hour // only Wake triggers passes
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		env.ev.Run(ctx)
		close(done)
	}()
	env.put(t, metricAlarm(func(a *cloudwatch.MetricAlarm) { a.AlarmName = "a" }))
	env.set(t, "a", cloudwatch.StateValueOk, "x")
	env.clock.Set(t0.Add(time.Hour))
	deadline := time.Now().Add(5 * time.Second)
	for {
		env.ev.Wake()
		if a, _ := env.alarm(t, "a"); a.StateReason == "Insufficient Data: 3 datapoints were unknown." {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Wake did not trigger an evaluation")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
}
