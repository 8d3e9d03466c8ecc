package state

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/cutover/cutover/internal/ecs"
)

func TestClusterRuntime(t *testing.T) {
	st := openELBStore(t)
	ctx := context.Background()
	arns := ARNs{Region: "us-east-1", Account: "000000000000"}
	tagged, plain := arns.Cluster("tagged"), arns.Cluster("plain")
	err := Update(ctx, st, func(tx Tx) error {
		if err := tx.PutTags(plain, []ecs.Tag{{Key: "team", Value: "web"}}); err != nil {
			return err
		}
		return tx.PutTags(tagged, []ecs.Tag{{Key: "team", Value: "web"}, {Key: RuntimeTag, Value: RuntimeDocker}})
	})
	if err != nil {
		t.Fatal(err)
	}
	for arn, want := range map[string]string{tagged: RuntimeDocker, plain: "", arns.Cluster("untagged"): ""} {
		var got string
		err := View(ctx, st, func(tx Tx) (err error) {
			got, err = tx.ClusterRuntime(arn)
			return err
		})
		if err != nil || got != want {
			t.Errorf("ClusterRuntime(%s) = %q, %v; want %q", arn, got, err, want)
		}
	}
}

func TestTaskRuntimeName(t *testing.T) {
	var old Task // a record stored before tasks recorded their runtime
	if err := json.Unmarshal([]byte(`{"cutoverId":"t1","lastStatus":"RUNNING"}`), &old); err != nil {
		t.Fatal(err)
	}
	if got := old.RuntimeName(); got != RuntimeProcess {
		t.Errorf("old record runs on %q, want %q", got, RuntimeProcess)
	}
	b, _ := json.Marshal(&Task{ID: "t2", Runtime: RuntimeDocker})
	var back Task
	if err := json.Unmarshal(b, &back); err != nil || back.RuntimeName() != RuntimeDocker {
		t.Errorf("round trip of %s: runtime %q, %v", b, back.Runtime, err)
	}
	for name, want := range map[string]bool{"process": true, "docker": true, "kubernetes": true, "lambda": false, "": false, "Docker": false} {
		if KnownRuntime(name) != want {
			t.Errorf("KnownRuntime(%q) = %v", name, !want)
		}
	}
}
