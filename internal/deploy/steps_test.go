package deploy

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

func linear(step float64, bake int32) ecs.DeploymentConfiguration {
	return ecs.DeploymentConfiguration{LinearConfiguration: &ecs.LinearConfiguration{StepPercent: &step, StepBakeTimeInMinutes: &bake}}
}

func canary(pct float64, bake int32) ecs.DeploymentConfiguration {
	return ecs.DeploymentConfiguration{CanaryConfiguration: &ecs.CanaryConfiguration{CanaryPercent: &pct, CanaryBakeTimeInMinutes: &bake}}
}

func TestProductionSteps(t *testing.T) {
	ten := []float64{10, 20, 30, 40, 50, 60, 70, 80, 90, 100}
	cases := []struct {
		name     string
		strategy ecs.DeploymentStrategy
		cfg      ecs.DeploymentConfiguration
		want     []float64
		bake     time.Duration
	}{
		{"blue/green", ecs.DeploymentStrategyBlueGreen, ecs.DeploymentConfiguration{}, []float64{100}, 0},
		{"linear 25%", ecs.DeploymentStrategyLinear, linear(25, 1), []float64{25, 50, 75, 100}, time.Minute},
		{"linear 10%", ecs.DeploymentStrategyLinear, linear(10, 0), ten, 0},
		{"linear default", ecs.DeploymentStrategyLinear, ecs.DeploymentConfiguration{}, ten, 6 * time.Minute},
		{"linear 33%: the last step is capped", ecs.DeploymentStrategyLinear, linear(33, 2), []float64{33, 66, 99, 100}, 2 * time.Minute},
		{"linear 40%", ecs.DeploymentStrategyLinear, linear(40, 2), []float64{40, 80, 100}, 2 * time.Minute},
		{"linear 100%", ecs.DeploymentStrategyLinear, linear(100, 2), []float64{100}, 2 * time.Minute},
		{"canary 5%", ecs.DeploymentStrategyCanary, canary(5, 3), []float64{5, 100}, 3 * time.Minute},
		{"canary 0.1%", ecs.DeploymentStrategyCanary, canary(0.1, 3), []float64{0.1, 100}, 3 * time.Minute},
		{"canary default", ecs.DeploymentStrategyCanary, ecs.DeploymentConfiguration{}, []float64{5, 100}, 10 * time.Minute},
		{"canary 100%", ecs.DeploymentStrategyCanary, canary(100, 3), []float64{100}, 3 * time.Minute},
	}
	for _, c := range cases {
		if got := productionSteps(c.strategy, c.cfg); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: steps %v, want %v", c.name, got, c.want)
		}
		if got := stepBakeTime(c.strategy, c.cfg); got != c.bake {
			t.Errorf("%s: step bake %s, want %s", c.name, got, c.bake)
		}
	}
	if n := len(productionSteps(ecs.DeploymentStrategyLinear, linear(3, 0))); n != 34 {
		t.Errorf("linear 3%%: %d steps, want 34", n)
	}
}

