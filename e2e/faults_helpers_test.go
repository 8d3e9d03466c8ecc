package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
)

// faultHook is a URL lifecycle hook whose every execution a test holds
// (IN_PROGRESS, callBackDelay 1) until it releases it, so that the
// control plane can be killed while the hook runs. With failStage set it
// lets every execution succeed at once until the first at that stage,
// which it answers FAILED, and holds every execution after that one:
// those are the rollback's.
type faultHook struct {
	secret []byte

	mu        sync.Mutex
	calls     []hookCall
	released  map[string]bool
	failStage string
	failed    string // the executionId answered FAILED
	bad       []string
}

// hookCall is one invocation of a faultHook and what it answered.
type hookCall struct {
	at         time.Time
	exec       string
	stage      string
	deployment string
	reply      string
}

func newFaultHook(secret string) *faultHook {
	return &faultHook{secret: []byte(secret), released: map[string]bool{}}
}

func (h *faultHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ev struct {
		ExecutionID    string `json:"executionId"`
		LifecycleStage string `json:"lifecycleStage"`
		ResourceArn    string `json:"resourceArn"`
	}
	if !readSignedEvent(w, r, h.secret, &h.bad, &ev) {
		return
	}
	if ev.ExecutionID == "" {
		h.bad = append(h.bad, "an event without an executionId")
		http.Error(w, "not a hook event", http.StatusBadRequest)
		return
	}
	reply := "IN_PROGRESS"
	switch {
	case h.failStage != "" && h.failed == "" && ev.LifecycleStage == h.failStage:
		h.failed = ev.ExecutionID
		reply = "FAILED"
	case ev.ExecutionID == h.failed:
		reply = "FAILED"
	case h.released[ev.ExecutionID], h.failStage != "" && h.failed == "":
		reply = "SUCCEEDED"
	}
	h.calls = append(h.calls, hookCall{at: time.Now(), exec: ev.ExecutionID, stage: ev.LifecycleStage,
		deployment: ev.ResourceArn, reply: reply})
	out := map[string]any{"hookStatus": reply}
	if reply == "IN_PROGRESS" {
		out["callBackDelay"] = 1
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(out)
}

// reset readies the hook for the next deployment: holding every
// execution, or failing the first at failStage when that is set.
func (h *faultHook) reset(failStage string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failStage, h.failed = failStage, ""
}

// heldSince reports whether an execution the hook holds was invoked
// after t.
func (h *faultHook) heldSince(t time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.calls {
		if c.reply == "IN_PROGRESS" && c.at.After(t) {
			return true
		}
	}
	return false
}

// release lets every execution invoked so far succeed at its next
// invocation.
func (h *faultHook) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.calls {
		h.released[c.exec] = true
	}
}

func (h *faultHook) snapshot() ([]hookCall, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls), slices.Clone(h.bad)
}

// stageKey is one entry of a deployment's stage timeline: LINEAR and
// CANARY repeat the production shift stages per step, and rolling back
// runs some stages again.
type stageKey struct {
	stage    string
	step     int
	rollback bool
}

func (k stageKey) String() string {
	s := k.stage
	if k.step > 0 {
		s += fmt.Sprintf(" (step %d)", k.step)
	}
	if k.rollback {
		s += " (rollback)"
	}
	return s
}

func keyOf(r cutoverapi.StageRun) stageKey {
	return stageKey{stage: string(r.Stage), step: r.Step, rollback: r.Rollback}
}

// killRecord is one kill -9 of the control plane during a deployment.
type killRecord struct {
	strategy, deployment string
	// seen is the stage the test saw current when it decided to kill;
	// in is the one the deployment's timeline says was current at the
	// kill, once the deployment has ended.
	seen, in stageKey
	at       time.Time
	outcome  string
}

// faultRun drives one service through deployments while killing its
// control plane.
type faultRun struct {
	t        *testing.T
	s        *server
	hook     *faultHook
	api      *client.Client
	strategy string
	// hookStages are the stages the deployments' URL hook is configured at.
	hookStages []string
	kills      []killRecord
	// load is the production load, whose failures the run logs by phase.
	load *load
}

