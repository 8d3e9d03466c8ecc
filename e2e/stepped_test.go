package e2e

// LINEAR and CANARY deployments: production traffic moving in steps,
// hooks at every step, the live split measured on the production
// listener, and a rollback from the middle of the steps.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/signature"
)

// stepHook is a URL lifecycle hook that checks each request's signature,
// records the event, and answers SUCCEEDED, or IN_PROGRESS (callBackDelay
// 1) for as long as hold says so of the event.
type stepHook struct {
	secret []byte
	mu     sync.Mutex
	events []map[string]any
	bad    []string
	hold   func(ev map[string]any) bool
}

func (h *stepHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ev map[string]any
	if !readSignedEvent(w, r, h.secret, &h.bad, &ev) {
		return
	}
	h.events = append(h.events, ev)
	reply := map[string]any{"hookStatus": "SUCCEEDED"}
	if h.hold != nil && h.hold(ev) {
		reply = map[string]any{"hookStatus": "IN_PROGRESS", "callBackDelay": 1}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}

// readSignedEvent reads a lifecycle hook request, checks its signature
// with secret and decodes its event into ev. When either fails it
// answers the request, adds why to bad and returns false.
func readSignedEvent(w http.ResponseWriter, r *http.Request, secret []byte, bad *[]string, ev any) bool {
	body, _ := io.ReadAll(r.Body)
	if err := signature.Verify(r.Header, secret, body, time.Now()); err != nil {
		*bad = append(*bad, err.Error())
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return false
	}
	if err := json.Unmarshal(body, ev); err != nil {
		*bad = append(*bad, fmt.Sprintf("event %q: %v", body, err))
		http.Error(w, "not a JSON event", http.StatusBadRequest)
		return false
	}
	return true
}

// setHold replaces the hook's hold function.
func (h *stepHook) setHold(hold func(ev map[string]any) bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.hold = hold
}

func (h *stepHook) calls() ([]map[string]any, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events), slices.Clone(h.bad)
}

// signedServer starts a cutover server whose URL hooks are signed with
// secret.
func signedServer(t *testing.T, secret string) *server {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "cutover.yaml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, "signingSecret: %q\n", secret), 0o644); err != nil {
		t.Fatal(err)
	}
	return startServer(t, "--config", cfg)
}

// blueGreenService creates the cluster demo, the blue/green load
// balancer and the service web running v1 with two tasks, deployed
// BLUE_GREEN. It returns the production and test listeners' URLs, the
// service's --load-balancers argument and v1's service revision.
func blueGreenService(t *testing.T, s *server) (prod, test, lbs, v1Rev string) {
	t.Helper()
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	lbs, prod, test = blueGreenLB(t, s)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v1", ""))
	svc := s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--load-balancers", lbs, "--deployment-configuration", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0}`,
		"--health-check-grace-period-seconds", "60")
	arn, _ := path(svc, "service", "currentServiceDeployment").(string)
	d := untilStatus(t, s, arn, "SUCCESSFUL", 90*time.Second)
	v1Rev, _ = path(d, "targetServiceRevision", "arn").(string)
	answers(t, "v1 deployed", map[string]string{prod: "v1", test: "v1"})
	return prod, test, lbs, v1Rev
}

// updateService deploys a task definition with a deployment
// configuration and returns the new service deployment's ARN and its
// target service revision.
func updateService(t *testing.T, s *server, td, config string) (arn, revision string) {
	t.Helper()
	before, _ := path(s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web"),
		"services", 0, "currentServiceDeployment").(string)
	svc := s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", td,
		"--deployment-configuration", config)
	arn, _ = path(svc, "service", "currentServiceDeployment").(string)
	if arn == "" || arn == before {
		t.Fatalf("update-service to %s started no new service deployment: %v", td, svc)
	}
	return arn, path(describeDeployment(t, s, arn), "targetServiceRevision", "arn").(string)
}

// ended reports whether a service deployment status is final.
func ended(status string) bool {
	return status == "SUCCESSFUL" || status == "STOPPED" || strings.HasSuffix(status, "_SUCCESSFUL") || strings.HasSuffix(status, "_FAILED")
}

// untilStatus waits for a service deployment to reach a status, failing
// at once if it ends in another, and returns it.
func untilStatus(t *testing.T, s *server, arn, status string, timeout time.Duration) map[string]any {
	t.Helper()
	var d map[string]any
	eventually(t, timeout, arn+" "+status, func() bool {
		d = describeDeployment(t, s, arn)
		st, _ := d["status"].(string)
		if st != status && ended(st) {
			t.Fatalf("deployment %s ended %s (%v), want %s", arn, st, d["statusReason"], status)
		}
		return st == status
	})
	return d
}

