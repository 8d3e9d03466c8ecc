package alarms

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/metrics"
)

// PromQLPrefix starts the Expression of a metric query that Prometheus
// answers: "promql:<query>". An alarm whose only query is such an
// expression (with ReturnData true and a Period) compares the query's
// value with its threshold; GetMetricData returns the query's values.
const PromQLPrefix = "promql:"

// How missing datapoints are treated (TreatMissingData).
const (
	MissingMissing      = "missing"
	MissingIgnore       = "ignore"
	MissingBreaching    = "breaching"
	MissingNotBreaching = "notBreaching"
)

// Limits of an alarm's evaluation window, as CloudWatch sets them.
const (
	// MaxWindow bounds EvaluationPeriods × Period.
	MaxWindow = 7 * 24 * time.Hour
)

// Spec is what evaluating an alarm needs, read from its definition by
// SpecOf: one metric of the metrics store with a statistic, or one PromQL
// query, compared with a static threshold over the last
// EvaluationPeriods periods.
type Spec struct {
	// Namespace, MetricName and Dimensions name a series of the metrics
	// store; empty for a PromQL alarm.
	Namespace  string
	MetricName string
	Dimensions []metrics.Dimension
	// Statistic is the statistic of a metric alarm.
	Statistic cloudwatch.Statistic
	// Unit, when set, keeps only datapoints of that unit.
	Unit string
	// PromQL is the query of a PromQL alarm (without PromQLPrefix).
	PromQL string

	Period            time.Duration
	EvaluationPeriods int
	DatapointsToAlarm int
	Threshold         float64
	Comparison        cloudwatch.ComparisonOperator
	// TreatMissing is one of the Missing* constants.
	TreatMissing string
}

// Window is the span of the periods evaluated: EvaluationPeriods periods
// of Period ending at End.
func (s Spec) Window() time.Duration { return time.Duration(s.EvaluationPeriods) * s.Period }

// Kinds of SpecError, which the API answers with the model's error of the
// same meaning.
const (
	// KindInvalidValue is a parameter whose value is not allowed
	// (InvalidParameterValue).
	KindInvalidValue = "InvalidParameterValue"
	// KindCombination is parameters that do not go together, or a
	// feature cutover does not evaluate (InvalidParameterCombination).
	KindCombination = "InvalidParameterCombination"
	// KindMissing is a parameter that must be given (MissingParameter).
	KindMissing = "MissingParameter"
)

// SpecError is an alarm definition that cutover refuses, with the kind of
// error to answer and a message for the user. Find it with errors.As.
type SpecError struct {
	Kind    string
	Message string
}

// Error returns the message.
func (e *SpecError) Error() string { return e.Message }

