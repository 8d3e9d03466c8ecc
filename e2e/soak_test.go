package e2e

// The soak: steady load through the load balancer on every production
// listener while deployments of every strategy run several at a time,
// with URL hooks that succeed, hold or fail, pauses continued or rolled
// back, and StopServiceDeployment rollbacks. No request may fail, every
// deployment must end as planned with production on the version it
// should serve, and the control plane's and the load balancer's
// goroutines, memory and file descriptors must end where they started,
// within a slack that a leak per deployment would exceed.
//
// CI runs the short form (soakDefaultDeployments deployments); the long
// form is
//
//	CUTOVER_SOAK_DEPLOYMENTS=50 go test -run TestSoak -timeout 60m ./e2e/

import (
	"fmt"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	// soakServices run side by side: the first ROLLING, the others
	// BLUE_GREEN, LINEAR and CANARY in turn.
	soakServices = 5
	// soakDefaultDeployments is the CI form: three deployments a service,
	// which covers every kind of deployment (soakKinds) at least twice.
	soakDefaultDeployments = 15
	// soakCluster holds the soak's services.
	soakCluster = "soak"
	// soakDeploymentTimeout bounds one deployment; most take 10–40 s.
	soakDeploymentTimeout = 2 * time.Minute
)

// soakKind is what a deployment does besides deploying.
type soakKind int

const (
	soakPlain soakKind = iota
	soakHooksOK
	soakInProgress
	soakHookFails
	soakPauseContinue
	soakPauseRollback
	soakStopRollback
	soakKinds
)

func (k soakKind) String() string {
	return [...]string{"no hooks", "URL hooks SUCCEEDED", "URL hooks IN_PROGRESS×2", "URL hook FAILED",
		"pauses CONTINUE", "pause ROLLBACK", "StopServiceDeployment ROLLBACK"}[k]
}

// soakService is one service of the soak and its listeners.
type soakService struct {
	name       string
	rolling    bool
	lbs        []any
	prod, test string
	load       *load
	stopped    sync.Once
	// versions are those it is asked to run, in order; v1 first.
	versions []string
}

// stopLoad stops the service's production load, once.
func (s *soakService) stopLoad() { s.stopped.Do(s.load.finish) }

// soakDeployment is one planned deployment and what came of it.
type soakDeployment struct {
	n        int
	svc      *soakService
	strategy string
	kind     soakKind
	// version is the version deployed; from the one production serves
	// before.
	version, from string
	taskDef       string
	config        map[string]any
	// actions answer the pauses met in turn: CONTINUE, ROLLBACK, or STOP
	// (StopServiceDeployment ROLLBACK).
	actions []string
	want    string

	arn, got, reason string
	took             time.Duration
}

// soakConfig returns a deployment's configuration, what to answer its
// pauses, and how it must end. hooks is the hook server's URL.
func soakConfig(strategy string, step float64, kind soakKind, hooks string) (map[string]any, []string, string) {
	cfg := map[string]any{"strategy": strategy, "bakeTimeInMinutes": 0}
	switch strategy {
	case "LINEAR":
		cfg["linearConfiguration"] = map[string]any{"stepPercent": step, "stepBakeTimeInMinutes": 0}
	case "CANARY":
		cfg["canaryConfiguration"] = map[string]any{"canaryPercent": step, "canaryBakeTimeInMinutes": 0}
	}
	url := func(path string, stages ...string) map[string]any {
		return map[string]any{"hookTargetArn": hooks + path, "lifecycleStages": stages}
	}
	pause := func(stages ...string) map[string]any {
		return map[string]any{"targetType": "PAUSE", "lifecycleStages": stages, "timeoutConfiguration": map[string]any{"timeoutInMinutes": 30}}
	}
	stepped := strategy == "LINEAR" || strategy == "CANARY"
	var hook map[string]any
	var actions []string
	want := "SUCCESSFUL"
	switch {
	case kind == soakPlain:
	case kind == soakHooksOK && strategy == "ROLLING":
		hook = url("/ok", "PRE_SCALE_UP", "POST_SCALE_UP")
	case kind == soakHooksOK:
		hook = url("/ok", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
			"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT")
	case kind == soakInProgress && strategy == "ROLLING":
		hook = url("/progress", "PRE_SCALE_UP", "POST_SCALE_UP")
	case kind == soakInProgress:
		hook = url("/progress", "POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT")
	case kind == soakHookFails && strategy == "ROLLING":
		hook, want = url("/fail", "POST_SCALE_UP"), "ROLLBACK_SUCCESSFUL"
	case kind == soakHookFails && stepped:
		// Fails the first production step: production goes back from
		// a split to all on the source.
		hook, want = url("/failmid", "PRODUCTION_TRAFFIC_SHIFT"), "ROLLBACK_SUCCESSFUL"
	case kind == soakHookFails:
		// Fails with production already on green.
		hook, want = url("/fail", "POST_PRODUCTION_TRAFFIC_SHIFT"), "ROLLBACK_SUCCESSFUL"
	case kind == soakPauseContinue && strategy == "ROLLING":
		hook, actions = pause("PRE_SCALE_UP", "POST_SCALE_UP"), []string{"CONTINUE", "CONTINUE"}
	case kind == soakPauseContinue && stepped:
		// One pause before each production step.
		hook, actions = pause("PRE_PRODUCTION_TRAFFIC_SHIFT"), []string{"CONTINUE", "CONTINUE"}
	case kind == soakPauseContinue:
		hook, actions = pause("POST_TEST_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"), []string{"CONTINUE", "CONTINUE"}
	case kind == soakPauseRollback && strategy == "ROLLING":
		hook, actions, want = pause("POST_SCALE_UP"), []string{"ROLLBACK"}, "ROLLBACK_SUCCESSFUL"
	case kind == soakPauseRollback && stepped:
		// Rolled back before the second step, with production split.
		hook, actions, want = pause("PRE_PRODUCTION_TRAFFIC_SHIFT"), []string{"CONTINUE", "ROLLBACK"}, "ROLLBACK_SUCCESSFUL"
	case kind == soakPauseRollback:
		hook, actions, want = pause("POST_TEST_TRAFFIC_SHIFT"), []string{"ROLLBACK"}, "ROLLBACK_SUCCESSFUL"
	case kind == soakStopRollback && strategy == "ROLLING":
		hook, actions, want = pause("POST_SCALE_UP"), []string{"STOP"}, "ROLLBACK_SUCCESSFUL"
	case kind == soakStopRollback && stepped:
		hook, actions, want = pause("PRE_PRODUCTION_TRAFFIC_SHIFT"), []string{"CONTINUE", "STOP"}, "ROLLBACK_SUCCESSFUL"
	case kind == soakStopRollback:
		hook, actions, want = pause("POST_PRODUCTION_TRAFFIC_SHIFT"), []string{"STOP"}, "ROLLBACK_SUCCESSFUL"
	}
	if hook != nil {
		cfg["lifecycleHooks"] = []any{hook}
	}
	return cfg, actions, want
}

