package deploy

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

func TestEndBake(t *testing.T) {
	baking := func() *Deployment {
		d := bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageBakeTime)
		d.StageStarted = t0.Add(-time.Minute)
		return d
	}
	cases := []struct {
		name string
		d    *Deployment
		err  error
	}{
		{"during bake time", baking(), nil},
		{"ahead of bake time", bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageTestTrafficShift), nil},
		{"before the deployment starts", bgDep(pending, ""), nil},
		{"rolling has no bake time", dep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp), ErrNoBakeTime},
		{"after bake time", bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageCleanUp), ErrBakeOver},
		{"rolling back", rolledBack(bgDep(rollbackInProgress, ecs.ServiceDeploymentLifecycleStageBakeTime)), ErrBakeOver},
		{"rollback requested", bgDep(rollbackRequested, ecs.ServiceDeploymentLifecycleStageBakeTime), ErrBakeOver},
		{"ended", bgDep(successful, ""), ErrBakeOver},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.d.EndBake(t0)
			if !errors.Is(err, c.err) {
				t.Fatalf("EndBake: %v, want %v", err, c.err)
			}
			if want := c.err == nil; want != !c.d.BakeEnded.IsZero() {
				t.Errorf("BakeEnded = %v after EndBake returned %v", c.d.BakeEnded, err)
			}
		})
	}
}

func TestEndBakeIsKeptWhenAskedAgain(t *testing.T) {
	d := bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageBakeTime)
	if err := d.EndBake(t0); err != nil {
		t.Fatal(err)
	}
	if err := d.EndBake(t0.Add(time.Minute)); err != nil || !d.BakeEnded.Equal(t0) {
		t.Fatalf("second EndBake: %v, BakeEnded %v, want the first call's %v", err, d.BakeEnded, t0)
	}
}

func TestEndedBakeCleansUpAtOnce(t *testing.T) {
	blue := []Task{healthy("b1", revA), healthy("b2", revA)}
	both := append(slices.Clone(blue), healthy("g1", revB), healthy("g2", revB))
	for _, ahead := range []bool{false, true} {
		stage := ecs.ServiceDeploymentLifecycleStageBakeTime
		if ahead {
			stage = ecs.ServiceDeploymentLifecycleStageProductionTrafficShift
		}
		d := bgDep(inProgress, stage)
		d.StageStarted = t0
		if err := d.EndBake(t0); err != nil {
			t.Fatal(err)
		}
		p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: traffic(tgGreen, tgGreen), Tasks: both})
		if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageCleanUp || len(p.Stop) != 2 {
			t.Errorf("ended ahead=%v: stage %s, stops %v; want CLEAN_UP stopping blue", ahead, p.Deployment.Stage, p.Stop)
		}
	}
}

func TestTimelineRecordsEveryStage(t *testing.T) {
	w := &world{now: t0, tasks: []Task{healthy("b1", revA)}, traffic: traffic(tgBlue, tgBlue)}
	d := bgDep(pending, "")
	d.Config.BakeTimeInMinutes = ecs.Int32(0)
	for i := 0; i < 50 && d.Ongoing(); i++ {
		p := Next(Input{Now: w.now, DesiredCount: 1, Revision: revB, Deployment: d, Traffic: w.traffic, Tasks: w.tasks})
		d = p.Deployment
		w.apply(p)
		w.settle()
		w.now = w.now.Add(time.Second)
	}
	var got []ecs.ServiceDeploymentLifecycleStage
	for i, s := range d.Stages {
		got = append(got, s.Stage)
		if i > 0 && s.StartedAt.Before(d.Stages[i-1].StartedAt) {
			t.Errorf("stage %s starts before the one ahead of it", s.Stage)
		}
	}
	if want := (blueGreen{}).stages(d); !slices.Equal(got, want) {
		t.Errorf("timeline %v\nwant %v", got, want)
	}
}
