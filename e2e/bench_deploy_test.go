package e2e

// Deployment overhead (issue 9, target 3): a BLUE_GREEN deployment of
// tasks that are healthy at once, with zero bake, finishes in less than
// the health-check time plus 1 s; hooks that reply at once add under
// 10 ms each.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/client"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/lb/lbserver"
)

// The target groups' health check in the deployment benchmark: the
// smallest interval and healthy threshold ELBv2 accepts. The load
// balancer probes a target as soon as it is registered and calls it
// healthy after benchHealthyThreshold passing probes in a row, so
// benchHealthTime after its registration.
const (
	benchHealthInterval   = 5 * time.Second
	benchHealthyThreshold = 2
	benchHealthTime       = (benchHealthyThreshold - 1) * benchHealthInterval
)

// benchHookStages are the lifecycle stages a BLUE_GREEN deployment
// passes through that hooks may run at, in order: N hooks go to the
// first N of them, so that each one holds its own stage.
var benchHookStages = []string{
	"PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
	"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT",
}

// quickApp makes a task definition's container start as fast as the
// example app can: its container health check costs nothing (`true`
// every second, healthy at the first probe, well before the load
// balancer's benchHealthTime), and the Python interpreter is started
// itself, not through a version manager's shim on PATH (pyenv's, on the
// development machines, adds 0.3 to 0.8 s of shell scripts to every
// start).
func quickApp(t *testing.T) func(c map[string]any) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		t.Fatalf("find the Python interpreter: %v", err)
	}
	python := strings.TrimSpace(string(out))
	return func(c map[string]any) {
		c["healthCheck"] = map[string]any{"command": []string{"CMD", "true"}, "interval": 1, "timeout": 1, "retries": 1}
		c["entryPoint"] = []string{python, "server.py"}
	}
}

