package cwapi

import (
	"context"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/alarms"
	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/metrics"
)

// Limits of the metric reads, as CloudWatch sets them.
const (
	// maxStatisticsPoints bounds the datapoints of GetMetricStatistics.
	maxStatisticsPoints = 1440
	// listMetricsPage is ListMetrics' page size.
	listMetricsPage = 500
)

// checkPeriod checks a query period: 1, 5, 10, 20, 30, 60 or a multiple
// of 60 seconds.
func checkPeriod(secs int32, name string) (time.Duration, error) {
	switch {
	case secs == 1 || secs == 5 || secs == 10 || secs == 20 || secs == 30 || (secs > 0 && secs%60 == 0):
		return time.Duration(secs) * time.Second, nil
	}
	return 0, invalidValue("The parameter %s must be 1, 5, 10, 20, 30, 60 or a multiple of 60 (got %d).", name, secs)
}

// alignStart rounds t down to a multiple of period since the Unix epoch,
// so that periods fall on the same boundaries as the alarms'.
func alignStart(t time.Time, period time.Duration) time.Time {
	p := period.Milliseconds()
	ms := t.UnixMilli()
	r := ms % p
	if r < 0 {
		r += p
	}
	return time.UnixMilli(ms - r).UTC()
}

// timeRange checks StartTime < EndTime.
func timeRange(start, end *cloudwatch.Time) (time.Time, time.Time, error) {
	if start == nil || end == nil {
		return time.Time{}, time.Time{}, apiErr(errMissingParameter, "The parameters StartTime and EndTime are required.")
	}
	if !start.Before(end.Time) {
		return time.Time{}, time.Time{}, invalidValue("The parameter StartTime must be less than the parameter EndTime.")
	}
	return start.Time, end.Time, nil
}

// getMetricStatistics aggregates one metric over periods of [StartTime,
// EndTime), oldest first, with the statistics asked for. Percentiles
// (ExtendedStatistics) are refused.
func (a *API) getMetricStatistics(_ context.Context, in *cloudwatch.GetMetricStatisticsInput) (*cloudwatch.GetMetricStatisticsOutput, error) {
	if len(in.ExtendedStatistics) > 0 {
		return nil, combination("cutover does not compute ExtendedStatistics (percentiles such as %s); ask for Statistics: SampleCount, Average, Sum, Minimum, Maximum.", in.ExtendedStatistics[0])
	}
	if len(in.Statistics) == 0 {
		return nil, combination("At least one of the parameters Statistics and ExtendedStatistics must be specified.")
	}
	start, end, err := timeRange(in.StartTime, in.EndTime)
	if err != nil {
		return nil, err
	}
	period, err := checkPeriod(cloudwatch.Int32Value(in.Period), "Period")
	if err != nil {
		return nil, err
	}
	start = alignStart(start, period)
	if n := (end.Sub(start) + period - 1) / period; n > maxStatisticsPoints {
		return nil, combination("You have requested up to %d datapoints, which exceeds the limit of %d. You may reduce the datapoints requested by increasing Period, or decreasing the time range.", n, maxStatisticsPoints)
	}
	out := &cloudwatch.GetMetricStatisticsOutput{Label: in.MetricName, Datapoints: []cloudwatch.Datapoint{}}
	for _, dp := range a.metrics.Query(in.Namespace, in.MetricName, alarms.Dimensions(in.Dimensions), start, end, period) {
		if in.Unit != "" && dp.Unit != string(in.Unit) {
			continue
		}
		d := cloudwatch.Datapoint{Timestamp: cloudwatch.TimeOf(dp.Timestamp), Unit: unitOf(dp.Unit)}
		for _, s := range in.Statistics {
			v := cloudwatch.Float64(alarms.StatValue(dp.Stats, s))
			switch s {
			case cloudwatch.StatisticSampleCount:
				d.SampleCount = v
			case cloudwatch.StatisticAverage:
				d.Average = v
			case cloudwatch.StatisticSum:
				d.Sum = v
			case cloudwatch.StatisticMinimum:
				d.Minimum = v
			case cloudwatch.StatisticMaximum:
				d.Maximum = v
			}
		}
		out.Datapoints = append(out.Datapoints, d)
	}
	return out, nil
}

// unitOf is a series' unit on the wire: None when it has none.
func unitOf(u string) cloudwatch.StandardUnit {
	if u == "" {
		return cloudwatch.StandardUnitNone
	}
	return cloudwatch.StandardUnit(u)
}

// listMetrics lists the series that match a namespace, a metric name and
// dimension filters (a filter without Value matches any value), 500 a
// page. Every series of the store has data within its retention (three
// hours), so RecentlyActive changes nothing.
func (a *API) listMetrics(_ context.Context, in *cloudwatch.ListMetricsInput) (*cloudwatch.ListMetricsOutput, error) {
	after, err := decodeToken("metrics", in.NextToken)
	if err != nil {
		return nil, err
	}
	filters := make([]metrics.Dimension, len(in.Dimensions))
	for i, d := range in.Dimensions {
		filters[i] = metrics.Dimension{Name: d.Name, Value: d.Value}
	}
	out := &cloudwatch.ListMetricsOutput{Metrics: []cloudwatch.Metric{}}
	for _, s := range a.metrics.List(in.Namespace, in.MetricName, filters) {
		key := seriesKey(s)
		if after != "" && key <= after {
			continue
		}
		if len(out.Metrics) == listMetricsPage {
			last := out.Metrics[listMetricsPage-1]
			out.NextToken = encodeToken("metrics", seriesKey(metrics.Series{Namespace: last.Namespace, Name: last.MetricName, Dimensions: alarms.Dimensions(last.Dimensions)}))
			break
		}
		m := cloudwatch.Metric{Namespace: s.Namespace, MetricName: s.Name, Dimensions: []cloudwatch.Dimension{}}
		for _, d := range s.Dimensions {
			m.Dimensions = append(m.Dimensions, cloudwatch.Dimension{Name: d.Name, Value: d.Value})
		}
		out.Metrics = append(out.Metrics, m)
	}
	return out, nil
}

// seriesKey identifies a series in the order List sorts them.
func seriesKey(s metrics.Series) string {
	var b strings.Builder
	b.WriteString(s.Namespace + "\x00" + s.Name)
	for _, d := range s.Dimensions {
		b.WriteString("\x00" + d.Name + "=" + d.Value)
	}
	return b.String()
}
