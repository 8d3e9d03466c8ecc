package cwapi

import (
	"context"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/alarms"
	"github.com/cutover/cutover/internal/cloudwatch"
)

// defaultMaxDatapoints is GetMetricData's MaxDatapoints when not given.
const defaultMaxDatapoints = 100800

// getMetricData answers metric queries: a MetricStat reads the metrics
// store, an Expression "promql:<query>" asks Prometheus (one result per
// series it returns). Other expressions (metric math, Metrics Insights)
// are refused. Values come newest first unless ScanBy is
// TimestampAscending; results beyond MaxDatapoints are cut and marked
// PartialData. cutover never pages the answer.
func (a *API) getMetricData(ctx context.Context, in *cloudwatch.GetMetricDataInput) (*cloudwatch.GetMetricDataOutput, error) {
	if in.NextToken != "" {
		return nil, apiErr(errInvalidNextToken, "cutover returns every datapoint at once: the NextToken %q is not one of its tokens.", in.NextToken)
	}
	start, end, err := timeRange(in.StartTime, in.EndTime)
	if err != nil {
		return nil, err
	}
	ids := map[string]bool{}
	for _, q := range in.MetricDataQueries {
		if ids[q.Id] {
			return nil, invalidValue("The Id %q is used by more than one query of MetricDataQueries.", q.Id)
		}
		ids[q.Id] = true
		if (q.MetricStat == nil) == (q.Expression == "") {
			return nil, invalidValue("The query %q must have exactly one of MetricStat and Expression.", q.Id)
		}
	}
	budget := defaultMaxDatapoints
	if in.MaxDatapoints != nil {
		budget = int(*in.MaxDatapoints)
	}
	ascending := in.ScanBy == cloudwatch.ScanByTimestampAscending
	out := &cloudwatch.GetMetricDataOutput{MetricDataResults: []cloudwatch.MetricDataResult{}, Messages: []cloudwatch.MessageData{}}
	for _, q := range in.MetricDataQueries {
		var results []cloudwatch.MetricDataResult
		if q.MetricStat != nil {
			r, err := a.metricStatResult(q, start, end)
			if err != nil {
				return nil, err
			}
			results = []cloudwatch.MetricDataResult{r}
		} else if results, err = a.promQLResults(ctx, q, start, end); err != nil {
			return nil, err
		}
		if !cloudwatch.BoolValue(q.ReturnData, true) {
			continue
		}
		for _, r := range results {
			if !ascending {
				slices.Reverse(r.Timestamps)
				slices.Reverse(r.Values)
			}
			if len(r.Values) > budget {
				r.Timestamps, r.Values = r.Timestamps[:budget], r.Values[:budget]
				r.StatusCode = cloudwatch.StatusCodePartialData
			}
			budget -= len(r.Values)
			out.MetricDataResults = append(out.MetricDataResults, r)
		}
	}
	return out, nil
}

// metricStatResult reads one MetricStat query, oldest first.
func (a *API) metricStatResult(q cloudwatch.MetricDataQuery, start, end time.Time) (cloudwatch.MetricDataResult, error) {
	ms := q.MetricStat
	r := cloudwatch.MetricDataResult{Id: q.Id, Label: q.Label, StatusCode: cloudwatch.StatusCodeComplete,
		Timestamps: []cloudwatch.Time{}, Values: []float64{}}
	if ms.Metric == nil || ms.Metric.MetricName == "" || ms.Metric.Namespace == "" {
		return r, apiErr(errMissingParameter, "The MetricStat of query %q must name a Metric with MetricName and Namespace.", q.Id)
	}
	stat, err := alarms.ParseStatistic(ms.Stat)
	if err != nil {
		return r, err
	}
	period, err := checkPeriod(cloudwatch.Int32Value(ms.Period), "MetricStat.Period")
	if err != nil {
		return r, err
	}
	if r.Label == "" {
		r.Label = ms.Metric.MetricName
	}
	for _, dp := range a.metrics.Query(ms.Metric.Namespace, ms.Metric.MetricName, alarms.Dimensions(ms.Metric.Dimensions),
		alignStart(start, period), end, period) {
		if ms.Unit != "" && dp.Unit != string(ms.Unit) {
			continue
		}
		r.Timestamps = append(r.Timestamps, cloudwatch.Time{Time: dp.Timestamp.UTC()})
		r.Values = append(r.Values, alarms.StatValue(dp.Stats, stat))
	}
	return r, nil
}

// promQLResults runs one promql: expression over the periods of [start,
// end): one result per series, labelled by Label or the series' labels.
// A query Prometheus refuses is an InvalidParameterValue.
func (a *API) promQLResults(ctx context.Context, q cloudwatch.MetricDataQuery, start, end time.Time) ([]cloudwatch.MetricDataResult, error) {
	query, ok := strings.CutPrefix(q.Expression, alarms.PromQLPrefix)
	if !ok {
		return nil, invalidValue("cutover does not evaluate metric math or Metrics Insights expressions (%q): an Expression must be %q.", q.Expression, alarms.PromQLPrefix+"<query>")
	}
	if a.promql == nil {
		return nil, invalidValue("The expression of query %q needs a Prometheus server: set prometheus.url in the server's config file.", q.Id)
	}
	if q.Period == nil {
		return nil, apiErr(errMissingParameter, "The query %q needs a Period: the step of its PromQL query.", q.Id)
	}
	period, err := checkPeriod(*q.Period, "Period")
	if err != nil {
		return nil, err
	}
	start = alignStart(start, period)
	series, err := a.promql.QueryRange(ctx, query, start.Add(period), end, period)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, invalidValue("The PromQL query of %q failed: %v", q.Id, err)
	}
	var out []cloudwatch.MetricDataResult
	for _, s := range series {
		r := cloudwatch.MetricDataResult{Id: q.Id, Label: q.Label, StatusCode: cloudwatch.StatusCodeComplete,
			Timestamps: []cloudwatch.Time{}, Values: []float64{}}
		if r.Label == "" {
			r.Label = labelOf(s.Labels, q.Id)
		}
		for _, sm := range s.Samples {
			ps := sm.Time.Add(-period)
			if ps.Before(start) || !ps.Before(end) || math.IsNaN(sm.Value) || math.IsInf(sm.Value, 0) {
				continue // no datapoint: out of range, or no number
			}
			r.Timestamps = append(r.Timestamps, cloudwatch.Time{Time: ps.UTC()})
			r.Values = append(r.Values, sm.Value)
		}
		out = append(out, r)
	}
	return out, nil
}

// labelOf writes a series' labels as {a="1", b="2"}, or returns def for
// a series without labels.
func labelOf(labels map[string]string, def string) string {
	if len(labels) == 0 {
		return def
	}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + `"` + labels[k] + `"`
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