// TestBenchDeploy measures the overhead of BLUE_GREEN deployments (issue
// 9, target 3). The service web runs two tasks behind the built-in load
// balancer, whose target groups check every benchHealthInterval with a
// healthy threshold of benchHealthyThreshold and deregister without
// delay. Each run deploys another revision (a cheap container health
// check, zero bake) with N URL hooks that answer SUCCEEDED at once, each
// at a stage of its own, and times UpdateService's acknowledgement to
// SUCCESSFUL (polled every 20 ms); the overhead is that minus
// benchHealthTime, and each hook's cost is the slope over N. The example
// app is a Python program, which takes about 0.1 s to listen (more under
// load): the table also shows that part, from the new targets'
// registration to their first answer to a health check, and the overhead
// without it.
//
//	CUTOVER_BENCH=1 go test -run TestBenchDeploy -v -timeout 60m ./e2e/
func TestBenchDeploy(t *testing.T) {
	benchOnly(t)
	runs := benchRuns(t, 5)
	const secret = "bench-deploy-secret"
	hook := &stepHook{secret: []byte(secret)}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)

	s := signedServer(t, secret)
	c := apiClient(t, s, "AKIDEXAMPLE", "secret")
	_, _, lbs, _ := blueGreenService(t, s)
	var groups []struct {
		TargetGroupArn        string `json:"targetGroupArn"`
		AdvancedConfiguration struct {
			AlternateTargetGroupArn string `json:"alternateTargetGroupArn"`
		} `json:"advancedConfiguration"`
	}
	if err := json.Unmarshal([]byte(lbs), &groups); err != nil || len(groups) != 1 {
		t.Fatalf("--load-balancers %s: %v", lbs, err)
	}
	for _, tg := range []string{groups[0].TargetGroupArn, groups[0].AdvancedConfiguration.AlternateTargetGroupArn} {
		s.mustAWS("elbv2", "modify-target-group", "--target-group-arn", tg,
			"--health-check-interval-seconds", fmt.Sprint(int(benchHealthInterval/time.Second)),
			"--healthy-threshold-count", fmt.Sprint(benchHealthyThreshold))
		s.mustAWS("elbv2", "modify-target-group-attributes", "--target-group-arn", tg,
			"--attributes", "Key=deregistration_delay.timeout_seconds,Value=0")
	}
	// Two task definitions to alternate between: every run is a change.
	quick := quickApp(t)
	for _, v := range []string{"v2", "v3"} {
		s.mustAWS("ecs", "register-task-definition", "--cli-input-json", editTaskDef(t, taskDef(t, v, ""), quick))
	}

	dataPlane := lb.NewClient(filepath.Join(s.dataDir, "lb", lbserver.SocketName))
	t.Cleanup(dataPlane.Close)

	type result struct {
		hooks int
		// took is from UpdateService's acknowledgement to SUCCESSFUL,
		// healthy to the moment the load balancer called the new tasks
		// healthy, staged the time the deployment spent in the stages
		// hooks may hold (benchHookStages) by its own timeline.
		took, healthy, staged []time.Duration
		// registered is from the acknowledgement until the load balancer
		// had the new tasks' targets, starting from then until they
		// answered a health check (the app's own start).
		registered, starting []time.Duration
	}
	var results []result
	deploys := 0
	for _, n := range []int{0, 1, 4, len(benchHookStages)} {
		var hooks []any
		for _, stage := range benchHookStages[:n] {
			hooks = append(hooks, map[string]any{"hookTargetArn": hookSrv.URL + "/hook", "lifecycleStages": []string{stage}})
		}
		config, _ := json.Marshal(map[string]any{"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0, "lifecycleHooks": hooks})
		r := result{hooks: n}
		for i := range runs {
			td := fmt.Sprintf("web:%d", 2+deploys%2)
			deploys++
			calls, _ := hook.calls()
			watch := watchNewTargets(t, dataPlane, 2)
			arn, ack := benchUpdate(t, c, td, string(config))
			d, at := untilDeployment(t, c, arn, "SUCCESSFUL", 120*time.Second, func(d ecs.ServiceDeployment) bool {
				return d.Status == "SUCCESSFUL"
			})
			seen := watch()
			staged := hookStagesTime(t, c, arn)
			after, bad := hook.calls()
			if got := len(after) - len(calls); got != n || len(bad) > 0 {
				t.Fatalf("%d hooks were invoked %d times (bad requests: %v), want once each", n, got, bad)
			}
			took, healthy := at.Sub(ack), seen.healthy.Sub(ack)
			registered, starting := seen.registered.Sub(ack), seen.answered.Sub(seen.registered)
			t.Logf("%d hooks, run %d: %s SUCCESSFUL %s ms after UpdateService; its tasks registered after %s ms, answering %s ms later, healthy after %s ms; %s ms in the hook stages (started %v, finished %v)",
				n, i+1, td, ms(took), ms(registered), ms(starting), ms(healthy), ms(staged),
				ecs.TimeValue(d.StartedAt).Format("15:04:05.000"), ecs.TimeValue(d.FinishedAt).Format("15:04:05.000"))
			r.took, r.healthy, r.staged = append(r.took, took), append(r.healthy, healthy), append(r.staged, staged)
			r.registered, r.starting = append(r.registered, registered), append(r.starting, starting)
		}
		results = append(results, r)
	}

	base, baseStaged := quantile(results[0].took, 0.5), quantile(results[0].staged, 0.5)
	var rows [][]string
	for _, r := range results {
		med, staged := quantile(r.took, 0.5), quantile(r.staged, 0.5)
		perHook := "–"
		if r.hooks > 0 {
			perHook = fmt.Sprintf("%s (%s)", ms((staged-baseStaged)/time.Duration(r.hooks)), ms((med-base)/time.Duration(r.hooks)))
		}
		healthy, starting := quantile(r.healthy, 0.5), quantile(r.starting, 0.5)
		rows = append(rows, []string{fmt.Sprint(r.hooks), fmt.Sprint(len(r.took)), ms(quantile(r.took, 0)), ms(med),
			ms(quantile(r.took, 1)), ms(med - benchHealthTime), ms(starting), ms(med - benchHealthTime - starting),
			ms(quantile(r.registered, 0.5)), ms(healthy), ms(med - healthy), ms(staged), perHook})
	}
	benchTable(t, fmt.Sprintf("BLUE_GREEN deployment time, ms from UpdateService's acknowledgement to SUCCESSFUL (health-check time %v)", benchHealthTime),
		[]string{"hooks", "runs", "min", "median", "max", "median − health-check time",
			"the app's start (registered → answering), median", "median − health-check time − the app's start",
			"median until the new targets are registered", "median until they are healthy", "median after they are",
			"median in the hook stages", "per hook: added time in the hook stages (added total time), median"}, rows)
}

// newTargets is when the load balancer first showed n targets that were
// not registered when watchNewTargets started: registered, having
// answered a health check (their app listens), and healthy.
type newTargets struct{ registered, answered, healthy time.Time }

// watchNewTargets polls the load balancer's target health every 10 ms
// (on its admin socket, as the control plane reads it) for n targets
// that were not registered when it started; the returned function stops
// it and says when they were first seen registered, answering and
// healthy.
func watchNewTargets(t *testing.T, c *lb.Client, n int) func() newTargets {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	key := func(h lb.TargetHealth) string {
		return fmt.Sprintf("%s %s:%d", h.TargetGroupARN, h.Target.Host, h.Target.Port)
	}
	before := map[string]bool{}
	hs, err := c.Health(ctx)
	if err != nil {
		t.Fatalf("read target health: %v", err)
	}
	for _, h := range hs {
		before[key(h)] = true
	}
	done := make(chan newTargets, 1)
	go func() {
		defer close(done)
		var seen newTargets
		for ctx.Err() == nil {
			hs, _ := c.Health(ctx)
			registered, answered, healthy := 0, 0, 0
			for _, h := range hs {
				if before[key(h)] {
					continue
				}
				registered++
				// A target's first check that counts is its first answer:
				// refusals while it starts are not counted.
				if h.Reason != lb.ReasonRegistrationInProgress {
					answered++
				}
				if h.State == lb.StateHealthy {
					healthy++
				}
			}
			now := time.Now()
			for _, s := range []struct {
				count int
				at    *time.Time
			}{{registered, &seen.registered}, {answered, &seen.answered}, {healthy, &seen.healthy}} {
				if s.count >= n && s.at.IsZero() {
					*s.at = now
				}
			}
			if !seen.healthy.IsZero() {
				done <- seen
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	return func() newTargets {
		cancel()
		seen, ok := <-done
		if !ok {
			t.Fatalf("the load balancer never called %d new targets healthy", n)
		}
		return seen
	}
}

// hookStagesTime is how long a finished deployment spent, by its own
// timeline (DescribeServiceDeploymentDetails), in the stages hooks may
// hold: with hooks that answer at once, what each adds shows there
// rather than in the total, which ends at a pass of the controller.
func hookStagesTime(t *testing.T, c *client.Client, arn string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := c.DescribeServiceDeploymentDetails(ctx, &cutoverapi.DescribeServiceDeploymentDetailsRequest{ServiceDeploymentArn: arn})
	if err != nil {
		t.Fatalf("DescribeServiceDeploymentDetails %s: %v", arn, err)
	}
	var total time.Duration
	for _, st := range out.Details.Stages {
		if st.EndedAt != nil && slices.Contains(benchHookStages, string(st.Stage)) {
			total += st.EndedAt.Sub(st.StartedAt)
		}
	}
	return total
}
