package state

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/store"
)

var alarmT0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func historyItem(name string, at time.Time, summary string) *AlarmHistoryItem {
	return &AlarmHistoryItem{AlarmHistoryItem: cloudwatch.AlarmHistoryItem{
		AlarmName: name, Timestamp: cloudwatch.TimeOf(at), HistoryItemType: cloudwatch.HistoryItemTypeStateUpdate, HistorySummary: summary,
	}}
}

func TestAlarms(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	err := Update(ctx, st, func(tx Tx) error {
		for _, name := range []string{"web-5xx", "web", "api-latency"} {
			a := &Alarm{MetricAlarm: cloudwatch.MetricAlarm{
				AlarmName: name, AlarmArn: elbARNs.AlarmArn(name), StateValue: cloudwatch.StateValueOk,
				StateUpdatedTimestamp: cloudwatch.TimeOf(alarmT0),
			}}
			if err := tx.PutAlarm(a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := Update(ctx, st, func(tx Tx) error { return tx.PutAlarm(&Alarm{}) }); err == nil {
		t.Fatal("an alarm without a name was stored")
	}
	err = Update(ctx, st, func(tx Tx) error {
		return tx.PutAlarm(&Alarm{MetricAlarm: cloudwatch.MetricAlarm{AlarmName: "web", StateValue: cloudwatch.StateValueAlarm,
			StateTransitionedTimestamp: cloudwatch.TimeOf(alarmT0.Add(time.Minute))}})
	})
	if err != nil {
		t.Fatal(err)
	}
	err = View(ctx, st, func(tx Tx) error {
		a, err := tx.Alarm("web")
		if err != nil {
			return err
		}
		if !a.InAlarm() || !a.StateChangedAt().Equal(alarmT0.Add(time.Minute)) {
			t.Errorf("web = %+v", a)
		}
		if _, err := tx.Alarm("nope"); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("Alarm(nope) error = %v", err)
		}
		var names []string
		err = tx.Alarms("web", "", func(a *Alarm) error {
			names = append(names, a.AlarmName)
			return nil
		})
		if fmt.Sprint(names) != "[web web-5xx]" {
			t.Errorf("Alarms(web) = %v", names)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := elbARNs.AlarmArn("web"); got != "arn:aws:cloudwatch:us-east-1:000000000000:alarm:web" {
		t.Errorf("AlarmArn = %s", got)
	}
}

func TestAlarmHistory(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	err := Update(ctx, st, func(tx Tx) error {
		for i := range MaxAlarmHistory + 5 {
			if err := tx.AddAlarmHistory(historyItem("web", alarmT0.Add(time.Duration(i)*time.Minute), fmt.Sprint(i))); err != nil {
				return err
			}
		}
		if err := tx.AddAlarmHistory(historyItem("web-5xx", alarmT0.Add(-30*24*time.Hour), "old")); err != nil {
			return err
		}
		if err := tx.AddAlarmHistory(historyItem("", alarmT0, "x")); err == nil {
			t.Error("an item without an alarm name was stored")
		}
		return tx.DeleteAlarm("web") // history stays
	})
	if err != nil {
		t.Fatal(err)
	}
	count := func(name string) (n int, first, last *AlarmHistoryItem) {
		err := View(ctx, st, func(tx Tx) error {
			return tx.AlarmHistory(name, func(it *AlarmHistoryItem) error {
				if first == nil {
					first = it
				}
				last = it
				n++
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		return n, first, last
	}
	n, first, last := count("web")
	if n != MaxAlarmHistory || first.HistorySummary != "5" || last.HistorySummary != fmt.Sprint(MaxAlarmHistory+4) || first.Seq >= last.Seq {
		t.Fatalf("web history: %d items, first %+v, last %+v", n, first, last)
	}
	if n, _, _ := count(""); n != MaxAlarmHistory+1 {
		t.Fatalf("all history: %d items", n)
	}
	err = Update(ctx, st, func(tx Tx) error {
		n, err := tx.PruneAlarmHistory(alarmT0.Add(-AlarmHistoryRetention))
		if n != 1 {
			t.Errorf("pruned %d items, want 1", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _, _ := count("web-5xx"); n != 0 {
		t.Fatalf("web-5xx history after prune: %d items", n)
	}
}
