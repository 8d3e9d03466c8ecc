package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/cloudwatch"
	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/ecsapi"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/fake"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
	"github.com/cutover/cutover/internal/store/bolt"
)

// harness runs the real API, store and controller over the fake runtime
// with a clock the test moves.
type harness struct {
	t      *testing.T
	store  store.Store
	api    *ecsapi.API
	ctl    *controller.Controller
	driver *fake.Driver
	mu     sync.Mutex
	clock  time.Time
}

var arns = state.ARNs{Region: "us-east-1", Account: "000000000000"}

func newHarness(t *testing.T) *harness {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "state.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h := &harness{t: t, store: st, clock: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	h.driver = fake.New(h.now)
	h.api = ecsapi.New(ecsapi.Config{Store: st, ARNs: arns, Now: h.now})
	h.ctl = h.newController()
	h.call("CreateCluster", `{"clusterName":"c"}`)
	return h
}

func (h *harness) newController() *controller.Controller {
	return controller.New(controller.Config{Store: h.store, Drivers: h.drivers(), ARNs: arns, Now: h.now})
}

// drivers gives the controller the fake driver as the process runtime.
func (h *harness) drivers() map[string]runtime.Driver {
	return map[string]runtime.Driver{state.RuntimeProcess: h.driver}
}

func (h *harness) now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.clock
}

func (h *harness) advance(d time.Duration) {
	h.mu.Lock()
	h.clock = h.clock.Add(d)
	h.mu.Unlock()
}

// call invokes an ECS operation and returns the decoded response,
// failing the test on an error.
func (h *harness) call(op, body string) map[string]any {
	h.t.Helper()
	status, out := h.try(op, body)
	if status != http.StatusOK {
		h.t.Fatalf("%s: %d %v", op, status, out)
	}
	return out
}

func (h *harness) try(op, body string) (int, map[string]any) {
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", ecsapi.TargetPrefix+op)
	rec := httptest.NewRecorder()
	h.api.ServeHTTP(rec, req)
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		h.t.Fatalf("%s: bad response %q", op, rec.Body.String())
	}
	return rec.Code, out
}

// registerTaskDef registers family with one container whose environment
// steers the fake runtime.
func (h *harness) registerTaskDef(family, version string, env map[string]string) {
	h.t.Helper()
	vars := []map[string]string{{"name": "VERSION", "value": version}}
	for k, v := range env {
		vars = append(vars, map[string]string{"name": k, "value": v})
	}
	cd := map[string]any{
		"name": "app", "image": "app:" + version, "essential": true,
		"command": []string{"serve"}, "environment": vars,
		"portMappings": []map[string]any{{"containerPort": 8080}},
		"healthCheck":  map[string]any{"command": []string{"CMD", "true"}},
	}
	b, _ := json.Marshal(map[string]any{"family": family, "containerDefinitions": []any{cd}})
	h.call("RegisterTaskDefinition", string(b))
}

// passUntil runs controller passes, moving the clock a second each,
// until cond holds.
func (h *harness) passUntil(what string, cond func() bool) {
	h.t.Helper()
	for range 200 {
		h.ctl.Pass(context.Background())
		if cond() {
			return
		}
		h.advance(time.Second)
	}
	h.t.Fatalf("gave up waiting for %s", what)
}

// deployment returns the service's current service deployment.
func (h *harness) deployment(service string) map[string]any {
	h.t.Helper()
	svc := h.service(service)
	out := h.call("DescribeServiceDeployments", fmt.Sprintf(`{"serviceDeploymentArns":[%q]}`, svc["currentServiceDeployment"]))
	return out["serviceDeployments"].([]any)[0].(map[string]any)
}

func (h *harness) service(name string) map[string]any {
	h.t.Helper()
	out := h.call("DescribeServices", fmt.Sprintf(`{"cluster":"c","services":[%q]}`, name))
	return out["services"].([]any)[0].(map[string]any)
}

func (h *harness) status(service string) string {
	return h.deployment(service)["status"].(string)
}