func newFaultRun(t *testing.T, s *server, hook *faultHook, strategy string, hookStages []string) *faultRun {
	t.Helper()
	api, err := client.New(client.Options{Endpoint: s.url(), HTTPClient: &http.Client{Timeout: 10 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	return &faultRun{t: t, s: s, hook: hook, api: api, strategy: strategy, hookStages: hookStages}
}

// details describes a service deployment with cutover's own operation:
// it is quick enough to poll for short stages, and it has the timeline.
func (f *faultRun) details(arn string) (*cutoverapi.DeploymentDetails, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := f.api.DescribeServiceDeploymentDetails(ctx, &cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: arn})
	if err != nil {
		return nil, err
	}
	return &out.Details, nil
}

// deploy runs the deployment arn to its end, killing the control plane
// with SIGKILL as soon as it is seen in each stage that want accepts,
// once per timeline entry, and starting it again at once. At a stage
// with a hook it kills only once the hook holds an execution there, and
// after the restart waits for the hook to be invoked again before
// releasing it; at BAKE_TIME it ends the bake time after the restart. It
// fails the test unless the deployment ends with status want.
func (f *faultRun) deploy(name, arn, wantStatus string, want func(stageKey) bool) *cutoverapi.DeploymentDetails {
	f.t.Helper()
	done := map[stageKey]bool{}
	first := len(f.kills)
	deadline := time.Now().Add(4 * time.Minute)
	var d *cutoverapi.DeploymentDetails
	for {
		if time.Now().After(deadline) {
			f.t.Fatalf("%s deployment %s did not end in 4 minutes: %+v", name, arn, d)
		}
		var err error
		if d, err = f.details(arn); err != nil {
			f.t.Fatalf("describe %s: %v", arn, err)
		}
		if ended(string(d.ServiceDeployment.Status)) {
			break
		}
		if len(d.Stages) == 0 {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		cur := keyOf(d.Stages[len(d.Stages)-1])
		hooked := slices.Contains(f.hookStages, cur.stage)
		if done[cur] || !want(cur) || (hooked && !f.heldAt(d)) {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		done[cur] = true
		f.logLoad(fmt.Sprintf("before the kill in %s", cur))
		at := time.Now()
		f.s.kill9()
		f.kills = append(f.kills, killRecord{strategy: f.strategy, deployment: name, seen: cur, at: at})
		time.Sleep(200 * time.Millisecond)
		restarted := time.Now()
		f.s.start()
		if hooked {
			// The hook's execution was not lost with the control plane: it
			// is invoked again (IN_PROGRESS is persisted with its callback).
			eventually(f.t, 30*time.Second, fmt.Sprintf("the hook at %s invoked again after the restart", cur), func() bool {
				return f.hook.heldSince(restarted)
			})
			f.hook.release()
		}
		f.t.Logf("%s: killed in %s and restarted in %v", name, cur, time.Since(at).Round(time.Millisecond))
		if cur.stage == "BAKE_TIME" {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err := f.api.EndServiceDeploymentBakeTime(ctx, &cutoverapi.EndServiceDeploymentBakeTimeRequest{ServiceDeploymentArn: arn})
			cancel()
			if err != nil {
				f.t.Fatalf("end the bake time of %s after the restart: %v", arn, err)
			}
		}
	}
	f.logLoad(name + " deployment ended")
	status := string(d.ServiceDeployment.Status)
	for i := first; i < len(f.kills); i++ {
		k := &f.kills[i]
		k.outcome = status
		k.in = stageAt(d.Stages, k.at)
	}
	if status != wantStatus {
		f.t.Fatalf("%s deployment %s ended %s (%s), want %s", name, arn, status, d.ServiceDeployment.StatusReason, wantStatus)
	}
	f.checkHookCalls(arn, d)
	return d
}

// logLoad logs the production load's failures so far, to tell which
// phase lost requests.
func (f *faultRun) logLoad(when string) {
	if f.load != nil {
		f.t.Logf("%s load %s: %d ok, %d failed", time.Now().Format("15:04:05.000"), when, f.load.ok.Load(), f.load.fail.Load())
	}
}

// heldAt reports whether the hook holds an execution of the deployment's
// current stage (a hook run there is IN_PROGRESS and has been invoked).
func (f *faultRun) heldAt(d *cutoverapi.DeploymentDetails) bool {
	for _, h := range d.Hooks {
		if h.Current && h.Status == "IN_PROGRESS" && h.Attempts > 0 {
			return true
		}
	}
	return false
}

// stageAt returns the timeline entry current at t.
func stageAt(stages []cutoverapi.StageRun, t time.Time) stageKey {
	for _, r := range stages {
		if !t.Before(r.StartedAt) && (r.EndedAt == nil || t.Before(*r.EndedAt)) {
			return keyOf(r)
		}
	}
	return stageKey{stage: "none"}
}

// checkHookCalls checks the hook invocations of a deployment that has
// ended: each one came while its stage was current, and none came after
// the execution had been answered SUCCEEDED or FAILED (its result was
// stored before the next kill, so no restart explains another one).
func (f *faultRun) checkHookCalls(arn string, d *cutoverapi.DeploymentDetails) {
	f.t.Helper()
	calls, bad := f.hook.snapshot()
	if len(bad) > 0 {
		f.t.Errorf("the hook got badly signed or malformed requests: %v", bad)
	}
	answered := map[string]bool{}
	n := 0
	for _, c := range calls {
		if c.deployment != arn {
			continue
		}
		n++
		if answered[c.exec] {
			f.t.Errorf("execution %s at %s invoked at %s after it had been answered", c.exec, c.stage, c.at.Format(time.StampMilli))
		}
		if c.reply != "IN_PROGRESS" {
			answered[c.exec] = true
		}
		in := false
		for _, r := range d.Stages {
			end := time.Now()
			if r.EndedAt != nil {
				end = *r.EndedAt
			}
			if string(r.Stage) == c.stage && !c.at.Before(r.StartedAt) && !c.at.After(end) {
				in = true
			}
		}
		if !in {
			f.t.Errorf("execution %s invoked at %s for %s, which was not the current stage then: %s",
				c.exec, c.at.Format(time.StampMilli), c.stage, timeline(d.Stages))
		}
	}
	if n == 0 && len(f.hookStages) > 0 {
		f.t.Errorf("the hook was never invoked for %s", arn)
	}
}

func timeline(stages []cutoverapi.StageRun) string {
	var b strings.Builder
	for _, r := range stages {
		fmt.Fprintf(&b, "\n  %s from %s", keyOf(r), r.StartedAt.Format(time.StampMilli))
	}
	return b.String()
}

// checkTasks checks that the service runs exactly desired RUNNING tasks,
// all of task definition web:rev, and that no process the process
// runtime started is alive unless it belongs to one of them: nothing is
// orphaned or duplicated.
func (f *faultRun) checkTasks(desired int, taskDefRev int) {
	f.t.Helper()
	wantTD := fmt.Sprintf(":task-definition/web:%d", taskDefRev)
	var running map[string][2]int
	var extra []string
	eventually(f.t, 60*time.Second, "only the tasks of the service running", func() bool {
		running = runningTasks(f.t, f.s)
		extra = f.liveStrays(running)
		return len(running) == desired && len(extra) == 0
	})
	list := f.s.mustAWS("ecs", "list-tasks", "--cluster", "demo", "--service-name", "web")
	arns, _ := list["taskArns"].([]any)
	args := []string{"ecs", "describe-tasks", "--cluster", "demo", "--tasks"}
	for _, a := range arns {
		args = append(args, a.(string))
	}
	for _, tk := range f.s.mustAWS(args...)["tasks"].([]any) {
		if td, _ := path(tk, "taskDefinitionArn").(string); !strings.HasSuffix(td, wantTD) {
			f.t.Errorf("task %v runs %s, want web:%d", path(tk, "taskArn"), td, taskDefRev)
		}
		if path(tk, "lastStatus") != "RUNNING" || path(tk, "desiredStatus") != "RUNNING" {
			f.t.Errorf("task %v is %v (desired %v), want RUNNING", path(tk, "taskArn"), path(tk, "lastStatus"), path(tk, "desiredStatus"))
		}
	}
}

// liveStrays returns the runtime's task directories with a live process
// that is none of the running tasks'.
func (f *faultRun) liveStrays(running map[string][2]int) []string {
	ids := map[string]bool{}
	for arn := range running {
		ids[arn[strings.LastIndex(arn, "/")+1:]] = true
	}
	var strays []string
	matches, _ := filepath.Glob(filepath.Join(f.s.dataDir, "runtime", "tasks", "*", "state.json"))
	for _, file := range matches {
		id := filepath.Base(filepath.Dir(file))
		if ids[id] {
			continue
		}
		b, err := os.ReadFile(file)
		if err != nil {
			continue
		}
		for _, pid := range pidsIn(b) {
			if syscall.Kill(pid, 0) == nil && !zombie(pid) {
				strays = append(strays, fmt.Sprintf("%s (pid %d)", id, pid))
			}
		}
	}
	return strays
}

// faultTaskDef is taskDef with a container health check that tolerates
// a starved machine: the test runs beside others on two cores, where a
// python health check can take seconds to start, and a task replaced
// for a slow check is not what this test is about.
func faultTaskDef(t *testing.T, version, gate string) string {
	t.Helper()
	return editTaskDef(t, taskDef(t, version, gate), func(c map[string]any) {
		hc := c["healthCheck"].(map[string]any)
		hc["timeout"], hc["retries"] = 15, 6
	})
}

// zombie reports whether a process has exited but not been reaped.
func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] == 'Z'
}

// faultService creates the cluster demo, a load balancer and the
// service web running v1 with two tasks behind it: for ROLLING one target
// group behind a production listener, for the others blueGreenLB's. It
// returns the production listener's URL and v1's service revision.
func faultService(t *testing.T, s *server, c faultCase) (prod, v1Rev string) {
	t.Helper()
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	var lbs string
	if c.strategy == "ROLLING" {
		lbs, prod = rollingLB(t, s)
	} else {
		lbs, prod, _ = blueGreenLB(t, s)
	}
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", faultTaskDef(t, "v1", ""))
	svc := s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--load-balancers", lbs, "--deployment-configuration", c.deploymentConfig(0, ""),
		"--health-check-grace-period-seconds", "60")
	arn, _ := path(svc, "service", "currentServiceDeployment").(string)
	d := untilStatus(t, s, arn, "SUCCESSFUL", 120*time.Second)
	eventually(t, 30*time.Second, "the listener serving v1", func() bool {
		body, err := get(prod)
		return err == nil && strings.TrimSpace(body) == "hello from v1"
	})
	v1Rev, _ = path(d, "targetServiceRevision", "arn").(string)
	return prod, v1Rev
}

// rollingLB creates a load balancer with one target group and a
// production listener forwarding to it. It returns the service's
// --load-balancers argument and the listener's URL.
func rollingLB(t *testing.T, s *server) (lbs, prod string) {
	t.Helper()
	lbArn := path(s.mustAWS("elbv2", "create-load-balancer", "--name", "web"), "LoadBalancers", 0, "LoadBalancerArn").(string)
	tg := path(s.mustAWS("elbv2", "create-target-group", "--name", "web", "--protocol", "HTTP", "--port", "80",
		"--target-type", "ip", "--health-check-path", "/health", "--health-check-interval-seconds", "5",
		"--health-check-timeout-seconds", "4", "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "3"),
		"TargetGroups", 0, "TargetGroupArn").(string)
	s.mustAWS("elbv2", "modify-target-group-attributes", "--target-group-arn", tg,
		"--attributes", "Key=deregistration_delay.timeout_seconds,Value=2")
	_, port, _ := net.SplitHostPort(freeAddr(t))
	s.mustAWS("elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTP", "--port", port,
		"--default-actions", fmt.Sprintf(`[{"Type":"forward","TargetGroupArn":%q}]`, tg))
	b, _ := json.Marshal([]any{map[string]any{"targetGroupArn": tg, "containerName": "web", "containerPort": 8080}})
	return string(b), "http://127.0.0.1:" + port + "/"
}
