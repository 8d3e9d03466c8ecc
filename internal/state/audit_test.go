package state

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/cutoverapi"
)

func TestAuditTrail(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	svc := evARNs.Service("c1", "web")
	alice := audit.Actor{Kind: audit.KindAccessKey, ID: "AKID1", Name: "alice"}
	err := Update(ctx, st, func(tx Tx) error {
		for _, r := range []*cutoverapi.AuditRecord{
			{Action: cutoverapi.ActionUpdateService, Actor: alice, ServiceArn: svc, ServiceDeploymentArn: svc + "-d1"},
			{Action: cutoverapi.ActionContinue, Actor: alice, ServiceArn: svc, HookID: "h1", Detail: "CONTINUE"},
		} {
			if err := tx.AppendAudit("c1", "web", r, evT0); err != nil {
				return err
			}
		}
		// Another service's record is not in web's trail.
		return tx.AppendAudit("c1", "api", &cutoverapi.AuditRecord{Action: cutoverapi.ActionEndBake, ServiceArn: evARNs.Service("c1", "api")}, evT0)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []cutoverapi.AuditRecord
	var events []Event
	err = View(ctx, st, func(tx Tx) error {
		if err := tx.AuditRecords("c1", "web", 0, func(r *cutoverapi.AuditRecord) error { got = append(got, *r); return nil }); err != nil {
			return err
		}
		return tx.Events(0, func(_ uint64, env []byte) error {
			var ev Event
			events = append(events, ev)
			return json.Unmarshal(env, &events[len(events)-1])
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Action != cutoverapi.ActionUpdateService || got[1].HookID != "h1" || got[0].Seq >= got[1].Seq ||
		!got[0].Time.Equal(evT0) || got[0].Actor != alice {
		t.Fatalf("web's trail = %+v", got)
	}
	if len(events) != 3 || events[0].DetailType != DetailAuditRecord || events[0].Source != AuditSource ||
		len(events[0].Resources) != 2 || events[0].Account != evARNs.Account {
		t.Fatalf("events = %+v", events)
	}
	var after []cutoverapi.AuditRecord
	err = View(ctx, st, func(tx Tx) error {
		return tx.AuditRecords("c1", "web", got[0].Seq, func(r *cutoverapi.AuditRecord) error { after = append(after, *r); return nil })
	})
	if err != nil || len(after) != 1 || after[0].Seq != got[1].Seq {
		t.Fatalf("after %d: %+v, %v", got[0].Seq, after, err)
	}
}