func specErr(kind, format string, args ...any) *SpecError {
	return &SpecError{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// SpecOf checks an alarm definition and returns what evaluating it needs.
// It refuses (with a *SpecError) what CloudWatch refuses and what cutover
// does not evaluate: percentiles (ExtendedStatistic), anomaly detection
// bands (ThresholdMetricId and the band comparisons), metric math,
// EvaluationCriteria (native PromQL alarms; use a promql: expression).
func SpecOf(a *cloudwatch.MetricAlarm) (Spec, error) {
	var s Spec
	if i := strings.IndexFunc(a.AlarmName, unicode.IsControl); i >= 0 {
		return s, specErr(KindInvalidValue, "The alarm name %q contains a control character.", a.AlarmName)
	}
	if a.EvaluationCriteria != nil || a.EvaluationInterval != nil {
		return s, specErr(KindCombination, "cutover does not evaluate EvaluationCriteria or EvaluationInterval (PromQL alarms with contributors); give Metrics one query whose Expression is %q.", PromQLPrefix+"<query>")
	}
	if a.ThresholdMetricId != "" {
		return s, specErr(KindCombination, "cutover does not evaluate anomaly detection alarms (ThresholdMetricId); use a static Threshold.")
	}
	switch a.ComparisonOperator {
	case cloudwatch.ComparisonOperatorGreaterThanThreshold, cloudwatch.ComparisonOperatorGreaterThanOrEqualToThreshold,
		cloudwatch.ComparisonOperatorLessThanThreshold, cloudwatch.ComparisonOperatorLessThanOrEqualToThreshold:
	case "":
		return s, specErr(KindMissing, "The parameter ComparisonOperator is required.")
	default:
		return s, specErr(KindCombination, "cutover does not evaluate the comparison operator %s (anomaly detection bands); use GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold or LessThanOrEqualToThreshold.", a.ComparisonOperator)
	}
	s.Comparison = a.ComparisonOperator
	if a.Threshold == nil {
		return s, specErr(KindMissing, "The parameter Threshold is required.")
	}
	if math.IsNaN(*a.Threshold) || math.IsInf(*a.Threshold, 0) {
		return s, specErr(KindInvalidValue, "The parameter Threshold must be a finite number.")
	}
	s.Threshold = *a.Threshold
	if a.EvaluationPeriods == nil || *a.EvaluationPeriods < 1 {
		return s, specErr(KindMissing, "The parameter EvaluationPeriods is required and must be at least 1.")
	}
	s.EvaluationPeriods = int(*a.EvaluationPeriods)
	s.DatapointsToAlarm = s.EvaluationPeriods
	if a.DatapointsToAlarm != nil {
		s.DatapointsToAlarm = int(*a.DatapointsToAlarm)
		if s.DatapointsToAlarm < 1 || s.DatapointsToAlarm > s.EvaluationPeriods {
			return s, specErr(KindInvalidValue, "DatapointsToAlarm (%d) must be between 1 and EvaluationPeriods (%d).", s.DatapointsToAlarm, s.EvaluationPeriods)
		}
	}
	switch a.TreatMissingData {
	case "":
		s.TreatMissing = MissingMissing
	case MissingMissing, MissingIgnore, MissingBreaching, MissingNotBreaching:
		s.TreatMissing = a.TreatMissingData
	default:
		return s, specErr(KindInvalidValue, "The value %q of TreatMissingData is not valid: use breaching, notBreaching, ignore or missing.", a.TreatMissingData)
	}
	if a.EvaluateLowSampleCountPercentile != "" {
		return s, specErr(KindCombination, "EvaluateLowSampleCountPercentile applies to percentiles, which cutover does not evaluate.")
	}
	var err error
	if len(a.Metrics) > 0 {
		err = metricsSpec(a, &s)
	} else {
		err = singleMetricSpec(a, &s)
	}
	if err != nil {
		return s, err
	}
	if int64(s.EvaluationPeriods)*int64(s.Period/time.Second) > int64(MaxWindow/time.Second) { // in seconds: no overflow
		return s, specErr(KindInvalidValue, "EvaluationPeriods × Period must not exceed %d seconds (7 days).", int(MaxWindow.Seconds()))
	}
	return s, nil
}

// singleMetricSpec reads an alarm on one metric (MetricName, Namespace,
// Statistic, Period).
func singleMetricSpec(a *cloudwatch.MetricAlarm, s *Spec) error {
	if a.ExtendedStatistic != "" {
		if a.Statistic != "" {
			return specErr(KindCombination, "Statistic and ExtendedStatistic cannot both be given.")
		}
		return specErr(KindCombination, "cutover does not evaluate percentiles (ExtendedStatistic %s); use a Statistic: SampleCount, Average, Sum, Minimum or Maximum.", a.ExtendedStatistic)
	}
	switch {
	case a.MetricName == "":
		return specErr(KindMissing, "The parameter MetricName is required (or give Metrics).")
	case a.Namespace == "":
		return specErr(KindMissing, "The parameter Namespace is required (or give Metrics).")
	case a.Statistic == "":
		return specErr(KindMissing, "The parameter Statistic is required (or give Metrics).")
	case a.Period == nil:
		return specErr(KindMissing, "The parameter Period is required (or give Metrics).")
	}
	period, err := alarmPeriod(*a.Period, "Period")
	if err != nil {
		return err
	}
	s.Namespace, s.MetricName, s.Statistic, s.Unit, s.Period = a.Namespace, a.MetricName, a.Statistic, string(a.Unit), period
	s.Dimensions = Dimensions(a.Dimensions)
	return nil
}

// metricsSpec reads an alarm on Metrics: one MetricStat query or one
// promql: expression, returning data.
func metricsSpec(a *cloudwatch.MetricAlarm, s *Spec) error {
	if a.MetricName != "" || a.Namespace != "" || a.Statistic != "" || a.ExtendedStatistic != "" || len(a.Dimensions) > 0 || a.Period != nil || a.Unit != "" {
		return specErr(KindCombination, "Metrics cannot be given with MetricName, Namespace, Statistic, ExtendedStatistic, Dimensions, Period or Unit.")
	}
	if len(a.Metrics) != 1 {
		return specErr(KindCombination, "cutover does not evaluate metric math: Metrics must hold exactly one query, a MetricStat or an Expression %q.", PromQLPrefix+"<query>")
	}
	q := a.Metrics[0]
	if q.ReturnData != nil && !*q.ReturnData {
		return specErr(KindInvalidValue, "The query %q of Metrics must have ReturnData true: it is the alarm's value.", q.Id)
	}
	if (q.MetricStat == nil) == (q.Expression == "") {
		return specErr(KindInvalidValue, "The query %q of Metrics must have exactly one of MetricStat and Expression.", q.Id)
	}
	if q.MetricStat != nil {
		ms := q.MetricStat
		if ms.Metric == nil || ms.Metric.MetricName == "" || ms.Metric.Namespace == "" {
			return specErr(KindMissing, "The MetricStat of query %q must name a Metric with MetricName and Namespace.", q.Id)
		}
		stat, err := ParseStatistic(ms.Stat)
		if err != nil {
			return err
		}
		if ms.Period == nil {
			return specErr(KindMissing, "The MetricStat of query %q needs a Period.", q.Id)
		}
		period, err := alarmPeriod(*ms.Period, "MetricStat.Period")
		if err != nil {
			return err
		}
		s.Namespace, s.MetricName, s.Statistic, s.Unit, s.Period = ms.Metric.Namespace, ms.Metric.MetricName, stat, string(ms.Unit), period
		s.Dimensions = Dimensions(ms.Metric.Dimensions)
		return nil
	}
	query, ok := strings.CutPrefix(q.Expression, PromQLPrefix)
	if !ok {
		return specErr(KindInvalidValue, "cutover does not evaluate metric math expressions (%q): an Expression must be %q.", q.Expression, PromQLPrefix+"<query>")
	}
	if strings.TrimSpace(query) == "" {
		return specErr(KindInvalidValue, "The expression of query %q has an empty PromQL query.", q.Id)
	}
	if q.Period == nil {
		return specErr(KindMissing, "The query %q needs a Period: the step of its PromQL query.", q.Id)
	}
	period, err := alarmPeriod(*q.Period, "Period")
	if err != nil {
		return err
	}
	s.PromQL, s.Period = query, period
	return nil
}

// alarmPeriod checks an alarm's period: 10, 20, 30 or a multiple of 60
// seconds, as CloudWatch allows.
func alarmPeriod(secs int32, name string) (time.Duration, error) {
	if secs == 10 || secs == 20 || secs == 30 || (secs > 0 && secs%60 == 0) {
		return time.Duration(secs) * time.Second, nil
	}
	return 0, specErr(KindInvalidValue, "The parameter %s must be 10, 20, 30 or a multiple of 60 (got %d).", name, secs)
}

// ParseStatistic reads the Stat of a MetricStat: one of the five
// statistics cutover computes. Percentiles and other extended statistics
// are a *SpecError of KindInvalidValue.
func ParseStatistic(stat string) (cloudwatch.Statistic, error) {
	for _, v := range cloudwatch.Statistic("").Values() {
		if string(v) == stat {
			return v, nil
		}
	}
	return "", specErr(KindInvalidValue, "cutover computes the statistics SampleCount, Average, Sum, Minimum and Maximum, not %q.", stat)
}

// Dimensions converts CloudWatch dimensions to the metrics store's.
func Dimensions(ds []cloudwatch.Dimension) []metrics.Dimension {
	out := make([]metrics.Dimension, len(ds))
	for i, d := range ds {
		out[i] = metrics.Dimension{Name: d.Name, Value: d.Value}
	}
	return out
}

// StatValue returns statistic stat of st.
func StatValue(st metrics.Stats, stat cloudwatch.Statistic) float64 {
	switch stat {
	case cloudwatch.StatisticSampleCount:
		return st.SampleCount
	case cloudwatch.StatisticSum:
		return st.Sum
	case cloudwatch.StatisticMinimum:
		return st.Minimum
	case cloudwatch.StatisticMaximum:
		return st.Maximum
	default:
		return st.Average()
	}
}
