package alarms

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/metrics"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// miss marks a missing period in points.
var miss = math.NaN()

// points returns one point per period from t0, minute periods; miss
// leaves a period without a datapoint.
func points(vals ...float64) []Point {
	var out []Point
	for i, v := range vals {
		if math.IsNaN(v) {
			continue
		}
		out = append(out, Point{Start: t0.Add(time.Duration(i) * time.Minute), Value: v, SampleCount: 1})
	}
	return out
}

func spec(op cloudwatch.ComparisonOperator, threshold float64, n, m int, treat string) Spec {
	return Spec{
		Namespace: "AWS/ApplicationELB", MetricName: "HTTPCode_Target_5XX_Count", Statistic: cloudwatch.StatisticSum,
		Period: time.Minute, EvaluationPeriods: n, DatapointsToAlarm: m, Threshold: threshold, Comparison: op, TreatMissing: treat,
	}
}

const (
	gt  = cloudwatch.ComparisonOperatorGreaterThanThreshold
	ge  = cloudwatch.ComparisonOperatorGreaterThanOrEqualToThreshold
	lt  = cloudwatch.ComparisonOperatorLessThanThreshold
	le  = cloudwatch.ComparisonOperatorLessThanOrEqualToThreshold
	ok  = cloudwatch.StateValueOk
	alm = cloudwatch.StateValueAlarm
	ins = cloudwatch.StateValueInsufficientData
)

