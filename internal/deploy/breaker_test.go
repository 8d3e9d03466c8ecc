package deploy

import (
	"testing"
	"time"

	"github.com/cutover/cutover/internal/ecs"
)

func TestBreakerThreshold(t *testing.T) {
	for desired, want := range map[int]int{0: 3, 1: 3, 5: 3, 7: 4, 10: 5, 399: 200, 1000: 200} {
		if got := BreakerThreshold(desired); got != want {
			t.Errorf("BreakerThreshold(%d) = %d, want %d", desired, got, want)
		}
	}
}

func TestCircuitBreaker(t *testing.T) {
	failures := func(n int, rev string) []Failure {
		var out []Failure
		for i := range n {
			out = append(out, Failure{Revision: rev, At: t0.Add(-time.Duration(i) * time.Second)})
		}
		return out
	}
	cases := []struct {
		name     string
		breaker  *ecs.DeploymentCircuitBreaker
		failures []Failure
		status   status
	}{
		{"disabled", nil, failures(5, revB), inProgress},
		{"below the threshold", &ecs.DeploymentCircuitBreaker{Enable: ecs.Bool(true), Rollback: ecs.Bool(true)}, failures(2, revB), inProgress},
		{"failures of another revision", &ecs.DeploymentCircuitBreaker{Enable: ecs.Bool(true), Rollback: ecs.Bool(true)}, failures(5, revA), inProgress},
		{"tripped: rolls back", &ecs.DeploymentCircuitBreaker{Enable: ecs.Bool(true), Rollback: ecs.Bool(true)}, failures(3, revB), rollbackInProgress},
		{"tripped without rollback: stops", &ecs.DeploymentCircuitBreaker{Enable: ecs.Bool(true), Rollback: ecs.Bool(false)}, failures(3, revB), stopped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := dep(inProgress, ecs.ServiceDeploymentLifecycleStageScaleUp)
			d.Config.DeploymentCircuitBreaker = c.breaker
			p := Next(Input{Now: t0, DesiredCount: 4, Revision: revB, Deployment: d, Failures: c.failures,
				Tasks: []Task{healthy("1", revA), healthy("2", revA), healthy("3", revA), healthy("4", revA)}})
			got := p.Deployment
			if got.Status != c.status || got.BreakerTripped != (c.status != inProgress) {
				t.Fatalf("status %s tripped %v (%s), want %s", got.Status, got.BreakerTripped, got.StatusReason, c.status)
			}
			if got.BreakerTripped && got.StatusReason != "ECS deployment circuit breaker: tasks failed to start" {
				t.Errorf("reason %q", got.StatusReason)
			}
		})
	}
}