// sample sends n requests to url one after the other and counts the
// answers by version ("hello from v2" counts as "v2"); failures count as
// "error".
func sample(url string, n int) map[string]int {
	got := map[string]int{}
	for range n {
		body, err := get(url)
		if err != nil {
			got["error"]++
			continue
		}
		got[strings.TrimPrefix(strings.TrimSpace(body), "hello from ")]++
	}
	return got
}

// weights returns the production and test traffic weights a service
// deployment reports for a revision (its target or one of its sources).
func weights(d map[string]any, revision string) (prod, test float64, ok bool) {
	revs := []any{d["targetServiceRevision"]}
	srcs, _ := d["sourceServiceRevisions"].([]any)
	for _, r := range append(revs, srcs...) {
		if path(r, "arn") == revision {
			prod, ok1 := path(r, "requestedProductionTrafficWeight").(float64)
			test, ok2 := path(r, "requestedTestTrafficWeight").(float64)
			return prod, test, ok1 && ok2
		}
	}
	return 0, 0, false
}

// untilWeights waits until a service deployment reports the production
// weights for its target (green) and source (blue) revision.
func untilWeights(t *testing.T, s *server, arn, green, blue string, greenPct, bluePct float64) map[string]any {
	t.Helper()
	var d map[string]any
	eventually(t, 30*time.Second, fmt.Sprintf("production weights %v/%v reported", greenPct, bluePct), func() bool {
		d = describeDeployment(t, s, arn)
		g, _, ok1 := weights(d, green)
		b, _, ok2 := weights(d, blue)
		return ok1 && ok2 && g == greenPct && b == bluePct
	})
	return d
}

// pct is the share of the answers that came from version, in percent.
func pct(got map[string]int, version string) float64 {
	n := 0
	for _, c := range got {
		n += c
	}
	if n == 0 {
		return 0
	}
	return 100 * float64(got[version]) / float64(n)
}