func TestEvaluate(t *testing.T) {
	tests := []struct {
		name   string
		spec   Spec
		state  cloudwatch.StateValue
		points []Point
		err    error
		want   cloudwatch.StateValue
		reason string // the whole reason, when set
	}{
		// Comparisons, on the threshold and either side of it.
		{name: "gt above", spec: spec(gt, 1, 1, 1, MissingMissing), state: ins, points: points(2), want: alm,
			reason: "Threshold Crossed: 1 datapoint [2.0 (24/11/26 12:00:00)] was greater than the threshold (1.0)."},
		{name: "gt equal", spec: spec(gt, 1, 1, 1, MissingMissing), state: alm, points: points(1), want: ok,
			reason: "Threshold Crossed: 1 datapoint [1.0 (24/11/26 12:00:00)] was not greater than the threshold (1.0)."},
		{name: "ge equal", spec: spec(ge, 1, 1, 1, MissingMissing), state: ok, points: points(1), want: alm,
			reason: "Threshold Crossed: 1 datapoint [1.0 (24/11/26 12:00:00)] was greater than or equal to the threshold (1.0)."},
		{name: "ge below", spec: spec(ge, 1, 1, 1, MissingMissing), state: ok, points: points(0.5), want: ok},
		{name: "lt below", spec: spec(lt, 1, 1, 1, MissingMissing), state: ok, points: points(0.25), want: alm,
			reason: "Threshold Crossed: 1 datapoint [0.25 (24/11/26 12:00:00)] was less than the threshold (1.0)."},
		{name: "lt equal", spec: spec(lt, 1, 1, 1, MissingMissing), state: ok, points: points(1), want: ok},
		{name: "le equal", spec: spec(le, 1, 1, 1, MissingMissing), state: ok, points: points(1), want: alm,
			reason: "Threshold Crossed: 1 datapoint [1.0 (24/11/26 12:00:00)] was less than or equal to the threshold (1.0)."},
		{name: "le above", spec: spec(le, 1, 1, 1, MissingMissing), state: alm, points: points(2), want: ok},

		// M out of N.
		{name: "3 of 3 all breach", spec: spec(gt, 1, 3, 3, MissingMissing), state: ok, points: points(3, 4, 5), want: alm,
			reason: "Threshold Crossed: 3 out of the last 3 datapoints [5.0 (24/11/26 12:02:00), 4.0 (24/11/26 12:01:00), 3.0 (24/11/26 12:00:00)] were greater than the threshold (1.0) (minimum 3 datapoints for OK -> ALARM transition)."},
		{name: "3 of 3 one good", spec: spec(gt, 1, 3, 3, MissingMissing), state: alm, points: points(3, 0, 5), want: ok,
			reason: "Threshold Crossed: 1 out of the last 3 datapoints [0.0 (24/11/26 12:01:00)] was not greater than the threshold (1.0) (minimum 1 datapoint for ALARM -> OK transition)."},
		{name: "2 of 3 two breach", spec: spec(gt, 1, 3, 2, MissingMissing), state: ok, points: points(3, 0, 5), want: alm,
			reason: "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (24/11/26 12:02:00), 3.0 (24/11/26 12:00:00)] were greater than the threshold (1.0) (minimum 2 datapoints for OK -> ALARM transition)."},
		{name: "2 of 3 one breach", spec: spec(gt, 1, 3, 2, MissingMissing), state: alm, points: points(0, 0, 5), want: ok,
			reason: "Threshold Crossed: 2 out of the last 3 datapoints [0.0 (24/11/26 12:01:00), 0.0 (24/11/26 12:00:00)] were not greater than the threshold (1.0) (minimum 2 datapoints for ALARM -> OK transition)."},
		{name: "1 of 5 one breach", spec: spec(gt, 1, 5, 1, MissingMissing), state: ok, points: points(0, 0, 9, 0, 0), want: alm},
		{name: "points outside the window are ignored", spec: spec(gt, 1, 2, 2, MissingMissing), state: ok,
			points: append(points(0, 0), Point{Start: t0.Add(-time.Minute), Value: 9}, Point{Start: t0.Add(2 * time.Minute), Value: 9},
				Point{Start: t0.Add(30 * time.Second), Value: 9}), want: ok},

		// Missing data: missing.
		{name: "missing: all missing", spec: spec(gt, 1, 3, 3, MissingMissing), state: ok, points: nil, want: ins,
			reason: "Insufficient Data: 3 datapoints were unknown."},
		{name: "missing: one period missing", spec: spec(gt, 1, 1, 1, MissingMissing), state: alm, points: nil, want: ins,
			reason: "Insufficient Data: 1 datapoint was unknown."},
		{name: "missing: partial, enough breach", spec: spec(gt, 1, 3, 2, MissingMissing), state: ok, points: points(miss, 5, 5), want: alm},
		{name: "missing: partial, cannot reach M", spec: spec(gt, 1, 3, 3, MissingMissing), state: alm, points: points(miss, 0, 5), want: ok},
		{name: "missing: partial, undecided keeps ALARM", spec: spec(gt, 1, 3, 3, MissingMissing), state: alm, points: points(miss, 5, 5), want: alm},
		{name: "missing: partial, undecided keeps INSUFFICIENT_DATA", spec: spec(gt, 1, 3, 3, MissingMissing), state: ins, points: points(5, miss, 5), want: ins},

		// Missing data: ignore.
		{name: "ignore: all missing keeps OK", spec: spec(gt, 1, 3, 3, MissingIgnore), state: ok, points: nil, want: ok},
		{name: "ignore: all missing keeps ALARM", spec: spec(gt, 1, 3, 3, MissingIgnore), state: alm, points: nil, want: alm},
		{name: "ignore: partial breach", spec: spec(gt, 1, 2, 1, MissingIgnore), state: ok, points: points(miss, 5), want: alm},
		{name: "ignore: partial good", spec: spec(gt, 1, 2, 2, MissingIgnore), state: alm, points: points(0, miss), want: ok},

		// Missing data: breaching.
		{name: "breaching: all missing", spec: spec(gt, 1, 3, 3, MissingBreaching), state: ok, points: nil, want: alm,
			reason: "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [Breaching]."},
		{name: "breaching: one missing completes M", spec: spec(gt, 1, 3, 3, MissingBreaching), state: ok, points: points(5, miss, 5), want: alm,
			reason: "Threshold Crossed: 2 out of the last 3 datapoints [5.0 (24/11/26 12:02:00), 5.0 (24/11/26 12:00:00)] were greater than the threshold (1.0) and 1 missing datapoint was treated as [Breaching] (minimum 3 datapoints for OK -> ALARM transition)."},
		{name: "breaching: good point prevents", spec: spec(gt, 1, 3, 3, MissingBreaching), state: alm, points: points(5, miss, 0), want: ok},

		// Missing data: notBreaching.
		{name: "notBreaching: all missing", spec: spec(gt, 1, 3, 3, MissingNotBreaching), state: alm, points: nil, want: ok,
			reason: "Threshold Crossed: no datapoints were received for 3 periods and 3 missing datapoints were treated as [NonBreaching]."},
		{name: "notBreaching: missing keeps below M", spec: spec(gt, 1, 3, 3, MissingNotBreaching), state: alm, points: points(5, 5, miss), want: ok},
		{name: "notBreaching: enough breach", spec: spec(gt, 1, 3, 2, MissingNotBreaching), state: ok, points: points(5, 5, miss), want: alm},

		// Query failures.
		{name: "query error", spec: spec(gt, 1, 1, 1, MissingMissing), state: ok, err: errors.New("boom"), want: ins,
			reason: "Insufficient Data: the query failed: boom."},
		{name: "query error ignored", spec: spec(gt, 1, 1, 1, MissingIgnore), state: alm, err: errors.New("boom"), want: alm},
		{name: "NaN is missing", spec: spec(gt, 1, 1, 1, MissingMissing), state: ok,
			points: []Point{{Start: t0, Value: math.Inf(1)}}, want: ins},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(time.Duration(tt.spec.EvaluationPeriods)*time.Minute + 15*time.Second)
			got := Evaluate(Input{Spec: tt.spec, State: tt.state, Now: now, Start: t0, Points: tt.points, Err: tt.err})
			if got.State != tt.want {
				t.Fatalf("state = %s (%s), want %s", got.State, got.Reason, tt.want)
			}
			if tt.reason != "" && got.Reason != tt.reason {
				t.Errorf("reason =\n  %s\nwant\n  %s", got.Reason, tt.reason)
			}
			if got.State != tt.state && (got.Reason == "" || !json.Valid([]byte(got.ReasonData))) {
				t.Errorf("a transition without reason: %+v", got)
			}
		})
	}
}