// tasks returns the task records of the cluster, by desired status.
func (h *harness) tasks(desired string) []state.Task {
	h.t.Helper()
	var out []state.Task
	err := h.store.View(context.Background(), func(tx store.Tx) error {
		return state.Tx{Tx: tx}.Tasks("c", "", func(t *state.Task) error {
			if t.DesiredStatus == desired {
				out = append(out, *t)
			}
			return nil
		})
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// running counts RUNNING tasks per task definition revision.
func (h *harness) running() map[string]int {
	n := map[string]int{}
	for _, t := range h.tasks(state.TaskRunning) {
		if t.LastStatus == state.TaskRunning {
			n[state.LastPart(t.TaskDefinitionArn)]++
		}
	}
	return n
}

func (h *harness) steady(service string, want map[string]int) func() bool {
	return func() bool {
		got := h.running()
		if len(got) != len(want) || len(h.driver.Running()) != sumOf(want) {
			return false
		}
		for k, v := range want {
			if got[k] != v {
				return false
			}
		}
		return h.status(service) == "SUCCESSFUL" || h.status(service) == "ROLLBACK_SUCCESSFUL"
	}
}

func sumOf(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestCreateServiceRunsDesiredTasks(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("2 tasks of web:1 and a successful deployment", h.steady("web", map[string]int{"web:1": 2}))

	svc := h.service("web")
	if svc["runningCount"].(float64) != 2 || len(svc["deployments"].([]any)) != 1 {
		t.Fatalf("service: running %v, deployments %v", svc["runningCount"], svc["deployments"])
	}
	h.passUntil("steady state event", func() bool {
		ev := h.service("web")["events"].([]any)
		return len(ev) > 0 && strings.Contains(ev[0].(map[string]any)["message"].(string), "has reached a steady state")
	})
	for _, tk := range h.tasks(state.TaskRunning) {
		b := tk.Containers[0].NetworkBindings
		if len(b) != 1 || *b[0].HostPort == 0 || *b[0].ContainerPort != 8080 || tk.HealthStatus != "HEALTHY" {
			t.Errorf("task %s: bindings %+v health %s", tk.ID, b, tk.HealthStatus)
		}
	}
}

func TestRollingUpdate(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":3,
		"deploymentConfiguration":{"minimumHealthyPercent":100,"maximumPercent":150}}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 3}))

	h.registerTaskDef("web", "v2", map[string]string{"FAKE_START_PASSES": "2"})
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2"}`)
	maxTotal, minHealthy := 0, 3
	h.passUntil("v2 steady", func() bool {
		live, healthy := len(h.driver.Running()), 0
		for _, n := range h.running() {
			healthy += n
		}
		maxTotal, minHealthy = max(maxTotal, live), min(minHealthy, healthy)
		return h.steady("web", map[string]int{"web:2": 3})()
	})
	// maximumPercent 150 of 3 allows 4 tasks; minimumHealthyPercent 100
	// keeps 3 running throughout.
	if maxTotal > 4 || minHealthy < 3 {
		t.Errorf("rollout broke its limits: up to %d tasks, down to %d running", maxTotal, minHealthy)
	}
	d := h.deployment("web")
	if d["lifecycleStage"] != "CLEAN_UP" || d["finishedAt"] == nil || len(d["sourceServiceRevisions"].([]any)) != 1 {
		t.Errorf("deployment: %v", d)
	}
	if got := h.service("web")["taskDefinition"]; !strings.HasSuffix(got.(string), "web:2") {
		t.Errorf("service task definition = %v", got)
	}
}

func TestCrashedTaskIsReplaced(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))

	victim := h.tasks(state.TaskRunning)[0]
	h.driver.Stop(context.Background(), victim.ID) // the process dies on its own
	h.passUntil("replacement", func() bool {
		return h.steady("web", map[string]int{"web:1": 2})() && len(h.tasks(state.TaskStopped)) == 1
	})
	stopped := h.tasks(state.TaskStopped)[0]
	if stopped.ID != victim.ID || stopped.StopCode != "EssentialContainerExited" || stopped.LastStatus != state.TaskStopped {
		t.Errorf("stopped task: %s code %s status %s", stopped.ID, stopped.StopCode, stopped.LastStatus)
	}
}