// TestSteppedShifts runs LINEAR and CANARY deployments whole, with a
// Lambda hook at every production shift and a pause hook before each:
// production moves step by step after each step bake, every step gets
// its own pause hook, and the hooks see the weights of their step.
func TestSteppedShifts(t *testing.T) {
	cases := []struct {
		name     string
		strategy ecs.DeploymentStrategy
		cfg      ecs.DeploymentConfiguration
		weights  []int     // green's production weight after each step
		percents []float64 // the production share the deployment reports for green
	}{
		{"linear 25%", ecs.DeploymentStrategyLinear, linear(25, 2), []int{250, 500, 750, 999}, []float64{0, 25, 50, 75, 100}},
		{"canary 5%", ecs.DeploymentStrategyCanary, canary(5, 3), []int{50, 999}, []float64{0, 5, 100}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := bgDep(pending, "")
			d.Strategy, d.Config = c.strategy, c.cfg
			d.Config.BakeTimeInMinutes = ecs.Int32(0)
			d = withLambda(d, ``, 60, "", ecs.DeploymentLifecycleHookStageProductionTrafficShift)
			d = withPause(d, ecs.DeploymentLifecycleHookStagePreProductionTrafficShift, 60, "")
			w := &world{now: t0, tasks: []Task{healthy("b1", revA), healthy("b2", revA)}, traffic: traffic(tgBlue, tgBlue)}
			var weights []int
			var percents []float64
			var shiftEvents []map[string]float64
			pauses := map[string]time.Time{}
			for step := 0; d.Ongoing(); step++ {
				if step > 200 {
					t.Fatalf("no end after 200 steps: %s/%s", d.Status, d.Stage)
				}
				p := Next(Input{Now: w.now, DesiredCount: 2, Revision: revB, Deployment: d, Traffic: w.traffic, Tasks: w.tasks})
				d = p.Deployment
				if pct := d.Target.ProductionWeight; len(percents) == 0 || percents[len(percents)-1] != pct {
					percents = append(percents, pct)
				}
				for _, inv := range p.Invoke {
					shiftEvents = append(shiftEvents, inv.Event.ExecutionDetails.ProductionTrafficWeights)
					if err := d.Answer(inv, []byte(`{"hookStatus":"SUCCEEDED"}`), nil, w.now); err != nil {
						t.Fatal(err)
					}
				}
				for _, h := range d.StageHooks() {
					if h.Status == ecs.DeploymentLifecycleHookStatusAwaitingAction {
						if _, seen := pauses[h.ID]; seen {
							t.Fatalf("pause hook %s reused", h.ID)
						}
						pauses[h.ID] = w.now
						if err := d.Resolve(h.ID, ecs.DeploymentLifecycleHookActionContinue, w.now); err != nil {
							t.Fatal(err)
						}
					}
				}
				w.settle()
				w.apply(p)
				if g := w.traffic.Live[rProd][tgGreen]; len(weights) == 0 && g > 0 || len(weights) > 0 && g != weights[len(weights)-1] {
					weights = append(weights, g)
				}
				w.now = w.now.Add(30 * time.Second)
			}
			if d.Status != successful || !slices.Equal(weights, c.weights) {
				t.Fatalf("%s; production weights of green %v, want %v", d.Status, weights, c.weights)
			}
			if !slices.Equal(percents, c.percents) {
				t.Errorf("green's reported production share went %v, want %v", percents, c.percents)
			}
			if len(pauses) != len(c.weights) || len(shiftEvents) != len(c.weights) {
				t.Fatalf("%d pauses and %d shift hook calls for %d steps", len(pauses), len(shiftEvents), len(c.weights))
			}
			steps := productionSteps(c.strategy, c.cfg)
			for i, ev := range shiftEvents {
				if ev[revB] != steps[i] || ev[revA] != 100-steps[i] {
					t.Errorf("step %d: the shift hook saw %v, want %v%% on green", i, ev, steps[i])
				}
			}
			// Each pause after the first waited out the step bake.
			var times []time.Time
			for _, at := range pauses {
				times = append(times, at)
			}
			slices.SortFunc(times, time.Time.Compare)
			for i := 1; i < len(times); i++ {
				if gap := times[i].Sub(times[i-1]); gap < stepBakeTime(c.strategy, c.cfg) {
					t.Errorf("pause %d came %s after the previous one, before the step bake", i, gap)
				}
			}
		})
	}
}

func TestRollbackFromAStepIsAtOnce(t *testing.T) {
	d := bgDep(inProgress, StagePreProductionTrafficShift)
	d.Strategy, d.Config, d.Step = ecs.DeploymentStrategyLinear, linear(25, 5), 2
	tr := traffic(tgBlue, tgGreen)
	tr.Live[rProd] = percentWeights(tgGreen, tgBlue, 50)
	d.Status = rollbackRequested
	p := bgStep(d, t0, tr)
	i := slices.IndexFunc(p.Weights, func(w RuleWeights) bool { return w.Rule == rProd })
	if i < 0 || p.Weights[i].Weights[tgBlue] != MaxWeight || p.Weights[i].Weights[tgGreen] != 0 {
		t.Fatalf("rollback from 50%%: weights %v, want production all on blue in the first step", p.Weights)
	}
}
