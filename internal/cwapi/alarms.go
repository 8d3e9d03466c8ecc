package cwapi

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/alarms"
	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// MaxAlarms bounds the number of metric alarms (CloudWatch's default
// quota per region is larger; a local server needs no more).
const MaxAlarms = 5000

// Defaults of DescribeAlarms.
const defaultDescribeAlarms = 50

// initialReason is the state reason of a new alarm, as CloudWatch words
// it.
const initialReason = "Unchecked: Initial alarm creation"

// putMetricAlarm creates an alarm in INSUFFICIENT_DATA, or replaces the
// definition of an existing one and keeps its state and tags (as
// CloudWatch does). Alarm actions are stored and shown, never run.
func (a *API) putMetricAlarm(ctx context.Context, in *cloudwatch.PutMetricAlarmInput) error {
	now := a.now()
	def := cloudwatch.MetricAlarm{
		AlarmName: in.AlarmName, AlarmArn: a.arns.AlarmArn(in.AlarmName), AlarmDescription: in.AlarmDescription,
		AlarmConfigurationUpdatedTimestamp: cloudwatch.TimeOf(now),
		ActionsEnabled:                     cloudwatch.Bool(cloudwatch.BoolValue(in.ActionsEnabled, true)),
		OKActions:                          in.OKActions, AlarmActions: in.AlarmActions, InsufficientDataActions: in.InsufficientDataActions,
		MetricName: in.MetricName, Namespace: in.Namespace, Statistic: in.Statistic, ExtendedStatistic: in.ExtendedStatistic,
		Dimensions: in.Dimensions, Period: in.Period, Unit: in.Unit, EvaluationPeriods: in.EvaluationPeriods,
		DatapointsToAlarm: in.DatapointsToAlarm, Threshold: in.Threshold, ComparisonOperator: in.ComparisonOperator,
		TreatMissingData: in.TreatMissingData, EvaluateLowSampleCountPercentile: in.EvaluateLowSampleCountPercentile,
		Metrics: in.Metrics, ThresholdMetricId: in.ThresholdMetricId, EvaluationCriteria: in.EvaluationCriteria,
		EvaluationInterval: in.EvaluationInterval,
	}
	spec, err := alarms.SpecOf(&def)
	if err != nil {
		return err
	}
	if spec.PromQL != "" && a.promql == nil {
		return invalidValue("The alarm's %s expression needs a Prometheus server: set prometheus.url in the server's config file.", alarms.PromQLPrefix)
	}
	return a.update(ctx, func(tx state.Tx) error {
		old, err := tx.Alarm(in.AlarmName)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		al := &state.Alarm{MetricAlarm: def}
		if old == nil {
			if err := a.checkAlarmQuota(tx); err != nil {
				return err
			}
			al.StateValue, al.StateReason = cloudwatch.StateValueInsufficientData, initialReason
			al.StateUpdatedTimestamp, al.StateTransitionedTimestamp = cloudwatch.TimeOf(now), cloudwatch.TimeOf(now)
			al.Tags = in.Tags
		} else {
			al.StateValue, al.StateReason, al.StateReasonData = old.StateValue, old.StateReason, old.StateReasonData
			al.StateUpdatedTimestamp, al.StateTransitionedTimestamp = old.StateUpdatedTimestamp, old.StateTransitionedTimestamp
			al.Tags = old.Tags
		}
		if err := tx.PutAlarm(al); err != nil {
			return err
		}
		item, err := alarms.ConfigurationHistory(old, al, now)
		if err != nil {
			return err
		}
		return tx.AddAlarmHistory(item)
	})
}

// checkAlarmQuota refuses a new alarm beyond MaxAlarms.
func (a *API) checkAlarmQuota(tx state.Tx) error {
	n := 0
	err := tx.Alarms("", "", func(*state.Alarm) error {
		n++
		return nil
	})
	if err != nil {
		return err
	}
	if n >= a.maxAlarms {
		return apiErr(errLimitExceeded, "The maximum number of alarms (%d) has been reached.", a.maxAlarms)
	}
	return nil
}

