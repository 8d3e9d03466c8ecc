package deploy

import (
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

func withPause(d *Deployment, stage ecs.DeploymentLifecycleHookStage, minutes int32, action ecs.DeploymentLifecycleHookAction) *Deployment {
	d.Config.LifecycleHooks = append(d.Config.LifecycleHooks, ecs.DeploymentLifecycleHook{
		TargetType:           ecs.DeploymentLifecycleHookTargetTypePause,
		LifecycleStages:      []ecs.DeploymentLifecycleHookStage{stage},
		TimeoutConfiguration: &ecs.DeploymentLifecycleHookTimeoutConfiguration{TimeoutInMinutes: &minutes, Action: action},
	})
	return d
}

func TestPauseHook(t *testing.T) {
	both := []Task{healthy("b1", revA), healthy("b2", revA), healthy("g1", revB), healthy("g2", revB)}
	step := func(d *Deployment, now time.Time, tr *Traffic) Plan {
		return Next(Input{Now: now, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: tr, Tasks: both})
	}
	paused := func(t *testing.T, action ecs.DeploymentLifecycleHookAction) *Deployment {
		d := withPause(bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageTestTrafficShift),
			ecs.DeploymentLifecycleHookStagePostTestTrafficShift, 60, action)
		p := step(d, t0, traffic(tgBlue, tgGreen))
		d = p.Deployment
		hooks := d.StageHooks()
		if d.Stage != ecs.ServiceDeploymentLifecycleStagePostTestTrafficShift || len(hooks) != 1 || p.Weights != nil {
			t.Fatalf("stage %s hooks %+v weights %v: want a pause at POST_TEST_TRAFFIC_SHIFT", d.Stage, hooks, p.Weights)
		}
		h := hooks[0]
		if !regexp.MustCompile(`^ecs-pause-[A-Za-z0-9_-]{43}$`).MatchString(h.ID) ||
			h.Status != ecs.DeploymentLifecycleHookStatusAwaitingAction || !h.ExpiresAt.Equal(t0.Add(time.Hour)) {
			t.Fatalf("hook run %+v", h)
		}
		// Still waiting a minute later, until the hook expires.
		if p := step(d, t0.Add(time.Minute), traffic(tgBlue, tgGreen)); p.Deployment.Stage != d.Stage || !p.WakeAt.Equal(h.ExpiresAt) {
			t.Fatalf("moved on to %s without an action; wake at %s", p.Deployment.Stage, p.WakeAt)
		}
		return d
	}

	t.Run("continue moves production", func(t *testing.T) {
		d := paused(t, ecs.DeploymentLifecycleHookActionRollback)
		if err := d.Resolve(d.StageHooks()[0].ID, ecs.DeploymentLifecycleHookActionContinue, t0); err != nil {
			t.Fatal(err)
		}
		p := step(d, t0.Add(time.Minute), traffic(tgBlue, tgGreen))
		if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageProductionTrafficShift || len(p.Weights) != 1 || p.Weights[0].Rule != rProd {
			t.Fatalf("after CONTINUE: stage %s weights %v", p.Deployment.Stage, p.Weights)
		}
		if err := d.Resolve(d.Hooks[0].ID, ecs.DeploymentLifecycleHookActionContinue, t0); !errors.Is(err, ErrHookNotAwaiting) {
			t.Errorf("second CONTINUE: %v, want ErrHookNotAwaiting", err)
		}
		if err := d.Resolve("ecs-pause-nope", ecs.DeploymentLifecycleHookActionContinue, t0); !errors.Is(err, ErrHookNotFound) {
			t.Errorf("unknown hook: %v, want ErrHookNotFound", err)
		}
	})
	t.Run("rollback action rolls back", func(t *testing.T) {
		d := paused(t, ecs.DeploymentLifecycleHookActionContinue)
		if err := d.Resolve(d.StageHooks()[0].ID, ecs.DeploymentLifecycleHookActionRollback, t0); err != nil {
			t.Fatal(err)
		}
		if p := step(d, t0.Add(time.Minute), traffic(tgBlue, tgGreen)); p.Deployment.Status != rollbackInProgress {
			t.Fatalf("status %s, want ROLLBACK_IN_PROGRESS", p.Deployment.Status)
		}
	})
	t.Run("timeout with ROLLBACK rolls back", func(t *testing.T) {
		d := paused(t, ecs.DeploymentLifecycleHookActionRollback)
		p := step(d, t0.Add(time.Hour), traffic(tgBlue, tgGreen))
		if p.Deployment.Status != rollbackInProgress || p.Deployment.Hooks[0].Status != ecs.DeploymentLifecycleHookStatusTimedOut {
			t.Fatalf("status %s hook %s", p.Deployment.Status, p.Deployment.Hooks[0].Status)
		}
		if err := d.Resolve(d.Hooks[0].ID, ecs.DeploymentLifecycleHookActionContinue, t0.Add(time.Hour)); !errors.Is(err, ErrHookNotAwaiting) {
			t.Errorf("CONTINUE after expiry: %v", err)
		}
	})
	t.Run("timeout with CONTINUE moves on", func(t *testing.T) {
		d := paused(t, ecs.DeploymentLifecycleHookActionContinue)
		if p := step(d, t0.Add(time.Hour), traffic(tgBlue, tgGreen)); p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageProductionTrafficShift {
			t.Fatalf("stage %s, want PRODUCTION_TRAFFIC_SHIFT", p.Deployment.Stage)
		}
	})
	t.Run("rolling pauses at PRE_SCALE_UP", func(t *testing.T) {
		d := withPause(dep(pending, ""), ecs.DeploymentLifecycleHookStagePreScaleUp, 10, ecs.DeploymentLifecycleHookActionRollback)
		p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: d, Tasks: []Task{healthy("1", revA), healthy("2", revA)}})
		if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStagePreScaleUp || p.Start != nil {
			t.Fatalf("stage %s start %v: want a pause before any task starts", p.Deployment.Stage, p.Start)
		}
	})
}