func TestStopServiceDeploymentRollsBack(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))

	// v2 never becomes healthy: its tasks keep being replaced.
	h.registerTaskDef("web", "v2", map[string]string{"FAKE_HEALTH": "UNHEALTHY"})
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2"}`)
	h.passUntil("an unhealthy v2 task replaced", func() bool {
		for _, tk := range h.tasks(state.TaskStopped) {
			if tk.StoppedReason == "Task failed container health checks" {
				return true
			}
		}
		return false
	})
	if h.status("web") != "IN_PROGRESS" {
		t.Fatalf("status = %s", h.status("web"))
	}
	arn := h.service("web")["currentServiceDeployment"].(string)
	h.call("StopServiceDeployment", fmt.Sprintf(`{"serviceDeploymentArn":%q,"stopType":"ROLLBACK"}`, arn))
	h.passUntil("rolled back to v1", h.steady("web", map[string]int{"web:1": 2}))

	d := h.deployment("web")
	rb, _ := d["rollback"].(map[string]any)
	if rb == nil || !strings.HasSuffix(rb["serviceRevisionArn"].(string), "/1") {
		t.Errorf("rollback = %v", d["rollback"])
	}
	if got := h.service("web")["taskDefinition"]; !strings.HasSuffix(got.(string), "web:1") {
		t.Errorf("service task definition = %v after rollback", got)
	}
	// A finished deployment cannot be stopped again.
	if status, out := h.try("StopServiceDeployment", fmt.Sprintf(`{"serviceDeploymentArn":%q}`, arn)); status != 400 || out["__type"] != "ConflictException" {
		t.Errorf("second stop: %d %v", status, out)
	}
}

func TestUpdateDuringDeploymentSupersedesIt(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))

	h.registerTaskDef("web", "v2", map[string]string{"FAKE_START_PASSES": "1000"})
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2"}`)
	first := h.service("web")["currentServiceDeployment"].(string)
	h.passUntil("v2 tasks pending", func() bool { return len(h.driver.Running()) == 4 })

	h.registerTaskDef("web", "v3", nil)
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:3"}`)
	h.passUntil("v3 steady", h.steady("web", map[string]int{"web:3": 2}))

	out := h.call("DescribeServiceDeployments", fmt.Sprintf(`{"serviceDeploymentArns":[%q]}`, first))
	if s := out["serviceDeployments"].([]any)[0].(map[string]any)["status"]; s != "STOPPED" {
		t.Errorf("superseded deployment status = %v", s)
	}
	if n := len(h.deployment("web")["sourceServiceRevisions"].([]any)); n != 2 {
		t.Errorf("new deployment has %d sources, want 2 (v1 and the half-started v2)", n)
	}
	list := h.call("ListServiceDeployments", `{"service":"web","cluster":"c"}`)["serviceDeployments"].([]any)
	if len(list) != 3 || list[0].(map[string]any)["status"] != "SUCCESSFUL" {
		t.Errorf("ListServiceDeployments (newest first) = %v", list)
	}
}

func TestRestartedControllerCarriesOn(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))
	h.registerTaskDef("web", "v2", map[string]string{"FAKE_START_PASSES": "3"})
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2"}`)
	h.passUntil("deployment under way", func() bool { return len(h.driver.Running()) > 2 })

	h.ctl = h.newController() // the old one is gone: only the store remains
	h.passUntil("v2 steady", h.steady("web", map[string]int{"web:2": 2}))
	if h.driver.Starts != 4 {
		t.Errorf("%d tasks were started in all, want 4 (2 of v1, 2 of v2): duplicates after restart", h.driver.Starts)
	}
}

func TestOrphanedRuntimeTaskIsStopped(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.driver.Start(context.Background(), fakeSpec("orphan"))
	h.passUntil("orphan gone", func() bool { return len(h.driver.Running()) == 0 })
}

func TestDeleteServiceDrains(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))
	if status, out := h.try("DeleteService", `{"cluster":"c","service":"web"}`); status != 400 || out["__type"] != "InvalidParameterException" {
		t.Fatalf("delete of a scaled service without force: %d %v", status, out)
	}
	h.call("DeleteService", `{"cluster":"c","service":"web","force":true}`)
	h.passUntil("service inactive", func() bool {
		return h.service("web")["status"] == "INACTIVE" && len(h.driver.Running()) == 0
	})
}

