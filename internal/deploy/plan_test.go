package deploy

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

const (
	revA = "arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/1"
	revB = "arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/2"
	revC = "arn:aws:ecs:us-east-1:000000000000:service-revision/c/web/3"
)

func healthy(id, rev string) Task {
	return Task{ID: id, Revision: rev, Health: Healthy, Running: true, StartedAt: t0.Add(-time.Hour)}
}

func starting(id, rev string) Task {
	return Task{ID: id, Revision: rev, Health: Starting, StartedAt: t0.Add(-time.Second)}
}

func unhealthy(id, rev string, age time.Duration) Task {
	return Task{ID: id, Revision: rev, Health: Unhealthy, Running: true, StartedAt: t0.Add(-age)}
}

func stopping(t Task) Task { t.Stopping = true; return t }

// dep returns a rolling deployment from revA to revB in the given state.
func dep(status status, stage ecs.ServiceDeploymentLifecycleStage) *Deployment {
	return &Deployment{
		Arn:          "arn:aws:ecs:us-east-1:000000000000:service-deployment/c/web/x",
		Strategy:     ecs.DeploymentStrategyRolling,
		Status:       status,
		Stage:        stage,
		StageStarted: t0.Add(-time.Minute),
		Target:       RevisionCounts{Arn: revB},
		Sources:      []RevisionCounts{{Arn: revA}},
		RollbackTo:   revA,
		CreatedAt:    t0.Add(-time.Minute),
	}
}

func pct(min, max int32) ecs.DeploymentConfiguration {
	return ecs.DeploymentConfiguration{MinimumHealthyPercent: &min, MaximumPercent: &max}
}

