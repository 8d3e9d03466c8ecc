package alarms

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
)

// comparisonWords are how a reason spells each comparison.
var comparisonWords = map[cloudwatch.ComparisonOperator]string{
	cloudwatch.ComparisonOperatorGreaterThanThreshold:          "greater than",
	cloudwatch.ComparisonOperatorGreaterThanOrEqualToThreshold: "greater than or equal to",
	cloudwatch.ComparisonOperatorLessThanThreshold:             "less than",
	cloudwatch.ComparisonOperatorLessThanOrEqualToThreshold:    "less than or equal to",
}

// thresholdReason writes the StateReason of a transition to state (OK or
// ALARM) as CloudWatch does, for example
//
//	Threshold Crossed: 3 out of the last 3 datapoints [5.0 (24/11/26 12:02:00), 4.0 (24/11/26 12:01:00), 3.0 (24/11/26 12:00:00)] were greater than the threshold (1.0) (minimum 3 datapoints for OK -> ALARM transition).
//
// It returns the slots it names (newest first), which the reason data
// lists as evaluated datapoints.
func thresholdReason(in Input, slots []slot, state cloudwatch.StateValue) (string, []slot) {
	spec := in.Spec
	n := spec.EvaluationPeriods
	toAlarm := state == cloudwatch.StateValueAlarm
	// The datapoints that argue for the new state, newest first, and the
	// missing periods treated the same way.
	var listed, treated []slot
	for i := len(slots) - 1; i >= 0; i-- {
		s := slots[i]
		switch {
		case s.point != nil && s.breaching == toAlarm:
			listed = append(listed, s)
		case s.point == nil && ((toAlarm && spec.TreatMissing == MissingBreaching) || (!toAlarm && spec.TreatMissing == MissingNotBreaching)):
			treated = append(treated, s)
		}
	}
	treatedAs := "[NonBreaching]"
	if toAlarm {
		treatedAs = "[Breaching]"
	}
	if len(listed) == 0 {
		k := len(treated)
		return "Threshold Crossed: no datapoints were received for " + countNoun(k, "period") + " and " +
			countNoun(k, "missing datapoint") + " " + wasWere(k) + " treated as " + treatedAs + ".", treated
	}
	var b strings.Builder
	b.WriteString("Threshold Crossed: ")
	if n == 1 {
		b.WriteString("1 datapoint")
	} else {
		b.WriteString(strconv.Itoa(len(listed)) + " out of the last " + countNoun(n, "datapoint"))
	}
	b.WriteString(" [")
	for i, s := range listed {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(FormatValue(s.point.Value) + " (" + s.start.UTC().Format("02/01/06 15:04:05") + ")")
	}
	b.WriteString("] " + wasWere(len(listed)) + " ")
	if !toAlarm {
		b.WriteString("not ")
	}
	b.WriteString(comparisonWords[spec.Comparison] + " the threshold (" + FormatValue(spec.Threshold) + ")")
	if len(treated) > 0 {
		b.WriteString(" and " + countNoun(len(treated), "missing datapoint") + " " + wasWere(len(treated)) + " treated as " + treatedAs)
	}
	if n > 1 {
		old := in.State
		if old == "" {
			old = cloudwatch.StateValueInsufficientData
		}
		need := spec.DatapointsToAlarm
		if !toAlarm {
			need = n - spec.DatapointsToAlarm + 1
		}
		b.WriteString(" (minimum " + countNoun(need, "datapoint") + " for " + string(old) + " -> " + string(state) + " transition)")
	}
	b.WriteString(".")
	return b.String(), append(listed, treated...)
}

// countNoun writes "1 datapoint" or "3 datapoints".
func countNoun(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}

// wasWere is the verb agreeing with n things.
func wasWere(n int) string {
	if n == 1 {
		return "was"
	}
	return "were"
}

// FormatValue writes a number as CloudWatch's reasons do (Java's
// Double.toString): 5.0, 0.25, 1.0E7, 1.0E-4.
func FormatValue(v float64) string {
	switch {
	case math.IsNaN(v):
		return "NaN"
	case math.IsInf(v, 1):
		return "Infinity"
	case math.IsInf(v, -1):
		return "-Infinity"
	case v == 0:
		if math.Signbit(v) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(v); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(v, 'f', -1, 64)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(v, 'E', -1, 64) // 1E+07, 1.5E-04
	mant, exp, _ := strings.Cut(s, "E")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}

// reasonTime is how reason data writes timestamps.
func reasonTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// reasonDoc is the StateReasonData document of an evaluation, in
// CloudWatch's layout (with promql instead of statistic for a PromQL
// alarm).
type reasonDoc struct {
	Version             string           `json:"version"`
	QueryDate           string           `json:"queryDate"`
	StartDate           string           `json:"startDate"`
	Statistic           string           `json:"statistic,omitempty"`
	Unit                string           `json:"unit,omitempty"`
	PromQL              string           `json:"promql,omitempty"`
	Period              int              `json:"period"`
	RecentDatapoints    []float64        `json:"recentDatapoints"`
	Threshold           float64          `json:"threshold"`
	EvaluatedDatapoints []evaluatedPoint `json:"evaluatedDatapoints,omitempty"`
}

// evaluatedPoint is one datapoint a reason names; a missing one has no
// value.
type evaluatedPoint struct {
	Timestamp   string   `json:"timestamp"`
	SampleCount *float64 `json:"sampleCount,omitempty"`
	Value       *float64 `json:"value,omitempty"`
}

// reasonData writes the StateReasonData of an evaluation: the window's
// datapoints, oldest first, and those the reason names.
func reasonData(in Input, used []slot) string {
	spec := in.Spec
	doc := reasonDoc{
		Version: "1.0", QueryDate: reasonTime(in.Now), StartDate: reasonTime(in.Start),
		Statistic: string(spec.Statistic), Unit: spec.Unit, PromQL: spec.PromQL,
		Period: int(spec.Period.Seconds()), Threshold: spec.Threshold, RecentDatapoints: []float64{},
	}
	if spec.PromQL != "" {
		doc.Statistic = ""
	}
	for _, s := range fill(in) {
		if s.point != nil {
			doc.RecentDatapoints = append(doc.RecentDatapoints, s.point.Value)
		}
	}
	for _, s := range used {
		e := evaluatedPoint{Timestamp: reasonTime(s.start)}
		if s.point != nil {
			e.Value = &s.point.Value
			if s.point.SampleCount > 0 {
				e.SampleCount = &s.point.SampleCount
			}
		}
		doc.EvaluatedDatapoints = append(doc.EvaluatedDatapoints, e)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "" // values are finite (fill drops the others), so this does not happen
	}
	return string(b)
}