// describeAlarms lists metric alarms in name order, filtered by names or
// a name prefix, state and action prefix. cutover has no composite
// alarms: asking for them returns none.
func (a *API) describeAlarms(ctx context.Context, in *cloudwatch.DescribeAlarmsInput) (*cloudwatch.DescribeAlarmsOutput, error) {
	if len(in.AlarmNames) > 0 && in.AlarmNamePrefix != "" {
		return nil, combination("AlarmNames and AlarmNamePrefix cannot be given together.")
	}
	if in.ChildrenOfAlarmName != "" && in.ParentsOfAlarmName != "" {
		return nil, combination("ChildrenOfAlarmName and ParentsOfAlarmName cannot be given together.")
	}
	after, err := decodeToken("alarms", in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := defaultDescribeAlarms
	if in.MaxRecords != nil {
		limit = int(*in.MaxRecords)
	}
	wantMetric := len(in.AlarmTypes) == 0 || slices.Contains(in.AlarmTypes, cloudwatch.AlarmTypeMetricAlarm)
	out := &cloudwatch.DescribeAlarmsOutput{MetricAlarms: []cloudwatch.MetricAlarm{}, CompositeAlarms: []cloudwatch.CompositeAlarm{}}
	if !wantMetric || in.ChildrenOfAlarmName != "" || in.ParentsOfAlarmName != "" {
		return out, nil // metric alarms have no parents or children here
	}
	names := map[string]bool{}
	for _, n := range in.AlarmNames {
		names[n] = true
	}
	err = a.view(ctx, func(tx state.Tx) error {
		return tx.Alarms(in.AlarmNamePrefix, after, func(al *state.Alarm) error {
			if len(names) > 0 && !names[al.AlarmName] {
				return nil
			}
			if in.StateValue != "" && al.StateValue != in.StateValue {
				return nil
			}
			if in.ActionPrefix != "" && !hasActionPrefix(al, in.ActionPrefix) {
				return nil
			}
			if len(out.MetricAlarms) == limit {
				out.NextToken = encodeToken("alarms", out.MetricAlarms[limit-1].AlarmName)
				return store.ErrStop
			}
			out.MetricAlarms = append(out.MetricAlarms, al.MetricAlarm)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// hasActionPrefix reports whether one of the alarm's actions starts with
// prefix.
func hasActionPrefix(al *state.Alarm, prefix string) bool {
	for _, list := range [][]string{al.AlarmActions, al.OKActions, al.InsufficientDataActions} {
		for _, action := range list {
			if strings.HasPrefix(action, prefix) {
				return true
			}
		}
	}
	return false
}

// deleteAlarms deletes the named alarms, all or none: a name that is no
// alarm is a ResourceNotFound naming it (our choice; the model documents
// the error). Their history stays until it ages out.
func (a *API) deleteAlarms(ctx context.Context, in *cloudwatch.DeleteAlarmsInput) error {
	return a.update(ctx, func(tx state.Tx) error {
		var missing []string
		for _, name := range in.AlarmNames {
			if _, err := tx.Alarm(name); errors.Is(err, store.ErrNotFound) {
				missing = append(missing, name)
			} else if err != nil {
				return err
			}
		}
		if len(missing) > 0 {
			return apiErr(errResourceNotFound, "%d of the alarms to delete do not exist: %s. No alarm was deleted.", len(missing), strings.Join(missing, ", "))
		}
		for _, name := range in.AlarmNames {
			if err := tx.DeleteAlarm(name); err != nil {
				return err
			}
		}
		return nil
	})
}

// setAlarmState sets an alarm's state until the next evaluation changes
// it, recording a StateUpdate history item.
func (a *API) setAlarmState(ctx context.Context, in *cloudwatch.SetAlarmStateInput) error {
	if in.StateReasonData != "" && !json.Valid([]byte(in.StateReasonData)) {
		return apiErr(errInvalidFormat, "StateReasonData is not valid JSON.")
	}
	now := a.now()
	return a.update(ctx, func(tx state.Tx) error {
		al, err := tx.Alarm(in.AlarmName)
		if errors.Is(err, store.ErrNotFound) {
			return apiErr(errResourceNotFound, "Alarm %s not found", in.AlarmName)
		}
		if err != nil {
			return err
		}
		return alarms.SetState(tx, al, in.StateValue, in.StateReason, in.StateReasonData, now)
	})
}
