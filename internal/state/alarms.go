package state

import (
	"errors"
	"fmt"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/store"
)

// Tables of the CloudWatch records. Alarms are keyed by name; history
// items by "name\x00" and a zero-padded sequence number, so that one
// alarm's items are one prefix, oldest first. Alarm names cannot hold
// control characters (PutMetricAlarm refuses them), so the NUL separator
// never appears inside a name.
const (
	tableAlarms       = "cw_alarms"
	tableAlarmHistory = "cw_alarm_history"
)

// Bounds of an alarm's history: AddAlarmHistory keeps the newest
// MaxAlarmHistory items of each alarm, and PruneAlarmHistory drops items
// older than AlarmHistoryRetention (CloudWatch keeps two weeks).
const (
	MaxAlarmHistory       = 100
	AlarmHistoryRetention = 14 * 24 * time.Hour
)

// AlarmArn returns the ARN of the metric alarm named name.
func (a ARNs) AlarmArn(name string) string {
	return "arn:aws:cloudwatch:" + a.Region + ":" + a.Account + ":alarm:" + name
}

// Alarm is a stored CloudWatch metric alarm: its definition as
// PutMetricAlarm gave it and its current state, exactly as
// DescribeAlarms shows it. StateValue is OK, ALARM or INSUFFICIENT_DATA;
// StateUpdatedTimestamp is when the state value or reason last changed and
// StateTransitionedTimestamp when the state value last changed.
type Alarm struct {
	cloudwatch.MetricAlarm
	// Tags are the tags PutMetricAlarm gave the alarm.
	Tags []cloudwatch.Tag `json:"cutoverTags,omitempty"`
}

// InAlarm reports whether the alarm is in the ALARM state.
func (a *Alarm) InAlarm() bool { return a.StateValue == cloudwatch.StateValueAlarm }

// StateChangedAt returns when the alarm's state value last changed (the
// zero time if it never did, which a stored alarm does not allow).
func (a *Alarm) StateChangedAt() time.Time {
	if a.StateTransitionedTimestamp != nil {
		return a.StateTransitionedTimestamp.Time
	}
	if a.StateUpdatedTimestamp != nil {
		return a.StateUpdatedTimestamp.Time
	}
	return time.Time{}
}

// AlarmHistoryItem is a stored history item of an alarm.
type AlarmHistoryItem struct {
	cloudwatch.AlarmHistoryItem
	// Seq orders items across alarms: it grows with every item stored,
	// so it sorts items by the time they were stored.
	Seq uint64 `json:"cutoverSeq"`
}

// Alarm returns the metric alarm named name, or an error wrapping
// store.ErrNotFound.
func (t Tx) Alarm(name string) (*Alarm, error) {
	return get[Alarm](t, tableAlarms, name, "alarm")
}

// PutAlarm stores a, keyed by its name, replacing any alarm of that name.
func (t Tx) PutAlarm(a *Alarm) error {
	if a.AlarmName == "" {
		return errors.New("put alarm: no name")
	}
	return store.PutJSON(t.Tx, tableAlarms, a.AlarmName, a)
}

// DeleteAlarm removes the alarm named name; deleting a missing alarm is a
// no-op. Its history stays until it ages out, as in CloudWatch.
func (t Tx) DeleteAlarm(name string) error { return t.Delete(tableAlarms, name) }

// Alarms calls fn for each alarm whose name starts with prefix and sorts
// after `after`, in name order. fn may return store.ErrStop.
func (t Tx) Alarms(prefix, after string, fn func(*Alarm) error) error {
	return scan(t, tableAlarms, prefix, after, fn)
}

// historyPrefix is the key prefix of the history of alarm name.
func historyPrefix(name string) string { return name + "\x00" }

// historyKey is the store key of history item seq of alarm name.
func historyKey(name string, seq uint64) string {
	return historyPrefix(name) + fmt.Sprintf("%020d", seq)
}

// AddAlarmHistory appends item to the history of item.AlarmName, giving
// it the next sequence number (item.Seq is set), and drops the oldest
// items of that alarm beyond MaxAlarmHistory.
func (t Tx) AddAlarmHistory(item *AlarmHistoryItem) error {
	name := item.AlarmName
	if name == "" {
		return errors.New("add alarm history: no alarm name")
	}
	seq, err := t.NextSequence(tableAlarmHistory)
	if err != nil {
		return fmt.Errorf("add alarm history of %q: %w", name, err)
	}
	item.Seq = seq
	if err := store.PutJSON(t.Tx, tableAlarmHistory, historyKey(name, seq), item); err != nil {
		return err
	}
	var keys []string
	err = t.Scan(tableAlarmHistory, historyPrefix(name), "", func(k string, _ []byte) error {
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return fmt.Errorf("trim alarm history of %q: %w", name, err)
	}
	for len(keys) > MaxAlarmHistory {
		if err := t.Delete(tableAlarmHistory, keys[0]); err != nil {
			return fmt.Errorf("trim alarm history of %q: %w", name, err)
		}
		keys = keys[1:]
	}
	return nil
}

// AlarmHistory calls fn for each history item of the alarm named name
// (of every alarm, deleted ones included, when name is empty): one
// alarm's items oldest first, alarms in name order. fn may return
// store.ErrStop.
func (t Tx) AlarmHistory(name string, fn func(*AlarmHistoryItem) error) error {
	prefix := ""
	if name != "" {
		prefix = historyPrefix(name)
	}
	return scan(t, tableAlarmHistory, prefix, "", fn)
}

// PruneAlarmHistory deletes the history items stored before `before` and
// returns how many it deleted.
func (t Tx) PruneAlarmHistory(before time.Time) (int, error) {
	var old []string
	err := store.ScanJSON(t.Tx, tableAlarmHistory, "", "", func(k string, item *AlarmHistoryItem) error {
		if item.Timestamp == nil || item.Timestamp.Before(before) {
			old = append(old, k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune alarm history: %w", err)
	}
	for _, k := range old {
		if err := t.Delete(tableAlarmHistory, k); err != nil {
			return 0, fmt.Errorf("prune alarm history: %w", err)
		}
	}
	return len(old), nil
}
