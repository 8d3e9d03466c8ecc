// Package alarms evaluates CloudWatch metric alarms continuously, as
// CloudWatch does, on cutover's own metrics (the load balancer's, in the
// metrics store) or on a PromQL query answered by Prometheus.
//
// SpecOf reads an alarm definition into what evaluating it needs and
// refuses what cutover does not evaluate (percentiles, anomaly detection,
// metric math). Evaluate is a pure function with an injected clock: from
// the datapoints of the last EvaluationPeriods complete periods (a period
// is complete once its end is DefaultLag in the past) it decides OK,
// ALARM or INSUFFICIENT_DATA by DatapointsToAlarm out of
// EvaluationPeriods and TreatMissingData, with CloudWatch's StateReason
// and StateReasonData. The Evaluator runs it for every alarm every
// DefaultInterval and persists only changes: the alarm's new state and a
// StateUpdate history item in one transaction (SetState, which the API's
// SetAlarmState uses too, so a state set by hand holds until the next
// evaluation changes it).
//
// A PromQL alarm has one metric query whose Expression is
// "promql:<query>" with ReturnData true and a Period: the value of the
// period [t, t+Period) is the query evaluated at t+Period, fetched with
// one query_range over the window. The query must return at most one
// series.
package alarms