func TestTasksAreReplacedWhileAHookHoldsTheStage(t *testing.T) {
	// Rolling, paused before the scale-up: a crashed task of the running
	// revision is replaced by one of the same revision.
	d := withPause(dep(inProgress, ecs.ServiceDeploymentLifecycleStagePreScaleUp), ecs.DeploymentLifecycleHookStagePreScaleUp, 60, ecs.DeploymentLifecycleHookActionRollback)
	d.Hooks = []HookRun{d.newRun(0, d.Config.LifecycleHooks[0], ecs.DeploymentLifecycleHookStagePreScaleUp, t0)}
	p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: d, Tasks: []Task{healthy("1", revA)}})
	if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStagePreScaleUp || !reflect.DeepEqual(p.Start, []Start{{revA, 1}}) {
		t.Errorf("rolling pause: stage %s start %v, want one revA task", p.Deployment.Stage, p.Start)
	}

	// Blue/green, baking: both revisions are kept at full size.
	bake := bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageBakeTime)
	p = Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: bake, Traffic: traffic(tgGreen, tgGreen),
		Tasks: []Task{healthy("b1", revA), healthy("g1", revB), unhealthy("g2", revB, time.Hour)}})
	if !reflect.DeepEqual(p.Start, []Start{{revB, 1}, {revA, 1}}) || !reflect.DeepEqual(p.Stop, []Stop{{"g2", ReasonUnhealthy, true}}) {
		t.Errorf("bake: start %v stop %v", p.Start, p.Stop)
	}
}

// TestWaitBeforeProductionShift is the documented recipe: a pause hook
// at PRE_PRODUCTION_TRAFFIC_SHIFT whose timeout action is CONTINUE holds
// production on blue until it expires, then production moves by itself.
func TestWaitBeforeProductionShift(t *testing.T) {
	both := []Task{healthy("b1", revA), healthy("b2", revA), healthy("g1", revB), healthy("g2", revB)}
	d := withPause(bgDep(inProgress, ecs.ServiceDeploymentLifecycleStagePostTestTrafficShift),
		ecs.DeploymentLifecycleHookStagePreProductionTrafficShift, 15, ecs.DeploymentLifecycleHookActionContinue)
	p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: traffic(tgBlue, tgGreen), Tasks: both})
	d = p.Deployment
	hooks := d.StageHooks()
	if d.Stage != StagePreProductionTrafficShift || len(hooks) != 1 || hooks[0].Status != ecs.DeploymentLifecycleHookStatusAwaitingAction ||
		hooks[0].TimeoutAction != ecs.DeploymentLifecycleHookActionContinue || p.Weights != nil {
		t.Fatalf("stage %s hooks %+v weights %v: want production held at PRE_PRODUCTION_TRAFFIC_SHIFT", d.Stage, hooks, p.Weights)
	}
	expiry := t0.Add(15 * time.Minute)
	if !hooks[0].ExpiresAt.Equal(expiry) || !p.WakeAt.Equal(expiry) {
		t.Fatalf("expires %s, wake %s; want both at %s", hooks[0].ExpiresAt, p.WakeAt, expiry)
	}
	p = Next(Input{Now: expiry, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: traffic(tgBlue, tgGreen), Tasks: both})
	want := []RuleWeights{{rProd, map[string]int{tgGreen: 999, tgBlue: 0}}}
	if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageProductionTrafficShift || !reflect.DeepEqual(p.Weights, want) {
		t.Fatalf("after the wait: stage %s weights %v; want production moving to green", p.Deployment.Stage, p.Weights)
	}
}