func TestNext(t *testing.T) {
	cases := []struct {
		name  string
		in    Input
		want  Plan
		check func(t *testing.T, p Plan)
	}{
		{
			name: "steady: scale out to desired",
			in:   Input{DesiredCount: 3, Revision: revA, Tasks: []Task{healthy("1", revA), healthy("2", revA)}},
			want: Plan{Start: []Start{{revA, 1}}},
		},
		{
			name: "steady: scale in stops the least useful task",
			in:   Input{DesiredCount: 1, Revision: revA, Tasks: []Task{healthy("1", revA), starting("2", revA)}},
			want: Plan{Stop: []Stop{{"2", ReasonScaleIn, false}}},
		},
		{
			name: "steady: exactly desired and healthy",
			in:   Input{DesiredCount: 2, Revision: revA, Tasks: []Task{healthy("1", revA), healthy("2", revA)}},
			want: Plan{Steady: true},
		},
		{
			name: "steady: a stopping task keeps the service unsettled",
			in:   Input{DesiredCount: 1, Revision: revA, Tasks: []Task{healthy("1", revA), stopping(healthy("2", revA))}},
			want: Plan{},
		},
		{
			name: "steady: unhealthy task is replaced",
			in:   Input{DesiredCount: 2, Revision: revA, Tasks: []Task{healthy("1", revA), unhealthy("2", revA, time.Minute)}},
			want: Plan{Start: []Start{{revA, 1}}, Stop: []Stop{{"2", ReasonUnhealthy, true}}},
		},
		{
			name: "steady: unhealthy task within the grace period is kept",
			in: Input{DesiredCount: 2, Revision: revA, HealthCheckGrace: 5 * time.Minute,
				Tasks: []Task{healthy("1", revA), unhealthy("2", revA, time.Minute)}},
			want: Plan{},
		},
		{
			name: "pending deployment starts and scales up the target",
			in: Input{DesiredCount: 2, Revision: revB, Deployment: dep(pending, ""),
				Tasks: []Task{healthy("1", revA), healthy("2", revA)}},
			check: func(t *testing.T, p Plan) {
				d := p.Deployment
				if d.Status != inProgress || d.Stage != ecs.ServiceDeploymentLifecycleStageScaleUp || !d.StartedAt.Equal(t0) {
					t.Errorf("deployment = %s/%s started %v", d.Status, d.Stage, d.StartedAt)
				}
				if !reflect.DeepEqual(p.Start, []Start{{revB, 2}}) || p.Stop != nil {
					t.Errorf("start %v stop %v", p.Start, p.Stop)
				}
				if d.Target.Requested != 2 || d.Sources[0].Running != 2 || d.Sources[0].Requested != 0 {
					t.Errorf("counts target %+v sources %+v", d.Target, d.Sources)
				}
			},
		},
		{
			name: "scale up waits while at maximumPercent and minimumHealthyPercent",
			in: Input{DesiredCount: 2, Revision: revB, Deployment: dep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp),
				Tasks: []Task{healthy("1", revA), healthy("2", revA), starting("3", revB), starting("4", revB)}},
			check: stageActions(ecs.ServiceDeploymentLifecycleStageScaleUp, nil, nil),
		},
		{
			name: "scale up stops an old task once a new one is healthy",
			in: Input{DesiredCount: 2, Revision: revB, Deployment: dep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp),
				Tasks: []Task{healthy("1", revA), healthy("2", revA), healthy("3", revB), starting("4", revB)}},
			check: stageActions(ecs.ServiceDeploymentLifecycleStageScaleUp, nil, []Stop{{"1", ReasonReplaced, false}}),
		},
		{
			name: "scale up with no spare capacity stops first (min 50, max 100)",
			in: Input{DesiredCount: 2, Revision: revB, Config: pct(50, 100),
				Deployment: withConfig(dep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp), pct(50, 100)),
				Tasks:      []Task{healthy("1", revA), healthy("2", revA)}},
			check: stageActions(ecs.ServiceDeploymentLifecycleStageScaleUp, []Start{{revB, 1}}, []Stop{{"1", ReasonReplaced, false}}),
		},
		{
			name: "target healthy moves on to clean up, which stops what is left",
			in: Input{DesiredCount: 2, Revision: revB, Deployment: dep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp),
				Tasks: []Task{healthy("1", revA), stopping(healthy("2", revA)), healthy("3", revB), healthy("4", revB)}},
			check: stageActions(ecs.ServiceDeploymentLifecycleStageCleanUp, nil, []Stop{{"1", ReasonReplaced, false}}),
		},
		{
			name: "clean up waits for stopping tasks",
			in: Input{DesiredCount: 2, Revision: revB, Deployment: dep(inProgress, ecs.ServiceDeploymentLifecycleStageCleanUp),
				Tasks: []Task{stopping(healthy("1", revA)), healthy("3", revB), healthy("4", revB)}},
			check: stageActions(ecs.ServiceDeploymentLifecycleStageCleanUp, nil, nil),
		},
		{
			name: "clean up done: successful",
			in: Input{DesiredCount: 2, Revision: revB, Deployment: dep(inProgress, ecs.ServiceDeploymentLifecycleStageCleanUp),
				Tasks: []Task{healthy("3", revB), healthy("4", revB)}},
			check: func(t *testing.T, p Plan) {
				d := p.Deployment
				if d.Status != successful || !d.FinishedAt.Equal(t0) || d.Target.Running != 2 {
					t.Errorf("deployment = %s finished %v target %+v", d.Status, d.FinishedAt, d.Target)
				}
			},
		},
		{
			name: "user rollback returns to the previous revision",
			in: Input{DesiredCount: 2, Revision: revB, Deployment: dep(rollbackRequested, ecs.ServiceDeploymentLifecycleStageScaleUp),
				Tasks: []Task{healthy("1", revA), healthy("3", revB), healthy("4", revB)}},
			check: func(t *testing.T, p Plan) {
				d := p.Deployment
				if d.Status != rollbackInProgress || d.Rollback == nil || d.Rollback.RevisionArn != revA || p.Revision != revA {
					t.Fatalf("deployment = %s rollback %+v plan revision %q", d.Status, d.Rollback, p.Revision)
				}
				stageActions(ecs.ServiceDeploymentLifecycleStageScaleUp, []Start{{revA, 1}}, []Stop{{"3", ReasonReplaced, false}})(t, p)
				if d.Sources[0].Requested != 2 || d.Target.Requested != 0 {
					t.Errorf("requested counts: source %d target %d", d.Sources[0].Requested, d.Target.Requested)
				}
			},
		},
		{
			name: "rollback done: rollback successful",
			in: Input{DesiredCount: 1, Revision: revA,
				Deployment: rolledBack(dep(rollbackInProgress, ecs.ServiceDeploymentLifecycleStageCleanUp)),
				Tasks:      []Task{healthy("1", revA)}},
			check: func(t *testing.T, p Plan) {
				if p.Deployment.Status != rollbackSuccessful || p.Deployment.FinishedAt.IsZero() {
					t.Errorf("status %s finished %v", p.Deployment.Status, p.Deployment.FinishedAt)
				}
			},
		},
		{
			name: "rollback without a previous revision stops the deployment",
			in: Input{DesiredCount: 1, Revision: revB, Deployment: func() *Deployment {
				d := dep(rollbackRequested, ecs.ServiceDeploymentLifecycleStageScaleUp)
				d.RollbackTo, d.Sources = "", nil
				return d
			}()},
			check: func(t *testing.T, p Plan) {
				if p.Deployment.Status != stopped || p.Revision != "" || p.Start != nil {
					t.Errorf("status %s revision %q start %v", p.Deployment.Status, p.Revision, p.Start)
				}
			},
		},
		{
			name: "a stage past its 24 hour limit rolls back",
			in: Input{DesiredCount: 1, Revision: revB, Deployment: func() *Deployment {
				d := dep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp)
				d.StageStarted = t0.Add(-25 * time.Hour)
				return d
			}(), Tasks: []Task{healthy("1", revA), unhealthy("2", revB, 0)}},
			check: func(t *testing.T, p Plan) {
				d := p.Deployment
				if d.Status != rollbackInProgress || d.Rollback == nil || p.Revision != revA || !d.StageStarted.Equal(t0) {
					t.Errorf("status %s rollback %+v", d.Status, d.Rollback)
				}
			},
		},
		{
			name: "superseded deployments are stopped",
			in: Input{DesiredCount: 1, Revision: revC, Deployment: &Deployment{Strategy: ecs.DeploymentStrategyRolling,
				Status: pending, Target: RevisionCounts{Arn: revC}, Sources: []RevisionCounts{{Arn: revA}, {Arn: revB}}},
				Superseded: []*Deployment{dep(stopRequested, ecs.ServiceDeploymentLifecycleStageScaleUp)},
				Tasks:      []Task{healthy("1", revA), starting("2", revB)}},
			check: func(t *testing.T, p Plan) {
				if s := p.Superseded[0]; s.Status != stopped || !s.StoppedAt.Equal(t0) {
					t.Errorf("superseded = %s stopped %v", s.Status, s.StoppedAt)
				}
				// The half-started revB task is not healthy: it goes at once.
				stageActions(ecs.ServiceDeploymentLifecycleStageScaleUp, []Start{{revC, 1}}, []Stop{{"2", ReasonReplaced, false}})(t, p)
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.in.Now, c.in.ServiceName = t0, "web"
			before := snapshot(c.in)
			p := Next(c.in)
			if !reflect.DeepEqual(before, snapshot(c.in)) {
				t.Fatal("Next modified its input")
			}
			if c.check != nil {
				c.check(t, p)
				return
			}
			if !reflect.DeepEqual(p, c.want) {
				t.Errorf("plan = %+v\nwant   %+v", p, c.want)
			}
		})
	}
}

