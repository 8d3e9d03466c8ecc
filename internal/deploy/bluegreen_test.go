package deploy

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

const (
	tgBlue  = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/blue/1"
	tgGreen = "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/green/2"
	rProd   = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/1/prod"
	rTest   = "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/2/test"
)

func bgDep(status status, stage ecs.ServiceDeploymentLifecycleStage) *Deployment {
	d := dep(status, stage)
	d.Strategy = ecs.DeploymentStrategyBlueGreen
	d.Config.BakeTimeInMinutes = ecs.Int32(10)
	return d
}

// traffic is routing with production and test on blue.
func traffic(prodTo, testTo string) *Traffic {
	return &Traffic{
		ProductionRule: rProd, TestRule: rTest,
		TargetGroups: map[string]string{revA: tgBlue, revB: tgGreen},
		Live: map[string]map[string]int{
			rProd: percentWeights(prodTo, other(prodTo), 100),
			rTest: percentWeights(testTo, other(testTo), 100),
		},
	}
}

func other(tg string) string {
	if tg == tgBlue {
		return tgGreen
	}
	return tgBlue
}

func TestBlueGreenSteps(t *testing.T) {
	blue := []Task{healthy("b1", revA), healthy("b2", revA)}
	both := append(slices.Clone(blue), healthy("g1", revB), healthy("g2", revB))
	cases := []struct {
		name    string
		d       *Deployment
		tr      *Traffic
		tasks   []Task
		stage   ecs.ServiceDeploymentLifecycleStage
		status  status
		start   []Start
		stop    []Stop
		weights []RuleWeights
		wake    time.Time
	}{
		{
			name: "scale up starts all of green beside blue",
			d:    bgDep(pending, ""), tr: traffic(tgBlue, tgBlue), tasks: blue,
			stage: ecs.ServiceDeploymentLifecycleStageScaleUp, status: inProgress,
			start: []Start{{revB, 2}},
		},
		{
			name: "green healthy: the test rule moves to green",
			d:    bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp), tr: traffic(tgBlue, tgBlue), tasks: both,
			stage: ecs.ServiceDeploymentLifecycleStageTestTrafficShift, status: inProgress,
			weights: []RuleWeights{{rTest, map[string]int{tgGreen: 999, tgBlue: 0}}},
		},
		{
			name: "test shift is done only when the data plane serves it",
			d:    bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageTestTrafficShift), tr: traffic(tgBlue, tgGreen), tasks: both,
			stage: ecs.ServiceDeploymentLifecycleStageProductionTrafficShift, status: inProgress,
			weights: []RuleWeights{{rProd, map[string]int{tgGreen: 999, tgBlue: 0}}},
		},
		{
			name: "production on green: bake time starts, blue keeps running",
			d:    bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageProductionTrafficShift), tr: traffic(tgGreen, tgGreen), tasks: both,
			stage: ecs.ServiceDeploymentLifecycleStageBakeTime, status: inProgress, wake: t0.Add(10 * time.Minute),
		},
		{
			name: "bake time over: blue is cleaned up",
			d: func() *Deployment {
				d := bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageBakeTime)
				d.StageStarted = t0.Add(-10 * time.Minute)
				return d
			}(), tr: traffic(tgGreen, tgGreen), tasks: both,
			stage: ecs.ServiceDeploymentLifecycleStageCleanUp, status: inProgress,
			stop: []Stop{{"b1", ReasonReplaced, false}, {"b2", ReasonReplaced, false}},
		},
		{
			name: "rollback during bake time moves both rules back to blue in one push",
			d:    bgDep(rollbackRequested, ecs.ServiceDeploymentLifecycleStageBakeTime), tr: traffic(tgGreen, tgGreen), tasks: both,
			stage: ecs.ServiceDeploymentLifecycleStageTestTrafficShift, status: rollbackInProgress,
			weights: []RuleWeights{{rTest, map[string]int{tgBlue: 999, tgGreen: 0}}, {rProd, map[string]int{tgBlue: 999, tgGreen: 0}}},
		},
		{
			name: "rollback: production back on blue, green goes",
			d:    rolledBack(bgDep(rollbackInProgress, ecs.ServiceDeploymentLifecycleStageProductionTrafficShift)),
			tr:   traffic(tgBlue, tgBlue), tasks: both,
			stage: ecs.ServiceDeploymentLifecycleStageCleanUp, status: rollbackInProgress,
			stop: []Stop{{"g1", ReasonReplaced, false}, {"g2", ReasonReplaced, false}},
		},
		{
			name: "no load balancer: the deployment stops",
			d:    bgDep(pending, ""), tasks: blue, status: stopped,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: c.d, Traffic: c.tr, Tasks: c.tasks})
			d := p.Deployment
			if d.Status != c.status || (c.stage != "" && d.Stage != c.stage) {
				t.Errorf("deployment = %s/%s, want %s/%s", d.Status, d.Stage, c.status, c.stage)
			}
			if !reflect.DeepEqual(p.Start, c.start) || !reflect.DeepEqual(p.Stop, c.stop) || !reflect.DeepEqual(p.Weights, c.weights) {
				t.Errorf("start %v stop %v weights %v\nwant start %v stop %v weights %v", p.Start, p.Stop, p.Weights, c.start, c.stop, c.weights)
			}
			if !p.WakeAt.Equal(c.wake) {
				t.Errorf("wake at %s, want %s", p.WakeAt, c.wake)
			}
		})
	}
}