// soakPlan plans n deployments over the services in turn, with their
// strategies, kinds, versions and expected outcomes.
func soakPlan(services []*soakService, n int, hooks string) []*soakDeployment {
	// In this order the CI form's fifteen deployments fail a hook and
	// stop a deployment in the middle of LINEAR or CANARY steps, roll
	// back a BLUE_GREEN one from a pause, and do the rest of each kind
	// with one strategy or another.
	strategies := []string{"CANARY", "BLUE_GREEN", "LINEAR"}
	serving := map[*soakService]string{}
	for _, s := range services {
		serving[s] = s.versions[0]
	}
	var plan []*soakDeployment
	for i := range n {
		svc := services[i%len(services)]
		round := i / len(services)
		d := &soakDeployment{n: i + 1, svc: svc, kind: soakKind(i % int(soakKinds)),
			version: fmt.Sprintf("%s-v%d", svc.name, round+2), from: serving[svc]}
		step := 0.0
		switch {
		case svc.rolling:
			d.strategy = "ROLLING"
		default:
			d.strategy = strategies[(round+i%len(services))%len(strategies)]
			step = map[string]float64{"LINEAR": []float64{50, 34}[round%2], "CANARY": 20}[d.strategy]
		}
		d.config, d.actions, d.want = soakConfig(d.strategy, step, d.kind, hooks)
		if d.want == "SUCCESSFUL" {
			serving[svc] = d.version
		}
		svc.versions = append(svc.versions, d.version)
		plan = append(plan, d)
	}
	return plan
}

// soakRun runs the deployments of a plan.
type soakRun struct {
	api *soakAPI
}

