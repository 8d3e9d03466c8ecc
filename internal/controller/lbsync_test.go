package controller

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/store/bolt"
)

// TestConfigVersionsFromBlocks takes data plane configuration versions
// from reserved blocks: one sequence step for a whole block, above what
// the data plane serves, and above every earlier version after a
// restart of the control plane.
func TestConfigVersionsFromBlocks(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	c := New(Config{Store: st})

	var r versionRange
	var last uint64
	for i := range versionBlock + 2 {
		v, err := c.nextVersion(ctx, &r, last)
		if err != nil {
			t.Fatal(err)
		}
		if v <= last {
			t.Fatalf("push %d: version %d after %d", i, v, last)
		}
		last = v
	}
	// Two blocks were reserved: the sequence moved twice.
	if got := r.end / versionBlock; got != 3 {
		t.Errorf("after %d pushes the block in hand ends at %d, want block 2 (ending at %d)", versionBlock+2, r.end, 3*versionBlock)
	}

	// A data plane ahead of the block (a hand-made config) gets a
	// version above its own.
	if v, err := c.nextVersion(ctx, &r, 10*versionBlock); err != nil || v != 10*versionBlock+1 {
		t.Errorf("with the data plane at %d: version %d, %v", 10*versionBlock, v, err)
	}

	// A restarted control plane starts a block of its own, above every
	// version the last one used.
	restarted := New(Config{Store: st})
	var r2 versionRange
	if v, err := restarted.nextVersion(ctx, &r2, 0); err != nil || v <= last {
		t.Errorf("after a restart: version %d (%v), want above %d", v, err, last)
	}
}

// TestMovesOn hurries the pass after a plan that asked for weights (once
// until something is pushed) or moved a deployment to another stage or
// status, and no other.
func TestMovesOn(t *testing.T) {
	at := func(status ecs.ServiceDeploymentStatus, stage ecs.ServiceDeploymentLifecycleStage) *deploy.Deployment {
		d := &deploy.Deployment{}
		d.Status, d.Stage = status, stage
		return d
	}
	inProgress, rollingBack := ecs.ServiceDeploymentStatus("IN_PROGRESS"), ecs.ServiceDeploymentStatus("ROLLBACK_IN_PROGRESS")
	bake, test := ecs.ServiceDeploymentLifecycleStageBakeTime, ecs.ServiceDeploymentLifecycleStageTestTrafficShift
	weights := []deploy.RuleWeights{{Rule: "rule/prod"}}
	for _, tc := range []struct {
		name    string
		in, out *deploy.Deployment
		weights []deploy.RuleWeights
		want    bool
	}{
		{name: "nothing moved", in: at(inProgress, bake), out: at(inProgress, bake), want: false},
		{name: "no deployment", want: false},
		{name: "new stage", in: at(inProgress, bake), out: at(inProgress, test), want: true},
		{name: "rollback begun", in: at(inProgress, test), out: at(rollingBack, test), want: true},
		{name: "weights asked", in: at(rollingBack, test), out: at(rollingBack, test), weights: weights, want: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &Controller{}
			c.plane.Store(&dataPlaneView{})
			sp := &servicePass{in: deploy.Input{Deployment: tc.in}, plan: deploy.Plan{Deployment: tc.out, Weights: tc.weights}}
			if got := c.movesOn(sp); got != tc.want {
				t.Errorf("movesOn = %v, want %v", got, tc.want)
			}
		})
	}

	// Weights the data plane already serves, asked for again: the first
	// ask hurries a pass, the next ones wait for a push in between.
	c := &Controller{}
	c.plane.Store(&dataPlaneView{})
	sp := &servicePass{in: deploy.Input{Deployment: at(inProgress, test)}, plan: deploy.Plan{Deployment: at(inProgress, test), Weights: weights}}
	if !c.movesOn(sp) {
		t.Fatal("the first ask for weights does not hurry a pass")
	}
	if c.movesOn(sp) {
		t.Error("asking again with nothing pushed in between hurries another pass")
	}
	c.plane.Store(&dataPlaneView{}) // what a sync that pushed leaves
	if !c.movesOn(sp) {
		t.Error("after a push, asking for weights does not hurry a pass")
	}
}
