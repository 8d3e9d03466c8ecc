package alarms

import (
	"math"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
)

// Point is the value of one period of an alarm's metric.
type Point struct {
	// Start is the start of the period.
	Start time.Time
	// Value is the statistic (or the PromQL value) of the period.
	Value float64
	// SampleCount is how many samples the period aggregates (0 when
	// unknown, as for PromQL).
	SampleCount float64
}

// Input is everything one evaluation looks at.
type Input struct {
	Spec Spec
	// State is the alarm's current state.
	State cloudwatch.StateValue
	// Now is when the evaluation runs (the reason data's queryDate).
	Now time.Time
	// Start is the start of the first period evaluated; the window is
	// Spec.EvaluationPeriods periods from there (see WindowAt).
	Start time.Time
	// Points are the datapoints read for the window, in any order; those
	// outside it are ignored.
	Points []Point
	// Err, when set, is why the datapoints could not be read (a failed
	// PromQL query). The alarm then goes to INSUFFICIENT_DATA, unless it
	// ignores missing data.
	Err error
}

// Result is the outcome of an evaluation.
type Result struct {
	// State is the state the alarm should be in.
	State cloudwatch.StateValue
	// Reason and ReasonData explain State in CloudWatch's words; they are
	// empty when the evaluation keeps the current state without a
	// verdict (missing data that the alarm ignores).
	Reason     string
	ReasonData string
}

// WindowAt returns the start of the evaluation window of spec at now: the
// last EvaluationPeriods complete periods, periods aligned on multiples of
// Period since the Unix epoch. A period is complete once its end is lag
// in the past, which leaves the metrics collector time to report it.
func WindowAt(spec Spec, now time.Time, lag time.Duration) (start, end time.Time) {
	p := spec.Period.Milliseconds()
	ms := now.Add(-lag).UnixMilli()
	endMs := ms - mod(ms, p)
	end = time.UnixMilli(endMs).UTC()
	return end.Add(-spec.Window()), end
}

// mod is a modulo that is never negative.
func mod(a, b int64) int64 {
	m := a % b
	if m < 0 {
		m += b
	}
	return m
}

// slot is one period of the window with its verdict.
type slot struct {
	start     time.Time
	point     *Point
	breaching bool
}

// Evaluate decides an alarm's state from the datapoints of its window
// (M out of N, where M is DatapointsToAlarm and N EvaluationPeriods):
//
//   - breaching and notBreaching: missing periods count as breaching or
//     not; the alarm is ALARM when at least M periods breach, else OK.
//   - missing and ignore: missing periods are left out. With no datapoint
//     at all, missing goes to INSUFFICIENT_DATA and ignore keeps the
//     state. Otherwise the alarm is ALARM when at least M datapoints
//     breach, OK when it could not reach M even if every missing period
//     breached, and keeps its state when the missing periods would decide
//     (our choice: no early transition on partial data).
//
// It is a pure function: the clock is in.Now.
func Evaluate(in Input) Result {
	spec := in.Spec
	n, m := spec.EvaluationPeriods, spec.DatapointsToAlarm
	if in.Err != nil {
		if spec.TreatMissing == MissingIgnore {
			return Result{State: in.State}
		}
		return Result{
			State:      cloudwatch.StateValueInsufficientData,
			Reason:     "Insufficient Data: the query failed: " + in.Err.Error() + ".",
			ReasonData: reasonData(in, nil),
		}
	}
	slots := fill(in)
	var breaching, good, missing int
	for _, s := range slots {
		switch {
		case s.point == nil:
			missing++
		case s.breaching:
			breaching++
		default:
			good++
		}
	}
	var state cloudwatch.StateValue
	switch spec.TreatMissing {
	case MissingBreaching:
		state = cloudwatch.StateValueOk
		if breaching+missing >= m {
			state = cloudwatch.StateValueAlarm
		}
	case MissingNotBreaching:
		state = cloudwatch.StateValueOk
		if breaching >= m {
			state = cloudwatch.StateValueAlarm
		}
	default:
		switch {
		case missing == n && spec.TreatMissing == MissingIgnore:
			return Result{State: in.State}
		case missing == n:
			return Result{
				State:      cloudwatch.StateValueInsufficientData,
				Reason:     "Insufficient Data: " + countNoun(n, "datapoint") + " " + wasWere(n) + " unknown.",
				ReasonData: reasonData(in, nil),
			}
		case breaching >= m:
			state = cloudwatch.StateValueAlarm
		case breaching+missing < m:
			state = cloudwatch.StateValueOk
		default:
			return Result{State: in.State}
		}
	}
	reason, used := thresholdReason(in, slots, state)
	return Result{State: state, Reason: reason, ReasonData: reasonData(in, used)}
}

// fill places the points of the window in their periods, oldest first,
// and judges each present one against the threshold.
func fill(in Input) []slot {
	spec := in.Spec
	slots := make([]slot, spec.EvaluationPeriods)
	for i := range slots {
		slots[i].start = in.Start.Add(time.Duration(i) * spec.Period)
	}
	for i := range in.Points {
		p := &in.Points[i]
		if math.IsNaN(p.Value) || math.IsInf(p.Value, 0) {
			continue // a PromQL value that is no number counts as missing
		}
		off := p.Start.Sub(in.Start)
		if off < 0 || off%spec.Period != 0 {
			continue
		}
		idx := int(off / spec.Period)
		if idx >= len(slots) {
			continue
		}
		slots[idx].point = p
		slots[idx].breaching = Breaches(spec.Comparison, p.Value, spec.Threshold)
	}
	return slots
}

// Breaches reports whether value crosses the threshold under op.
func Breaches(op cloudwatch.ComparisonOperator, value, threshold float64) bool {
	switch op {
	case cloudwatch.ComparisonOperatorGreaterThanThreshold:
		return value > threshold
	case cloudwatch.ComparisonOperatorGreaterThanOrEqualToThreshold:
		return value >= threshold
	case cloudwatch.ComparisonOperatorLessThanThreshold:
		return value < threshold
	case cloudwatch.ComparisonOperatorLessThanOrEqualToThreshold:
		return value <= threshold
	}
	return false
}