// TestLinearShiftsProductionInSteps runs a LINEAR deployment of 34% steps
// (34, 68, 100) under production load, with a URL hook at
// PRE_PRODUCTION_TRAFFIC_SHIFT and PRODUCTION_TRAFFIC_SHIFT: the hook
// holds the first step, while which the deployment reports 34/66 and the
// production listener sends about a third of the requests to v2; every
// step gets its own hook executions, whose events carry the weights; the
// deployment completes with production on v2 and no failed request.
func TestLinearShiftsProductionInSteps(t *testing.T) {
	const secret = "e2e-linear-secret"
	hook := &stepHook{secret: []byte(secret)}
	held := true
	var heldMu sync.Mutex
	// Hold the first production step (green at 34%) until released.
	hook.setHold(func(ev map[string]any) bool {
		heldMu.Lock()
		defer heldMu.Unlock()
		if !held || ev["lifecycleStage"] != "PRODUCTION_TRAFFIC_SHIFT" {
			return false
		}
		w, _ := path(ev, "executionDetails", "productionTrafficWeights").(map[string]any)
		for _, v := range w {
			if v == 34.0 {
				return true
			}
		}
		return false
	})
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)

	s := signedServer(t, secret)
	prod, test, _, v1Rev := blueGreenService(t, s)
	stopLoad := loadPhase(t, prod)

	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", ""))
	cfg, _ := json.Marshal(map[string]any{
		"strategy": "LINEAR", "bakeTimeInMinutes": 0,
		"linearConfiguration": map[string]any{"stepPercent": 34, "stepBakeTimeInMinutes": 0},
		"lifecycleHooks": []any{map[string]any{
			"hookTargetArn":   hookSrv.URL + "/hook",
			"lifecycleStages": []string{"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT"},
		}},
	})
	start := time.Now()
	v2, v2Rev := updateService(t, s, "web:2", string(cfg))

	// The first step: the hook holds PRODUCTION_TRAFFIC_SHIFT with green
	// at 34%.
	eventually(t, 90*time.Second, "the hook called at the first PRODUCTION_TRAFFIC_SHIFT", func() bool {
		calls, _ := hook.calls()
		for _, ev := range calls {
			if ev["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT" {
				return true
			}
		}
		if d := describeDeployment(t, s, v2); ended(d["status"].(string)) {
			t.Fatalf("deployment %s ended %v (%v) before its first production step", v2, d["status"], d["statusReason"])
		}
		return false
	})
	d := untilWeights(t, s, v2, v2Rev, v1Rev, 34, 66)
	if d["status"] != "IN_PROGRESS" || d["lifecycleStage"] != "PRODUCTION_TRAFFIC_SHIFT" {
		t.Fatalf("held at the first step, the deployment is %v at %v", d["status"], d["lifecycleStage"])
	}
	if _, tw, _ := weights(d, v2Rev); tw != 100 {
		t.Errorf("held at the first step, v2's requestedTestTrafficWeight is %v, want 100", tw)
	}
	// 400 requests with p = 0.34: the standard deviation of the share is
	// sqrt(0.34×0.66/400) ≈ 2.4 points; ±8 points is more than 3 of them.
	got := sample(prod, 400)
	if share := pct(got, "v2"); got["error"] > 0 || share < 26 || share > 42 || got["v1"]+got["v2"] != 400 {
		t.Errorf("production at the first step answered %v: %.1f%% v2, want 34%% ± 8 and no error", got, share)
	} else {
		t.Logf("production at the first step: %v (%.1f%% v2)", got, share)
	}
	answers(t, "held at the first step", map[string]string{test: "v2"})
	heldMu.Lock()
	held = false
	heldMu.Unlock()

	d = untilStatus(t, s, v2, "SUCCESSFUL", 90*time.Second)
	t.Logf("LINEAR deployment took %v", time.Since(start).Round(time.Second))
	if pw, _, ok := weights(d, v2Rev); !ok || pw != 100 {
		t.Errorf("after the deployment v2's requestedProductionTrafficWeight is %v (%v), want 100", pw, ok)
	}
	answers(t, "v2 deployed", map[string]string{prod: "v2", test: "v2"})
	checkLoad(t, "from v1 to v2 in steps", stopLoad(), "v1", "v2")

	// Every step ran the hook afresh at both stages, with the weights of
	// that step: the current ones before the shift, the target ones at it.
	calls, bad := hook.calls()
	if len(bad) > 0 {
		t.Errorf("the hook got badly signed or malformed requests: %v", bad)
	}
	type execution struct {
		id, stage, weights string
		calls              int
	}
	var execs []*execution
	for _, ev := range calls {
		id, _ := ev["executionId"].(string)
		w := fmt.Sprint(path(ev, "executionDetails", "productionTrafficWeights"))
		i := slices.IndexFunc(execs, func(e *execution) bool { return e.id == id })
		if i < 0 {
			execs = append(execs, &execution{id: id, stage: fmt.Sprint(ev["lifecycleStage"]), weights: w})
			i = len(execs) - 1
		}
		e := execs[i]
		e.calls++
		if e.stage != ev["lifecycleStage"] || e.weights != w {
			t.Errorf("execution %s: call %d at %v with weights %s, the first at %s with %s", id, e.calls, ev["lifecycleStage"], w, e.stage, e.weights)
		}
		if ev["resourceArn"] != v2 || path(ev, "executionDetails", "targetServiceRevisionArn") != v2Rev {
			t.Errorf("hook event %v, want one of %s to %s", ev, v2, v2Rev)
		}
	}
	split := func(green, blue float64) string { return fmt.Sprint(map[string]any{v2Rev: green, v1Rev: blue}) }
	want := []execution{
		{stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", weights: split(0, 100)},
		{stage: "PRODUCTION_TRAFFIC_SHIFT", weights: split(34, 66)},
		{stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", weights: split(34, 66)},
		{stage: "PRODUCTION_TRAFFIC_SHIFT", weights: split(68, 32)},
		{stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", weights: split(68, 32)},
		{stage: "PRODUCTION_TRAFFIC_SHIFT", weights: split(100, 0)},
	}
	var gotExecs []string
	for _, e := range execs {
		gotExecs = append(gotExecs, fmt.Sprintf("%s %s (%d calls, %s)", e.stage, e.weights, e.calls, e.id))
	}
	if len(execs) != len(want) {
		t.Fatalf("the hook ran %d executions, want %d (both stages at each of 3 steps):\n%s", len(execs), len(want), strings.Join(gotExecs, "\n"))
	}
	for i, e := range execs {
		if e.stage != want[i].stage || e.weights != want[i].weights || e.id == "" {
			t.Errorf("hook execution %d: %s %s (id %q), want %s %s", i+1, e.stage, e.weights, e.id, want[i].stage, want[i].weights)
		}
	}
	if execs[1].calls < 2 {
		t.Errorf("the held first production step was invoked %d times, want at least 2 (IN_PROGRESS, then SUCCEEDED)", execs[1].calls)
	}
	t.Logf("hook executions:\n%s", strings.Join(gotExecs, "\n"))
}

// TestCanaryPausesAndRollsBack runs a CANARY deployment of 20% with a
// pause hook at PRE_PRODUCTION_TRAFFIC_SHIFT under production load: it
// pauses before the canary step with production all on v1, and again,
// with a new hookId, before the second step with a fifth of production
// on v2; answering that pause ROLLBACK returns production to v1 at once,
// without a failed request.
func TestCanaryPausesAndRollsBack(t *testing.T) {
	s := startServer(t)
	prod, test, _, v1Rev := blueGreenService(t, s)
	stopLoad := loadPhase(t, prod)

	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", ""))
	v2, v2Rev := updateService(t, s, "web:2", `{"strategy":"CANARY","bakeTimeInMinutes":0,
		"canaryConfiguration":{"canaryPercent":20,"canaryBakeTimeInMinutes":0},
		"lifecycleHooks":[{"targetType":"PAUSE","lifecycleStages":["PRE_PRODUCTION_TRAFFIC_SHIFT"],
			"timeoutConfiguration":{"timeoutInMinutes":30}}]}`)

	// pause waits for a pause hook other than those seen awaiting an
	// action at PRE_PRODUCTION_TRAFFIC_SHIFT, and returns its hookId.
	pause := func(what string, seen ...string) string {
		t.Helper()
		var id string
		eventually(t, 90*time.Second, what, func() bool {
			d := describeDeployment(t, s, v2)
			if d["status"] != "IN_PROGRESS" {
				t.Fatalf("deployment %s is %v (%v) before %s", v2, d["status"], d["statusReason"], what)
			}
			if d["lifecycleStage"] != "PRE_PRODUCTION_TRAFFIC_SHIFT" {
				return false
			}
			hooks, _ := d["lifecycleHookDetails"].([]any)
			for _, h := range hooks {
				hid, _ := path(h, "hookId").(string)
				if path(h, "status") == "AWAITING_ACTION" && !slices.Contains(seen, hid) {
					id = hid
					return len(hooks) == 1
				}
			}
			return false
		})
		if !strings.HasPrefix(id, "ecs-pause-") {
			t.Errorf("pause hookId %q does not start with ecs-pause-", id)
		}
		return id
	}

	// Before the canary step: production is all v1, the test listener
	// all v2.
	pause1 := pause("the pause before the canary step")
	untilWeights(t, s, v2, v2Rev, v1Rev, 0, 100)
	if got := sample(prod, 50); got["v1"] != 50 {
		t.Errorf("paused before the canary step, production answered %v, want 50 v1", got)
	}
	answers(t, "paused before the canary step", map[string]string{test: "v2"})
	s.mustAWS("ecs", "continue-service-deployment", "--service-deployment-arn", v2, "--hook-id", pause1, "--action", "CONTINUE")

	// Before the second step: a fifth of production goes to v2.
	pause2 := pause("the pause before the second step", pause1)
	untilWeights(t, s, v2, v2Rev, v1Rev, 20, 80)
	// 400 requests with p = 0.2: the standard deviation of the share is
	// sqrt(0.2×0.8/400) = 2 points; ±7 points is 3.5 of them.
	got := sample(prod, 400)
	if share := pct(got, "v2"); got["error"] > 0 || share < 13 || share > 27 || got["v1"]+got["v2"] != 400 {
		t.Errorf("production at the canary step answered %v: %.1f%% v2, want 20%% ± 7 and no error", got, share)
	} else {
		t.Logf("production at the canary step: %v (%.1f%% v2)", got, share)
	}

	// Roll back from the pause: production is all v1 again at once.
	s.mustAWS("ecs", "continue-service-deployment", "--service-deployment-arn", v2, "--hook-id", pause2, "--action", "ROLLBACK")
	rollbackAt := time.Now()
	eventually(t, 10*time.Second, "production all on v1 after the rollback", func() bool {
		return sample(prod, 20)["v1"] == 20
	})
	t.Logf("production was all v1 %v after the ROLLBACK", time.Since(rollbackAt).Round(10*time.Millisecond))
	d := untilStatus(t, s, v2, "ROLLBACK_SUCCESSFUL", 60*time.Second)
	if got := sample(prod, 100); got["v1"] != 100 {
		t.Errorf("after the rollback production answered %v, want 100 v1", got)
	}
	answers(t, "rolled back", map[string]string{prod: "v1", test: "v1"})
	if r := fmt.Sprint(d["statusReason"]); !strings.Contains(r, pause2) {
		t.Errorf("statusReason %q does not name the pause hook %s", r, pause2)
	}
	if got := path(d, "rollback", "serviceRevisionArn"); got != v1Rev {
		t.Errorf("rolled back to %v, want v1's revision %s", got, v1Rev)
	}
	if pw, tw, ok := weights(d, v1Rev); !ok || pw != 100 || tw != 100 {
		t.Errorf("after the rollback v1's requested production and test traffic weights are %v and %v (%v), want 100 and 100", pw, tw, ok)
	}
	if pw, tw, ok := weights(d, v2Rev); !ok || pw != 0 || tw != 0 {
		t.Errorf("after the rollback v2's requested production and test traffic weights are %v and %v (%v), want 0 and 0", pw, tw, ok)
	}
	checkLoad(t, "canary and rollback", stopLoad(), "v1", "v2")
}
