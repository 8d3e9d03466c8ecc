package state

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/store"
)

var (
	evARNs   = ARNs{Region: "us-east-1", Account: "000000000000"}
	evT0     = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	evClock  = evT0.Add(90*time.Second + 250*time.Millisecond)
	uuidExpr = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
)

// fixClock makes the events written by the test carry evClock.
func fixClock(t *testing.T) {
	t.Helper()
	clock = func() time.Time { return evClock }
	t.Cleanup(func() { clock = time.Now })
}

// wantEvent is an expected event: its envelope is checked in full but
// for the random ID; account and region are evARNs'.
type wantEvent struct {
	detailType string
	resources  []string
	detail     string
}

type seqEvent struct {
	seq uint64
	env []byte
}

// readEvents returns the events after seq `after`.
func readEvents(t *testing.T, st store.Store, after uint64) []seqEvent {
	t.Helper()
	var out []seqEvent
	err := View(context.Background(), st, func(tx Tx) error {
		return tx.Events(after, func(seq uint64, env []byte) error {
			out = append(out, seqEvent{seq, append([]byte(nil), env...)})
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func lastSeq(t *testing.T, st store.Store) uint64 {
	t.Helper()
	var seq uint64
	err := View(context.Background(), st, func(tx Tx) (err error) {
		seq, err = tx.LastEventSeq()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// checkEvents compares the events after seq `after` with want.
func checkEvents(t *testing.T, st store.Store, after uint64, want []wantEvent) {
	t.Helper()
	got := readEvents(t, st, after)
	if len(got) != len(want) {
		var names []string
		for _, g := range got {
			names = append(names, string(g.env))
		}
		t.Fatalf("got %d events, want %d:\n%v", len(got), len(want), names)
	}
	for i, g := range got {
		var env map[string]any
		if err := json.Unmarshal(g.env, &env); err != nil {
			t.Fatalf("event %d: %v: %s", g.seq, err, g.env)
		}
		if id, _ := env["id"].(string); !uuidExpr.MatchString(id) {
			t.Errorf("event %d: id %q is not a UUID", g.seq, id)
		}
		delete(env, "id")
		var detail any
		if err := json.Unmarshal([]byte(want[i].detail), &detail); err != nil {
			t.Fatalf("want[%d].detail: %v", i, err)
		}
		resources := make([]any, len(want[i].resources))
		for j, r := range want[i].resources {
			resources[j] = r
		}
		w := map[string]any{
			"version": "0", "detail-type": want[i].detailType, "source": "aws.ecs",
			"account": "000000000000", "region": "us-east-1", "time": "2026-03-01T12:01:30Z",
			"resources": resources, "detail": detail,
		}
		if !reflect.DeepEqual(env, w) {
			gotJSON, _ := json.Marshal(env)
			wantJSON, _ := json.Marshal(w)
			t.Errorf("event %d:\n got %s\nwant %s", i, gotJSON, wantJSON)
		}
	}
}

func TestEventLog(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	svc := evARNs.Service("default", "web")
	err := Update(ctx, st, func(tx Tx) error {
		for i := range 12 {
			if err := tx.AppendEvent(DetailServiceAction, []string{svc}, map[string]int{"n": i + 1}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seqs := func(evs []seqEvent) []uint64 {
		var out []uint64
		for _, e := range evs {
			out = append(out, e.seq)
		}
		return out
	}
	// Keys are zero-padded: 10, 11 and 12 sort after 9.
	if got, want := seqs(readEvents(t, st, 5)), []uint64{6, 7, 8, 9, 10, 11, 12}; !reflect.DeepEqual(got, want) {
		t.Fatalf("Events(5) = %v, want %v", got, want)
	}
	var ev Event
	if err := json.Unmarshal(readEvents(t, st, 9)[0].env, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.DetailType != DetailServiceAction || ev.Source != EventSource || ev.Account != "000000000000" ||
		ev.Region != "us-east-1" || string(ev.Detail) != `{"n":10}` || !reflect.DeepEqual(ev.Resources, []string{svc}) {
		t.Errorf("event 10 = %+v", ev)
	}

	var first []uint64
	err = View(ctx, st, func(tx Tx) error {
		return tx.Events(0, func(seq uint64, _ []byte) error {
			first = append(first, seq)
			if len(first) == 2 {
				return store.ErrStop
			}
			return nil
		})
	})
	if err != nil || !reflect.DeepEqual(first, []uint64{1, 2}) {
		t.Fatalf("Events with ErrStop = %v, %v", first, err)
	}

	var deleted int
	if err := Update(ctx, st, func(tx Tx) (err error) { deleted, err = tx.DeleteEvents(7); return err }); err != nil || deleted != 7 {
		t.Fatalf("DeleteEvents(7) = %d, %v", deleted, err)
	}
	if got, want := seqs(readEvents(t, st, 0)), []uint64{8, 9, 10, 11, 12}; !reflect.DeepEqual(got, want) {
		t.Fatalf("after DeleteEvents(7): %v, want %v", got, want)
	}
	// Sequence numbers are not reused after pruning.
	if err := Update(ctx, st, func(tx Tx) error { return tx.AppendEvent(DetailServiceAction, nil, nil) }); err != nil {
		t.Fatal(err)
	}
	if got := lastSeq(t, st); got != 13 {
		t.Fatalf("LastEventSeq = %d, want 13", got)
	}
	if err := json.Unmarshal(readEvents(t, st, 12)[0].env, &ev); err != nil || ev.Resources == nil || ev.Account != "" {
		t.Fatalf("event without resources = %+v, %v", ev, err)
	}
}

func TestEventCursor(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	var got uint64
	if err := View(ctx, st, func(tx Tx) (err error) { got, err = tx.EventCursor("slack"); return err }); err != nil || got != 0 {
		t.Fatalf("missing cursor = %d, %v", got, err)
	}
	if err := Update(ctx, st, func(tx Tx) error { return tx.PutEventCursor("slack", 42) }); err != nil {
		t.Fatal(err)
	}
	if err := View(ctx, st, func(tx Tx) (err error) { got, err = tx.EventCursor("slack"); return err }); err != nil || got != 42 {
		t.Fatalf("cursor = %d, %v", got, err)
	}
}

// TestEventsRollBack checks that events are part of the transaction
// that causes them: a failing transaction leaves none.
func TestEventsRollBack(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := Update(ctx, st, func(tx Tx) error {
		d := &deploy.Deployment{
			Arn:        evARNs.ServiceDeployment("default", "web", "1"),
			ServiceArn: evARNs.Service("default", "web"),
			Status:     ecs.ServiceDeploymentStatusInProgress,
		}
		if err := tx.PutDeployment(d); err != nil {
			return err
		}
		if err := tx.PutService(&Service{Service: ecs.Service{ServiceArn: d.ServiceArn, ServiceName: "web", ClusterArn: evARNs.Cluster("default")}, Steady: true}); err != nil {
			return err
		}
		if got := len(readEventsTx(t, tx)); got != 2 {
			t.Errorf("inside the transaction: %d events, want 2", got)
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update = %v", err)
	}
	checkEvents(t, st, 0, nil)
}

func readEventsTx(t *testing.T, tx Tx) []uint64 {
	t.Helper()
	var out []uint64
	if err := tx.Events(0, func(seq uint64, _ []byte) error { out = append(out, seq); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}