func stageActions(stage ecs.ServiceDeploymentLifecycleStage, start []Start, stop []Stop) func(*testing.T, Plan) {
	return func(t *testing.T, p Plan) {
		t.Helper()
		if p.Deployment.Stage != stage {
			t.Errorf("stage = %s, want %s", p.Deployment.Stage, stage)
		}
		if !reflect.DeepEqual(p.Start, start) || !reflect.DeepEqual(p.Stop, stop) {
			t.Errorf("start %v stop %v; want start %v stop %v", p.Start, p.Stop, start, stop)
		}
	}
}

func withConfig(d *Deployment, c ecs.DeploymentConfiguration) *Deployment { d.Config = c; return d }

func rolledBack(d *Deployment) *Deployment {
	d.Rollback = &Rollback{Reason: "r", StartedAt: t0, RevisionArn: d.RollbackTo}
	return d
}

func snapshot(in Input) any {
	var ds []Deployment
	for _, d := range append([]*Deployment{in.Deployment}, in.Superseded...) {
		if d != nil {
			ds = append(ds, *clone(d))
		}
	}
	return []any{ds, append([]Task(nil), in.Tasks...)}
}

func TestRollingStagesReconcileOnlyWithSeveralSources(t *testing.T) {
	one := rolling{}.stages(&Deployment{Sources: []RevisionCounts{{Arn: revA}}})
	two := rolling{}.stages(&Deployment{Sources: []RevisionCounts{{Arn: revA}, {Arn: revB}}})
	if one[0] != ecs.ServiceDeploymentLifecycleStagePreScaleUp || two[0] != ecs.ServiceDeploymentLifecycleStageReconcileService {
		t.Fatalf("first stages: %s with one source, %s with two", one[0], two[0])
	}
}

