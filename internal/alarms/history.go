package alarms

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/state"
)

// SetState moves alarm a to value, with reason and reasonData (a JSON
// document, or empty), at now: it updates a's state fields, stores it and
// appends a StateUpdate history item, all in tx. A change of the state
// value also sets StateTransitionedTimestamp. The API's SetAlarmState and
// the evaluation loop both change states through it.
func SetState(tx state.Tx, a *state.Alarm, value cloudwatch.StateValue, reason, reasonData string, now time.Time) error {
	old := a.MetricAlarm
	a.StateValue, a.StateReason, a.StateReasonData = value, reason, reasonData
	a.StateUpdatedTimestamp = cloudwatch.TimeOf(now)
	if old.StateValue != value || a.StateTransitionedTimestamp == nil {
		a.StateTransitionedTimestamp = cloudwatch.TimeOf(now)
	}
	if err := tx.PutAlarm(a); err != nil {
		return fmt.Errorf("set state of alarm %q: %w", a.AlarmName, err)
	}
	data, err := json.Marshal(stateHistory{
		Version:  "1.0",
		OldState: stateOf(old.StateValue, old.StateReason, old.StateReasonData),
		NewState: stateOf(value, reason, reasonData),
	})
	if err != nil {
		return fmt.Errorf("set state of alarm %q: %w", a.AlarmName, err)
	}
	item := &state.AlarmHistoryItem{AlarmHistoryItem: cloudwatch.AlarmHistoryItem{
		AlarmName: a.AlarmName, AlarmType: cloudwatch.AlarmTypeMetricAlarm, Timestamp: cloudwatch.TimeOf(now),
		HistoryItemType: cloudwatch.HistoryItemTypeStateUpdate,
		HistorySummary:  fmt.Sprintf("Alarm updated from %s to %s", old.StateValue, value),
		HistoryData:     string(data),
	}}
	if err := tx.AddAlarmHistory(item); err != nil {
		return fmt.Errorf("set state of alarm %q: %w", a.AlarmName, err)
	}
	return nil
}

// stateHistory is the HistoryData of a StateUpdate item.
type stateHistory struct {
	Version  string       `json:"version"`
	OldState stateSummary `json:"oldState"`
	NewState stateSummary `json:"newState"`
}

// stateSummary is one side of a state change.
type stateSummary struct {
	StateValue      cloudwatch.StateValue `json:"stateValue"`
	StateReason     string                `json:"stateReason"`
	StateReasonData json.RawMessage       `json:"stateReasonData,omitempty"`
}

func stateOf(value cloudwatch.StateValue, reason, data string) stateSummary {
	s := stateSummary{StateValue: value, StateReason: reason}
	if data != "" && json.Valid([]byte(data)) {
		s.StateReasonData = json.RawMessage(data)
	}
	return s
}

// configHistory is the HistoryData of a ConfigurationUpdate item.
type configHistory struct {
	Version               string          `json:"version"`
	Type                  string          `json:"type"`
	CreatedAlarm          json.RawMessage `json:"createdAlarm,omitempty"`
	OriginalUpdatedFields map[string]any  `json:"originalUpdatedFields,omitempty"`
	UpdatedAlarm          json.RawMessage `json:"updatedAlarm,omitempty"`
}

// stateFields are the members of an alarm that are its state, not its
// configuration.
var stateFields = map[string]bool{
	"StateValue": true, "StateReason": true, "StateReasonData": true, "StateUpdatedTimestamp": true,
	"StateTransitionedTimestamp": true, "AlarmConfigurationUpdatedTimestamp": true, "EvaluationState": true,
}

// ConfigurationHistory returns the ConfigurationUpdate history item of
// creating an alarm (old nil) or of updating old to updated, at now. An
// update's data lists the previous values of the fields it changed.
func ConfigurationHistory(old, updated *state.Alarm, now time.Time) (*state.AlarmHistoryItem, error) {
	cur, err := json.Marshal(updated.MetricAlarm)
	if err != nil {
		return nil, fmt.Errorf("alarm %q history: %w", updated.AlarmName, err)
	}
	doc := configHistory{Version: "1.0", Type: "Create", CreatedAlarm: cur}
	summary := fmt.Sprintf("Alarm %q created", updated.AlarmName)
	if old != nil {
		doc = configHistory{Version: "1.0", Type: "Update", UpdatedAlarm: cur, OriginalUpdatedFields: map[string]any{}}
		summary = fmt.Sprintf("Alarm %q updated", updated.AlarmName)
		before, after := fieldsOf(old), fieldsOf(updated)
		if before == nil || after == nil {
			return nil, fmt.Errorf("alarm %q history: cannot compare configurations", updated.AlarmName)
		}
		for k, v := range before {
			if !stateFields[k] && string(after[k]) != string(v) {
				doc.OriginalUpdatedFields[k] = v
			}
		}
		for k := range after {
			if _, had := before[k]; !had && !stateFields[k] {
				doc.OriginalUpdatedFields[k] = nil
			}
		}
	}
	data, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("alarm %q history: %w", updated.AlarmName, err)
	}
	return &state.AlarmHistoryItem{AlarmHistoryItem: cloudwatch.AlarmHistoryItem{
		AlarmName: updated.AlarmName, AlarmType: cloudwatch.AlarmTypeMetricAlarm, Timestamp: cloudwatch.TimeOf(now),
		HistoryItemType: cloudwatch.HistoryItemTypeConfigurationUpdate, HistorySummary: summary, HistoryData: string(data),
	}}, nil
}

// fieldsOf returns the members of an alarm's definition as raw JSON, nil
// if it cannot be encoded.
func fieldsOf(a *state.Alarm) map[string]json.RawMessage {
	b, err := json.Marshal(a.MetricAlarm)
	if err != nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}