// world is a tiny simulation of the controller and data plane: it
// applies plans the way they would be applied, one step later.
type world struct {
	now     time.Time
	tasks   []Task
	traffic *Traffic
	seq     int
}

func (w *world) apply(p Plan) {
	for _, s := range p.Stop {
		w.tasks = slices.DeleteFunc(w.tasks, func(t Task) bool { return t.ID == s.TaskID })
	}
	for _, s := range p.Start {
		for range s.Count {
			w.seq++
			w.tasks = append(w.tasks, starting(fmt.Sprint("t", w.seq), s.Revision))
		}
	}
	for _, rw := range p.Weights {
		w.traffic.Live[rw.Rule] = rw.Weights
	}
}

// settle makes starting tasks healthy, as a health check would.
func (w *world) settle() {
	for i := range w.tasks {
		w.tasks[i].Health, w.tasks[i].Running = Healthy, true
	}
}

// TestBlueGreenNeverRoutesToUnready simulates whole deployments step by
// step: production traffic only ever goes to a target group whose
// revision runs the desired count of healthy tasks, and every stage is
// visited in ECS order.
func TestBlueGreenNeverRoutesToUnready(t *testing.T) {
	for _, rollbackAt := range []ecs.ServiceDeploymentLifecycleStage{"", ecs.ServiceDeploymentLifecycleStageBakeTime, ecs.ServiceDeploymentLifecycleStageTestTrafficShift} {
		t.Run("rollback at "+string(rollbackAt), func(t *testing.T) {
			w := &world{now: t0, tasks: []Task{healthy("b1", revA), healthy("b2", revA), healthy("b3", revA)}, traffic: traffic(tgBlue, tgBlue)}
			d := bgDep(pending, "")
			var stages []ecs.ServiceDeploymentLifecycleStage
			for step := 0; d.Ongoing(); step++ {
				if step > 100 {
					t.Fatalf("no end after 100 steps: %s/%s", d.Status, d.Stage)
				}
				if d.Stage == rollbackAt && d.Status == inProgress {
					d.Status = rollbackRequested
				}
				p := Next(Input{Now: w.now, DesiredCount: 3, Revision: revB, Deployment: d, Traffic: w.traffic, Tasks: w.tasks})
				d = p.Deployment
				if len(stages) == 0 || stages[len(stages)-1] != d.Stage {
					stages = append(stages, d.Stage)
				}
				// Tasks started in earlier steps pass their health checks;
				// the ones this plan starts are still starting when the
				// routing is checked below.
				w.settle()
				w.apply(p)
				w.now = w.now.Add(time.Minute)
				for tg, weight := range w.traffic.Live[rProd] {
					if weight == 0 {
						continue
					}
					n := 0
					for _, tk := range w.tasks {
						if w.traffic.TargetGroups[tk.Revision] == tg && tk.Health == Healthy {
							n++
						}
					}
					if n < 3 {
						t.Fatalf("step %d (%s): production sends traffic to %s with %d healthy tasks", step, d.Stage, tg, n)
					}
				}
			}
			want := map[ecs.ServiceDeploymentLifecycleStage]status{"": successful}
			if got := d.Status; got != want[rollbackAt] && !(rollbackAt != "" && got == rollbackSuccessful) {
				t.Fatalf("ended %s", got)
			}
			goal := revB
			if rollbackAt != "" {
				goal = revA
			}
			for _, tk := range w.tasks {
				if tk.Revision != goal {
					t.Errorf("task %s of %s left running", tk.ID, tk.Revision)
				}
			}
			if rollbackAt == "" {
				wantStages := []ecs.ServiceDeploymentLifecycleStage{"PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
					"POST_TEST_TRAFFIC_SHIFT", StagePreProductionTrafficShift, "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"}
				if !isSubsequence(stages, wantStages) {
					t.Errorf("stages %v out of order", stages)
				}
			}
		})
	}
}