func TestEvaluateStatistics(t *testing.T) {
	// The evaluator compares whatever value the statistic produced; the
	// statistic is applied when the points are read (StatValue).
	st := statsOf(1, 2, 9)
	tests := []struct {
		stat cloudwatch.Statistic
		want float64
	}{
		{cloudwatch.StatisticSampleCount, 3},
		{cloudwatch.StatisticSum, 12},
		{cloudwatch.StatisticAverage, 4},
		{cloudwatch.StatisticMinimum, 1},
		{cloudwatch.StatisticMaximum, 9},
	}
	for _, tt := range tests {
		t.Run(string(tt.stat), func(t *testing.T) {
			if got := StatValue(st, tt.stat); got != tt.want {
				t.Fatalf("StatValue = %v, want %v", got, tt.want)
			}
			s := spec(ge, tt.want, 1, 1, MissingMissing)
			s.Statistic = tt.stat
			r := Evaluate(Input{Spec: s, State: ok, Now: t0.Add(time.Hour), Start: t0,
				Points: []Point{{Start: t0, Value: StatValue(st, tt.stat), SampleCount: st.SampleCount}}})
			if r.State != alm {
				t.Fatalf("state = %s", r.State)
			}
			var doc map[string]any
			if err := json.Unmarshal([]byte(r.ReasonData), &doc); err != nil {
				t.Fatal(err)
			}
			if doc["statistic"] != string(tt.stat) || doc["period"] != 60.0 || doc["threshold"] != tt.want {
				t.Errorf("reason data = %s", r.ReasonData)
			}
		})
	}
}

// statsOf aggregates samples.
func statsOf(vs ...float64) metrics.Stats {
	st := metrics.Value(vs[0])
	for _, v := range vs[1:] {
		st.SampleCount++
		st.Sum += v
		st.Minimum = min(st.Minimum, v)
		st.Maximum = max(st.Maximum, v)
	}
	return st
}

func TestReasonData(t *testing.T) {
	s := spec(gt, 1, 3, 2, MissingMissing)
	r := Evaluate(Input{Spec: s, State: ok, Now: t0.Add(3*time.Minute + 12*time.Second), Start: t0, Points: points(3, miss, 5)})
	want := `{"version":"1.0","queryDate":"2026-11-24T12:03:12.000+0000","startDate":"2026-11-24T12:00:00.000+0000",` +
		`"statistic":"Sum","period":60,"recentDatapoints":[3,5],"threshold":1,"evaluatedDatapoints":[` +
		`{"timestamp":"2026-11-24T12:02:00.000+0000","sampleCount":1,"value":5},{"timestamp":"2026-11-24T12:00:00.000+0000","sampleCount":1,"value":3}]}`
	if r.ReasonData != want {
		t.Errorf("reason data =\n  %s\nwant\n  %s", r.ReasonData, want)
	}
}

func TestWindowAt(t *testing.T) {
	tests := []struct {
		name       string
		period     time.Duration
		n          int
		now        time.Time
		start, end time.Time
	}{
		{"lag not passed", time.Minute, 3, t0.Add(5 * time.Second), t0.Add(-4 * time.Minute), t0.Add(-time.Minute)},
		{"lag passed", time.Minute, 3, t0.Add(10 * time.Second), t0.Add(-3 * time.Minute), t0},
		{"mid period", time.Minute, 1, t0.Add(50 * time.Second), t0.Add(-time.Minute), t0},
		{"10 s periods", 10 * time.Second, 6, t0.Add(25 * time.Second), t0.Add(-50 * time.Second), t0.Add(10 * time.Second)},
		{"5 minute periods", 5 * time.Minute, 2, t0.Add(7 * time.Minute), t0.Add(-5 * time.Minute), t0.Add(5 * time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := Spec{Period: tt.period, EvaluationPeriods: tt.n}
			start, end := WindowAt(s, tt.now, 10*time.Second)
			if !start.Equal(tt.start) || !end.Equal(tt.end) {
				t.Fatalf("WindowAt = %v, %v; want %v, %v", start, end, tt.start, tt.end)
			}
		})
	}
}

func TestFormatValue(t *testing.T) {
	tests := map[float64]string{
		5: "5.0", 0: "0.0", 0.25: "0.25", -3: "-3.0", 1e7: "1.0E7", 1.5e-4: "1.5E-4", 123456.5: "123456.5", math.Inf(1): "Infinity",
	}
	for v, want := range tests {
		if got := FormatValue(v); got != want {
			t.Errorf("FormatValue(%v) = %q, want %q", v, got, want)
		}
	}
}

func TestReasonMentionsTransition(t *testing.T) {
	r := Evaluate(Input{Spec: spec(gt, 1, 2, 2, MissingMissing), State: ins, Now: t0.Add(time.Hour), Start: t0, Points: points(5, 5)})
	if !strings.Contains(r.Reason, "INSUFFICIENT_DATA -> ALARM") {
		t.Errorf("reason = %s", r.Reason)
	}
}
