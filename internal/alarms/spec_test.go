package alarms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
)

// metricAlarm is a valid alarm on one metric; edit changes it.
func metricAlarm(edit func(a *cloudwatch.MetricAlarm)) *cloudwatch.MetricAlarm {
	a := &cloudwatch.MetricAlarm{
		AlarmName: "web-5xx", Namespace: "AWS/ApplicationELB", MetricName: "HTTPCode_Target_5XX_Count",
		Dimensions: []cloudwatch.Dimension{{Name: "LoadBalancer", Value: "app/web/1"}},
		Statistic:  cloudwatch.StatisticSum, Period: cloudwatch.Int32(60), EvaluationPeriods: cloudwatch.Int32(3),
		Threshold: cloudwatch.Float64(1), ComparisonOperator: cloudwatch.ComparisonOperatorGreaterThanThreshold,
	}
	if edit != nil {
		edit(a)
	}
	return a
}

// query is a Metrics query.
func query(edit func(q *cloudwatch.MetricDataQuery)) cloudwatch.MetricDataQuery {
	q := cloudwatch.MetricDataQuery{Id: "m1", MetricStat: &cloudwatch.MetricStat{
		Metric: &cloudwatch.Metric{Namespace: "AWS/ApplicationELB", MetricName: "TargetResponseTime"},
		Period: cloudwatch.Int32(60), Stat: "Average",
	}}
	if edit != nil {
		edit(&q)
	}
	return q
}

// metricsAlarm is a valid alarm on Metrics holding q.
func metricsAlarm(q cloudwatch.MetricDataQuery) *cloudwatch.MetricAlarm {
	return metricAlarm(func(a *cloudwatch.MetricAlarm) {
		a.Namespace, a.MetricName, a.Statistic, a.Period, a.Dimensions = "", "", "", nil, nil
		a.Metrics = []cloudwatch.MetricDataQuery{q}
	})
}

