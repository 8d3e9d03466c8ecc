package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/cutover/cutover/internal/store"
)

// Event detail types, as Amazon ECS spells them in EventBridge.
const (
	DetailDeploymentStateChange = "ECS Deployment State Change"
	DetailHookStateChange       = "ECS Hook State Change"
	DetailTaskStateChange       = "ECS Task State Change"
	DetailServiceAction         = "ECS Service Action"
)

// EventSource is the source of every event, as in EventBridge.
const EventSource = "aws.ecs"

// Event is the EventBridge envelope of a stored event. Its JSON is what
// the event log stores and what consumers receive.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       time.Time       `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// clock is read once per event written; tests replace it.
var clock = time.Now

// eventKey is the store key of event seq: zero-padded, so that keys sort
// in sequence order.
func eventKey(seq uint64) string { return fmt.Sprintf("%020d", seq) }

func parseEventKey(key string) (uint64, error) {
	seq, err := strconv.ParseUint(key, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("event key %q: %w", key, err)
	}
	return seq, nil
}

// AppendEvent adds an event to the event log as part of the transaction:
// it is kept if and only if the transaction commits. Account and region
// come from the first resource's ARN (they are empty when it is not an
// ECS ARN). Events get increasing sequence numbers in commit order.
func (t Tx) AppendEvent(detailType string, resources []string, detail any) error {
	return t.appendEvent(EventSource, detailType, resources, detail)
}

// appendEvent is AppendEvent with the event's source.
func (t Tx) appendEvent(source, detailType string, resources []string, detail any) error {
	raw, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encode %s event: %w", detailType, err)
	}
	ev := Event{
		Version:    "0",
		ID:         uuid.NewString(),
		DetailType: detailType,
		Source:     source,
		Time:       clock().UTC().Truncate(time.Second),
		Resources:  resources,
		Detail:     raw,
	}
	if ev.Resources == nil {
		ev.Resources = []string{}
	}
	if len(resources) > 0 {
		if a, err := ParseARN(resources[0]); err == nil {
			ev.Account, ev.Region = a.Account, a.Region
		}
	}
	seq, err := t.NextSequence(tableEvents)
	if err != nil {
		return fmt.Errorf("append %s event: %w", detailType, err)
	}
	if err := store.PutJSON(t.Tx, tableEvents, eventKey(seq), ev); err != nil {
		return fmt.Errorf("append %s event: %w", detailType, err)
	}
	return nil
}

// Events calls fn with each event whose sequence number is greater than
// after, in ascending order, with the envelope's JSON (one line). The
// envelope must not be kept after fn returns. fn may return store.ErrStop.
func (t Tx) Events(after uint64, fn func(seq uint64, envelope []byte) error) error {
	start := ""
	if after > 0 {
		start = eventKey(after)
	}
	return t.Scan(tableEvents, "", start, func(key string, b []byte) error {
		seq, err := parseEventKey(key)
		if err != nil {
			return err
		}
		return fn(seq, b)
	})
}

// LastEventSeq returns the sequence number of the newest event kept, or 0
// when there is none. It reads every key of the log, so callers should
// ask once and then follow the log with Events.
func (t Tx) LastEventSeq() (uint64, error) {
	var last uint64
	err := t.Events(0, func(seq uint64, _ []byte) error {
		last = seq
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("find the last event: %w", err)
	}
	return last, nil
}

// DeleteEvents removes the events whose sequence number is at most upTo
// and reports how many it removed. Sequence numbers are never reused, so
// pruning does not affect the numbering of later events.
func (t Tx) DeleteEvents(upTo uint64) (int, error) {
	var keys []string
	err := t.Events(0, func(seq uint64, _ []byte) error {
		if seq > upTo {
			return store.ErrStop
		}
		keys = append(keys, eventKey(seq))
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete events up to %d: %w", upTo, err)
	}
	for _, k := range keys {
		if err := t.Delete(tableEvents, k); err != nil {
			return 0, fmt.Errorf("delete events up to %d: %w", upTo, err)
		}
	}
	return len(keys), nil
}

// EventCursor returns how far the event consumer name has got: the
// sequence number of the last event it has handled, 0 when it has none.
func (t Tx) EventCursor(name string) (uint64, error) {
	b, err := t.Get(tableEventCursors, name)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("get event cursor %q: %w", name, err)
	}
	seq, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("decode event cursor %q: %w", name, err)
	}
	return seq, nil
}

// PutEventCursor records that the event consumer name has handled every
// event up to seq.
func (t Tx) PutEventCursor(name string, seq uint64) error {
	if err := t.Put(tableEventCursors, name, strconv.AppendUint(nil, seq, 10)); err != nil {
		return fmt.Errorf("put event cursor %q: %w", name, err)
	}
	return nil
}