func TestCrashLoopIsThrottled(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", map[string]string{"FAKE_EXIT_AFTER": "1"})
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	for range 120 { // two minutes of a service whose tasks all crash
		h.ctl.Pass(context.Background())
		h.advance(time.Second)
	}
	// Unthrottled, a task would start every pass or two: well over 100.
	if h.driver.Starts > 20 {
		t.Errorf("%d task launches in two minutes of crashes: not throttled", h.driver.Starts)
	}
	if h.driver.Starts < 6 {
		t.Errorf("only %d task launches: throttled too hard", h.driver.Starts)
	}
	found := false
	for _, ev := range h.service("web")["events"].([]any) {
		found = found || strings.Contains(ev.(map[string]any)["message"].(string), "unable to consistently start tasks")
	}
	if !found {
		t.Error("no event says the service cannot start tasks")
	}
	if d := h.deployment("web"); d["status"] != "IN_PROGRESS" {
		t.Errorf("deployment status = %v", d["status"])
	}
}

func TestStoppedTasksArePrunedAfterAnHour(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 1}))
	h.call("UpdateService", `{"cluster":"c","service":"web","desiredCount":0}`)
	h.passUntil("task stopped", func() bool { return len(h.tasks(state.TaskStopped)) == 1 && len(h.driver.Running()) == 0 })
	id := h.tasks(state.TaskStopped)[0].ID
	if status, out := h.try("DescribeTasks", fmt.Sprintf(`{"cluster":"c","tasks":[%q]}`, id)); status != 200 || len(out["tasks"].([]any)) != 1 {
		t.Fatalf("stopped task not describable: %v", out)
	}
	h.advance(controller.StoppedTaskRetention + time.Minute)
	h.passUntil("record pruned", func() bool { return len(h.tasks(state.TaskStopped)) == 0 })
}

func TestPauseHookWaitsForContinue(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))

	h.registerTaskDef("web", "v2", nil)
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2","deploymentConfiguration":{
		"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["PRE_SCALE_UP"],"timeoutConfiguration":{"timeoutInMinutes":30}}]}}`)
	var hook map[string]any
	h.passUntil("a pause hook awaiting action", func() bool {
		details, _ := h.deployment("web")["lifecycleHookDetails"].([]any)
		if len(details) == 1 {
			hook = details[0].(map[string]any)
		}
		return hook != nil
	})
	if hook["status"] != "AWAITING_ACTION" || hook["targetType"] != "PAUSE" || !strings.HasPrefix(hook["hookId"].(string), "ecs-pause-") {
		t.Fatalf("hook detail %v", hook)
	}
	for range 10 {
		h.ctl.Pass(context.Background())
		h.advance(time.Minute)
	}
	if d := h.deployment("web"); d["lifecycleStage"] != "PRE_SCALE_UP" || h.running()["web:2"] != 0 {
		t.Fatalf("moved on without an action: %v, running %v", d["lifecycleStage"], h.running())
	}
	arn := h.service("web")["currentServiceDeployment"].(string)
	if status, out := h.try("ContinueServiceDeployment", fmt.Sprintf(`{"serviceDeploymentArn":%q,"hookId":"ecs-pause-nope","action":"CONTINUE"}`, arn)); status != 400 || out["__type"] != "InvalidParameterException" {
		t.Errorf("unknown hook: %d %v", status, out)
	}
	h.call("ContinueServiceDeployment", fmt.Sprintf(`{"serviceDeploymentArn":%q,"hookId":%q,"action":"CONTINUE"}`, arn, hook["hookId"]))
	if status, out := h.try("ContinueServiceDeployment", fmt.Sprintf(`{"serviceDeploymentArn":%q,"hookId":%q}`, arn, hook["hookId"])); status != 400 || out["__type"] != "ClientException" {
		t.Errorf("second continue: %d %v", status, out)
	}
	h.passUntil("v2 deployed", h.steady("web", map[string]int{"web:2": 2}))

	// A PAUSE hook cannot hold a traffic shift; hooks need a valid target.
	for _, cfg := range []string{
		`{"strategy":"BLUE_GREEN","lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["PRODUCTION_TRAFFIC_SHIFT"]}]}`,
		`{"lifecycleHooks":[{"targetType":"AWS_LAMBDA","hookTargetArn":"arn:aws:s3:::bucket","lifecycleStages":["PRE_SCALE_UP"]}]}`,
		`{"lifecycleHooks":[{"hookTargetArn":"http://","lifecycleStages":["PRE_SCALE_UP"]}]}`,
		`{"lifecycleHooks":[{"targetType":"AWS_LAMBDA","lifecycleStages":["PRE_SCALE_UP"]}]}`,
		`{"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"]}]}`,
		`{"lifecycleHooks":[{"targetType":"PAUSE","hookTargetArn":"http://a/","lifecycleStages":["PRE_SCALE_UP"]}]}`,
	} {
		if status, out := h.try("UpdateService", `{"cluster":"c","service":"web","deploymentConfiguration":`+cfg+`}`); status != 400 || out["__type"] != "InvalidParameterException" {
			t.Errorf("config %s: %d %v", cfg, status, out)
		}
	}
}