func TestSpecOf(t *testing.T) {
	tests := []struct {
		name  string
		alarm *cloudwatch.MetricAlarm
		kind  string // "" when accepted
		check func(t *testing.T, s Spec)
	}{
		{name: "metric alarm", alarm: metricAlarm(nil), check: func(t *testing.T, s Spec) {
			if s.Period != time.Minute || s.EvaluationPeriods != 3 || s.DatapointsToAlarm != 3 || s.TreatMissing != MissingMissing ||
				s.Statistic != cloudwatch.StatisticSum || len(s.Dimensions) != 1 || s.Dimensions[0].Value != "app/web/1" {
				t.Errorf("spec = %+v", s)
			}
		}},
		{name: "M of N and treatment", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) {
			a.DatapointsToAlarm, a.TreatMissingData = cloudwatch.Int32(2), MissingBreaching
		}), check: func(t *testing.T, s Spec) {
			if s.DatapointsToAlarm != 2 || s.TreatMissing != MissingBreaching {
				t.Errorf("spec = %+v", s)
			}
		}},
		{name: "10 s period", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.Period = cloudwatch.Int32(10) })},
		{name: "metric stat query", alarm: metricsAlarm(query(nil)), check: func(t *testing.T, s Spec) {
			if s.MetricName != "TargetResponseTime" || s.Statistic != cloudwatch.StatisticAverage || s.PromQL != "" {
				t.Errorf("spec = %+v", s)
			}
		}},
		{name: "promql query", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) {
			q.MetricStat, q.Expression, q.Period, q.ReturnData = nil, `promql:sum(rate(http_requests_total{code=~"5.."}[1m]))`, cloudwatch.Int32(60), cloudwatch.Bool(true)
		})), check: func(t *testing.T, s Spec) {
			if s.PromQL != `sum(rate(http_requests_total{code=~"5.."}[1m]))` || s.Period != time.Minute {
				t.Errorf("spec = %+v", s)
			}
		}},

		{name: "control character in name", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.AlarmName = "a\x00b" }), kind: KindInvalidValue},
		{name: "no comparison", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.ComparisonOperator = "" }), kind: KindMissing},
		{name: "band comparison", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) {
			a.ComparisonOperator = cloudwatch.ComparisonOperatorLessThanLowerOrGreaterThanUpperThreshold
		}), kind: KindCombination},
		{name: "threshold metric", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.ThresholdMetricId = "ad1" }), kind: KindCombination},
		{name: "no threshold", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.Threshold = nil }), kind: KindMissing},
		{name: "M above N", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.DatapointsToAlarm = cloudwatch.Int32(4) }), kind: KindInvalidValue},
		{name: "bad treatment", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.TreatMissingData = "zero" }), kind: KindInvalidValue},
		{name: "bad period", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.Period = cloudwatch.Int32(45) }), kind: KindInvalidValue},
		{name: "window overflows", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) {
			a.Period, a.EvaluationPeriods = cloudwatch.Int32(2147483580), cloudwatch.Int32(2147483647)
		}), kind: KindInvalidValue},
		{name: "window too long", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) {
			a.Period, a.EvaluationPeriods = cloudwatch.Int32(86400), cloudwatch.Int32(8)
		}), kind: KindInvalidValue},
		{name: "percentile", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.Statistic, a.ExtendedStatistic = "", "p99" }), kind: KindCombination},
		{name: "both statistics", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.ExtendedStatistic = "p99" }), kind: KindCombination},
		{name: "low sample count", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.EvaluateLowSampleCountPercentile = "ignore" }), kind: KindCombination},
		{name: "no metric name", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.MetricName = "" }), kind: KindMissing},
		{name: "no statistic", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.Statistic = "" }), kind: KindMissing},
		{name: "no period", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) { a.Period = nil }), kind: KindMissing},
		{name: "evaluation criteria", alarm: metricAlarm(func(a *cloudwatch.MetricAlarm) {
			a.EvaluationCriteria = &cloudwatch.EvaluationCriteria{PromQLCriteria: &cloudwatch.AlarmPromQLCriteria{Query: "up"}}
		}), kind: KindCombination},
		{name: "metrics and metric name", alarm: func() *cloudwatch.MetricAlarm {
			a := metricsAlarm(query(nil))
			a.MetricName = "RequestCount"
			return a
		}(), kind: KindCombination},
		{name: "metric math", alarm: func() *cloudwatch.MetricAlarm {
			a := metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) { q.ReturnData = cloudwatch.Bool(false) }))
			a.Metrics = append(a.Metrics, cloudwatch.MetricDataQuery{Id: "e1", Expression: "m1*100"})
			return a
		}(), kind: KindCombination},
		{name: "math expression", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) {
			q.MetricStat, q.Expression, q.Period = nil, "m1*100", cloudwatch.Int32(60)
		})), kind: KindInvalidValue},
		{name: "empty promql", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) {
			q.MetricStat, q.Expression, q.Period = nil, "promql:  ", cloudwatch.Int32(60)
		})), kind: KindInvalidValue},
		{name: "promql without period", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) {
			q.MetricStat, q.Expression = nil, "promql:up"
		})), kind: KindMissing},
		{name: "query not returning data", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) { q.ReturnData = cloudwatch.Bool(false) })),
			kind: KindInvalidValue},
		{name: "stat and expression", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) { q.Expression = "promql:up" })),
			kind: KindInvalidValue},
		{name: "percentile stat", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) { q.MetricStat.Stat = "p90" })),
			kind: KindInvalidValue},
		{name: "stat without period", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) { q.MetricStat.Period = nil })),
			kind: KindMissing},
		{name: "stat without metric", alarm: metricsAlarm(query(func(q *cloudwatch.MetricDataQuery) { q.MetricStat.Metric = nil })),
			kind: KindMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := SpecOf(tt.alarm)
			if tt.kind == "" {
				if err != nil {
					t.Fatalf("SpecOf: %v", err)
				}
				if tt.check != nil {
					tt.check(t, s)
				}
				return
			}
			var se *SpecError
			if !errors.As(err, &se) || se.Kind != tt.kind || strings.TrimSpace(se.Message) == "" {
				t.Fatalf("SpecOf error = %v, want a %s", err, tt.kind)
			}
		})
	}
}