// isSubsequence reports whether every element of got appears in want in
// the same order (stages that need no waiting may be passed in one step).
func isSubsequence(got, want []ecs.ServiceDeploymentLifecycleStage) bool {
	i := 0
	for _, g := range got {
		for i < len(want) && want[i] != g {
			i++
		}
		if i == len(want) {
			return false
		}
	}
	return true
}

func TestBlueGreenDoesNotShiftToAnUnhealthyGoal(t *testing.T) {
	d := bgDep(inProgress, ecs.ServiceDeploymentLifecycleStageProductionTrafficShift)
	tasks := []Task{healthy("b1", revA), healthy("b2", revA), healthy("g1", revB), unhealthy("g2", revB, 0)}
	p := Next(Input{Now: t0, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: traffic(tgBlue, tgGreen),
		HealthCheckGrace: time.Hour, Tasks: tasks})
	if len(p.Weights) != 0 || p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageProductionTrafficShift {
		t.Fatalf("with one green task unhealthy: weights %v, stage %s", p.Weights, p.Deployment.Stage)
	}
}

// TestBlueGreenReconcilesAnInterruptedDeployment starts a deployment to
// revC while an interrupted one left revB's tasks in green, the target
// group revC gets too: RECONCILE_SERVICE first moves both rules wholly
// back to blue, then stops revB's tasks, and only then lets green start.
func TestBlueGreenReconcilesAnInterruptedDeployment(t *testing.T) {
	d := bgDep(pending, "")
	d.Target = RevisionCounts{Arn: revC}
	d.Sources = []RevisionCounts{{Arn: revA}, {Arn: revB}}
	tr := traffic(tgBlue, tgBlue)
	tr.TargetGroups[revC] = tgGreen
	tr.Live[rTest] = map[string]int{tgBlue: 500, tgGreen: 500} // the interrupted deployment had moved half
	tasks := []Task{healthy("b1", revA), healthy("b2", revA), healthy("i1", revB), starting("i2", revB)}
	in := Input{Now: t0, DesiredCount: 2, Revision: revC, Deployment: d, Traffic: tr, Tasks: tasks}

	p := Next(in)
	if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageReconcileService {
		t.Fatalf("stage %s, want RECONCILE_SERVICE", p.Deployment.Stage)
	}
	if want := []RuleWeights{{rTest, map[string]int{tgBlue: 999, tgGreen: 0}}}; !reflect.DeepEqual(p.Weights, want) || p.Stop != nil || p.Start != nil {
		t.Fatalf("with the test rule half on green: weights %v stop %v start %v, want weights %v only", p.Weights, p.Stop, p.Start, want)
	}

	in.Deployment, in.Traffic = p.Deployment, traffic(tgBlue, tgBlue)
	in.Traffic.TargetGroups[revC] = tgGreen
	p = Next(in)
	if want := []Stop{{"i1", ReasonReplaced, false}, {"i2", ReasonReplaced, false}}; !reflect.DeepEqual(p.Stop, want) || p.Start != nil ||
		p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageReconcileService {
		t.Fatalf("with both rules on blue: stage %s stop %v start %v, want the interrupted tasks stopped first", p.Deployment.Stage, p.Stop, p.Start)
	}

	in.Deployment, in.Tasks = p.Deployment, []Task{tasks[0], tasks[1], stopping(tasks[2]), stopping(tasks[3])}
	p = Next(in)
	if p.Deployment.Stage != ecs.ServiceDeploymentLifecycleStageScaleUp || !reflect.DeepEqual(p.Start, []Start{{revC, 2}}) || p.Stop != nil {
		t.Fatalf("with the interrupted tasks stopping: stage %s start %v stop %v, want green to scale up", p.Deployment.Stage, p.Start, p.Stop)
	}
}