// TestCircuitBreakerRollsBack: a rolling update to a revision whose tasks
// exit at once is failed by the circuit breaker and rolled back.
func TestCircuitBreakerRollsBack(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2,
		"deploymentConfiguration":{"deploymentCircuitBreaker":{"enable":true,"rollback":true}}}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))
	h.registerTaskDef("web", "v2", map[string]string{"FAKE_EXIT_AFTER": "1"})
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2"}`)
	h.passUntil("rolled back", func() bool { return h.status("web") == "ROLLBACK_SUCCESSFUL" })
	d := h.deployment("web")
	cb := d["deploymentCircuitBreaker"].(map[string]any)
	if cb["status"] != "TRIGGERED" || cb["threshold"] != 3.0 || cb["failureCount"].(float64) < 3 ||
		!strings.Contains(d["statusReason"].(string), "circuit breaker") {
		t.Fatalf("deployment %v", d)
	}
	h.passUntil("v1 steady again", h.steady("web", map[string]int{"web:1": 2}))
	if deps := h.service("web")["deployments"].([]any); len(deps) != 1 || deps[0].(map[string]any)["failedTasks"] != 0.0 {
		t.Errorf("deployments[] after the rollback: %v (the failures were v2's)", deps)
	}
}

// TestAlarmRollsBack: a watched alarm entering ALARM while a deployment
// waits at a pause hook rolls it back; one already in ALARM at the start
// is ignored.
func TestAlarmRollsBack(t *testing.T) {
	h := newHarness(t)
	setAlarm := func(name string, value cloudwatch.StateValue) {
		err := state.Update(context.Background(), h.store, func(tx state.Tx) error {
			a := &state.Alarm{MetricAlarm: cloudwatch.MetricAlarm{AlarmName: name, StateValue: value,
				StateTransitionedTimestamp: &cloudwatch.Time{Time: h.now()}}}
			return tx.PutAlarm(a)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	setAlarm("old", cloudwatch.StateValueAlarm)
	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1}`)
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 1}))
	h.registerTaskDef("web", "v2", nil)
	h.advance(time.Second)
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2","deploymentConfiguration":{
		"alarms":{"alarmNames":["old","errors"],"enable":true,"rollback":true},
		"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["POST_SCALE_UP"]}]}}`)
	h.passUntil("paused after the scale-up", func() bool { return h.deployment("web")["lifecycleStage"] == "POST_SCALE_UP" })
	if d := h.deployment("web"); d["status"] != "IN_PROGRESS" || d["alarms"].(map[string]any)["status"] != "MONITORING" {
		t.Fatalf("an alarm in ALARM before the start failed the deployment: %v", d)
	}
	setAlarm("errors", cloudwatch.StateValueAlarm)
	h.passUntil("rolled back", func() bool { return h.status("web") == "ROLLBACK_SUCCESSFUL" })
	d := h.deployment("web")
	alarms := d["alarms"].(map[string]any)
	if alarms["status"] != "TRIGGERED" || fmt.Sprint(alarms["triggeredAlarmNames"]) != "[errors]" ||
		!strings.Contains(d["statusReason"].(string), "errors") {
		t.Fatalf("deployment %v", d)
	}
}