func TestCheckTransition(t *testing.T) {
	cases := []struct {
		from, to status
		ok       bool
	}{
		{pending, inProgress, true},
		{inProgress, successful, true},
		{inProgress, inProgress, true},
		{inProgress, rollbackRequested, true},
		{rollbackRequested, rollbackInProgress, true},
		{rollbackInProgress, rollbackSuccessful, true},
		{inProgress, stopRequested, true},
		{stopRequested, stopped, true},
		{successful, inProgress, false},
		{stopped, inProgress, false},
		{rollbackSuccessful, rollbackInProgress, false},
		{pending, successful, false},
		{stopRequested, inProgress, false},
	}
	for _, c := range cases {
		err := CheckTransition(c.from, c.to)
		if (err == nil) != c.ok || (err != nil && !errors.Is(err, ErrIllegalTransition)) {
			t.Errorf("%s -> %s: %v, want ok=%v", c.from, c.to, err, c.ok)
		}
	}
}

// TestAStepNeverSkipsAStatus: a deployment with nothing to do still goes
// PENDING → IN_PROGRESS → SUCCESSFUL one step at a time, and a rollback
// that could finish at once is ROLLBACK_IN_PROGRESS for a step first:
// every status is stored (and its event emitted), and the changes are
// legal ones.
func TestAStepNeverSkipsAStatus(t *testing.T) {
	d := dep(pending, "")
	var seen []status
	for range 5 {
		d = Next(Input{Now: t0, DesiredCount: 0, Revision: revB, Deployment: d}).Deployment
		if len(seen) == 0 || seen[len(seen)-1] != d.Status {
			seen = append(seen, d.Status)
		}
	}
	if want := []status{inProgress, successful}; !slices.Equal(seen, want) {
		t.Fatalf("statuses %v, want %v", seen, want)
	}
	d = dep(rollbackRequested, ecs.ServiceDeploymentLifecycleStageScaleUp)
	tasks := []Task{healthy("1", revA), healthy("2", revA)}
	p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: d, Tasks: tasks})
	if p.Deployment.Status != rollbackInProgress {
		t.Fatalf("first step: %s", p.Deployment.Status)
	}
	if err := CheckTransition(d.Status, p.Deployment.Status); err != nil {
		t.Fatal(err)
	}
	if p = Next(Input{Now: t0, DesiredCount: 2, Revision: revA, Deployment: p.Deployment, Tasks: tasks}); p.Deployment.Status != rollbackSuccessful {
		t.Fatalf("second step: %s", p.Deployment.Status)
	}
}