// deploy runs one deployment to its end, answering its pauses, and
// checks its outcome and what production serves after it.
func (r *soakRun) deploy(d *soakDeployment) error {
	start := time.Now()
	out, err := r.api.call("UpdateService", map[string]any{"cluster": soakCluster, "service": d.svc.name,
		"taskDefinition": d.taskDef, "deploymentConfiguration": d.config})
	if err != nil {
		return err
	}
	d.arn, _ = path(out, "service", "currentServiceDeployment").(string)
	if d.arn == "" {
		return fmt.Errorf("UpdateService to %s started no service deployment: %v", d.version, out)
	}
	handled := map[string]bool{}
	for deadline := time.Now().Add(soakDeploymentTimeout); ; time.Sleep(500 * time.Millisecond) {
		dep, err := r.api.describe(d.arn)
		if err != nil {
			return err
		}
		d.got, _ = dep["status"].(string)
		d.reason, _ = dep["statusReason"].(string)
		if ended(d.got) {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("still %s at %v after %v (%s); %s", d.got, dep["lifecycleStage"], soakDeploymentTimeout, d.reason, r.health(d.svc))
		}
		hooks, _ := dep["lifecycleHookDetails"].([]any)
		for _, h := range hooks {
			id, _ := path(h, "hookId").(string)
			if path(h, "targetType") != "PAUSE" || path(h, "status") != "AWAITING_ACTION" || handled[id] {
				continue
			}
			action := "CONTINUE"
			if n := len(handled); n < len(d.actions) {
				action = d.actions[n]
			}
			handled[id] = true
			if action == "STOP" {
				_, err = r.api.call("StopServiceDeployment", map[string]any{"serviceDeploymentArn": d.arn, "stopType": "ROLLBACK"})
			} else {
				_, err = r.api.call("ContinueServiceDeployment", map[string]any{"serviceDeploymentArn": d.arn, "hookId": id, "action": action})
			}
			if err != nil {
				return fmt.Errorf("answer the pause %s at %v with %s: %w", id, dep["lifecycleStage"], action, err)
			}
		}
	}
	d.took = time.Since(start)
	if d.got != d.want {
		return fmt.Errorf("ended %s (%s), want %s", d.got, d.reason, d.want)
	}
	if len(handled) < len(d.actions) {
		return fmt.Errorf("met %d pauses, planned answers for %d", len(handled), len(d.actions))
	}
	serves := d.version
	if d.want != "SUCCESSFUL" {
		serves = d.from
	}
	if got := sample(d.svc.prod, 10); got[serves] != 10 {
		return fmt.Errorf("after the deployment production answered %v, want 10 %s", got, serves)
	}
	if d.svc.test != "" {
		if got := sample(d.svc.test, 5); got[serves] != 5 {
			return fmt.Errorf("after the deployment the test listener answered %v, want 5 %s", got, serves)
		}
	}
	return nil
}

// TestSoak runs CUTOVER_SOAK_DEPLOYMENTS deployments (default
// soakDefaultDeployments) over five services under steady production
// load: see the top of this file.
func TestSoak(t *testing.T) {
	n := soakDefaultDeployments
	if v := os.Getenv("CUTOVER_SOAK_DEPLOYMENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("CUTOVER_SOAK_DEPLOYMENTS=%q is not a positive number", v)
		}
	}
	const secret = "e2e-soak-secret"
	hooks := newSoakHooks(secret)
	hookSrv := httptest.NewServer(hooks)
	t.Cleanup(hookSrv.Close)

	setupStart := time.Now()
	s := signedServer(t, secret)
	api := newSoakAPI(t, s)
	if _, err := api.call("CreateCluster", map[string]any{"clusterName": soakCluster}); err != nil {
		t.Fatal(err)
	}
	var services []*soakService
	for i := range soakServices {
		svc := &soakService{name: fmt.Sprintf("soak%d", i), rolling: i == 0}
		svc.lbs, svc.prod, svc.test = soakLoadBalancer(t, api, svc.name, !svc.rolling)
		svc.versions = []string{svc.name + "-v1"}
		services = append(services, svc)
	}
	plan := soakPlan(services, n, hookSrv.URL)
	taskDefs := soakTaskDefs(t, api, services)
	for _, d := range plan {
		d.taskDef = taskDefs[d.version]
	}
	startSoakServices(t, api, services, taskDefs)
	setup := time.Since(setupStart)
	lbPid, err := lbPID(s)
	if err != nil {
		t.Fatal(err)
	}

	// Start figures: after a moment of load, without the idle
	// connections of the hooks' client.
	time.Sleep(3 * time.Second)
	hookSrv.CloseClientConnections()
	before := steadyStats(t, s, lbPid)
	peaks := watchPeaks(s, lbPid, before)

	// The deployments: each service runs its own in order, the services
	// side by side.
	run := &soakRun{api: api}
	deployStart := time.Now()
	var wg sync.WaitGroup
	for _, svc := range services {
		wg.Go(func() {
			for _, d := range plan {
				if d.svc != svc {
					continue
				}
				if err := run.deploy(d); err != nil {
					t.Errorf("deployment #%d of %s to %s (%s, %s): %v", d.n, svc.name, d.version, d.strategy, d.kind, err)
					return // what follows on this service expects this outcome
				}
				t.Logf("#%d %s %s %s: %s in %v", d.n, svc.name, d.strategy, d.kind, d.got, d.took.Round(100*time.Millisecond))
			}
		})
	}
	wg.Wait()
	deploying := time.Since(deployStart)

	// End figures, after the last tasks drained and stopped.
	time.Sleep(5 * time.Second)
	peak := peaks()
	hookSrv.CloseClientConnections()
	after := steadyStats(t, s, lbPid)
	for _, svc := range services {
		svc.stopLoad()
	}
	soakReport(t, services, plan, before, peak, after, setup, deploying)

	// No request lost, and production never answered another service's
	// version.
	for _, svc := range services {
		if f := svc.load.fail.Load(); f != 0 {
			t.Errorf("%s: %d of %d requests to production failed: %v", svc.name, f, f+svc.load.ok.Load(), svc.load.errs)
		}
		for body := range svc.load.seen {
			if !slices.Contains(svc.versions, strings.TrimPrefix(body, "hello from ")) {
				t.Errorf("%s's production listener answered %q", svc.name, body)
			}
		}
	}
	hooks.check(t)
	checkSoakBounds(t, before, after)
}
