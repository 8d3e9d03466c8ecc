package e2e

// The deployment circuit breaker of ROLLING deployments.

import (
	"maps"
	"slices"
	"testing"
	"time"
)

// TestCircuitBreakerRollsBack updates a ROLLING service with the circuit
// breaker enabled to a task definition whose container exits at once:
// once three of its tasks failed (the threshold for two desired tasks is
// half of them, at least 3) the breaker trips, the deployment rolls back,
// and the v1 tasks that ran throughout keep serving.
func TestCircuitBreakerRollsBack(t *testing.T) {
	s := startServer(t)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v1", ""))
	breaker := `{"deploymentCircuitBreaker":{"enable":true,"rollback":true}}`
	svc := s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--deployment-configuration", breaker)
	arn, _ := path(svc, "service", "currentServiceDeployment").(string)
	d1 := untilStatus(t, s, arn, "SUCCESSFUL", 60*time.Second)
	v1Rev, _ := path(d1, "targetServiceRevision", "arn").(string)
	if got := path(d1, "deploymentCircuitBreaker", "status"); got != "MONITORING_COMPLETE" {
		t.Errorf("v1's deploymentCircuitBreaker.status %v, want MONITORING_COMPLETE", got)
	}
	var v1 map[string][2]int
	eventually(t, 30*time.Second, "two v1 tasks answering", func() bool {
		v1 = runningTasks(t, s)
		return len(v1) == 2 && allAnswer(t, v1, "v1")
	})

	s.mustAWS("ecs", "register-task-definition", "--cli-input-json",
		taskDefEntryPoint(t, "crash", "python3", "-c", "import sys; sys.exit(1)"))
	start := time.Now()
	v2, _ := updateService(t, s, "web:2", breaker)
	d := untilStatus(t, s, v2, "ROLLBACK_SUCCESSFUL", 90*time.Second)
	t.Logf("rolled back %v after the update: %v; circuit breaker %v", time.Since(start).Round(time.Second),
		d["statusReason"], d["deploymentCircuitBreaker"])

	if got := d["statusReason"]; got != "ECS deployment circuit breaker: tasks failed to start" {
		t.Errorf("statusReason %q, want the circuit breaker's", got)
	}
	cb := d["deploymentCircuitBreaker"]
	failures, _ := path(cb, "failureCount").(float64)
	if path(cb, "status") != "TRIGGERED" || path(cb, "threshold") != 3.0 || failures < 3 {
		t.Errorf("deploymentCircuitBreaker %v, want status TRIGGERED, threshold 3 and failureCount at least 3", cb)
	}
	if got := path(d, "rollback", "serviceRevisionArn"); got != v1Rev {
		t.Errorf("rolled back to %v, want v1's revision %s", got, v1Rev)
	}

	// The v1 tasks ran throughout: the same tasks and processes serve.
	var now map[string][2]int
	eventually(t, 30*time.Second, "only the v1 tasks running", func() bool {
		now = runningTasks(t, s)
		return len(now) == 2
	})
	if got, want := slices.Sorted(maps.Keys(now)), slices.Sorted(maps.Keys(v1)); !slices.Equal(got, want) {
		t.Errorf("tasks running after the rollback %v, want the v1 tasks %v", got, want)
	}
	for arn, tk := range v1 {
		if !alive(tk[1]) {
			t.Errorf("v1 task %s (pid %d) is gone", arn, tk[1])
		}
	}
	if !allAnswer(t, now, "v1") {
		t.Errorf("after the rollback the tasks do not all answer v1")
	}
	svc = s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	if got := path(svc, "services", 0, "runningCount"); got != 2.0 {
		t.Errorf("runningCount %v after the rollback, want 2", got)
	}
	var revs []string
	list, _ := path(svc, "services", 0, "currentServiceRevisions").([]any)
	for _, r := range list {
		revs = append(revs, path(r, "arn").(string))
	}
	if !slices.Equal(revs, []string{v1Rev}) {
		t.Errorf("currentServiceRevisions %v after the rollback, want only v1's %s", revs, v1Rev)
	}
}
