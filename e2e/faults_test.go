package e2e

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/cutover/cutover/internal/cutoverapi"
)

// faultCase is one strategy the kill -9 test deploys with.
type faultCase struct {
	strategy string
	// config is the strategy's part of the deployment configuration.
	config map[string]any
	// hookStages are the stages a URL hook may run at.
	hookStages []string
	// failStage is where the rollback deployment's hook fails.
	failStage string
	// versions production may answer during the whole run.
	versions []string
}

var faultCases = []faultCase{
	{
		strategy:   "ROLLING",
		config:     map[string]any{"strategy": "ROLLING"},
		hookStages: []string{"RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP"},
		failStage:  "POST_SCALE_UP",
		// A rolling deployment serves the new tasks as they come; the
		// interrupted v2's tasks register too, healthy to the load
		// balancer (their container health check is what never passes).
		versions: []string{"v1", "v2", "v3", "v4"},
	},
	{
		strategy:   "BLUE_GREEN",
		config:     map[string]any{"strategy": "BLUE_GREEN"},
		hookStages: blueGreenHookStages,
		failStage:  "POST_PRODUCTION_TRAFFIC_SHIFT",
		// Production never sees the interrupted v2: it was never shifted to.
		versions: []string{"v1", "v3", "v4"},
	},
	{
		strategy: "LINEAR",
		config: map[string]any{"strategy": "LINEAR",
			"linearConfiguration": map[string]any{"stepPercent": 50, "stepBakeTimeInMinutes": 0}},
		hookStages: blueGreenHookStages,
		failStage:  "POST_PRODUCTION_TRAFFIC_SHIFT",
		versions:   []string{"v1", "v3", "v4"},
	},
	{
		strategy: "CANARY",
		config: map[string]any{"strategy": "CANARY",
			"canaryConfiguration": map[string]any{"canaryPercent": 20, "canaryBakeTimeInMinutes": 0}},
		hookStages: blueGreenHookStages,
		failStage:  "POST_PRODUCTION_TRAFFIC_SHIFT",
		versions:   []string{"v1", "v3", "v4"},
	},
}

var blueGreenHookStages = []string{"RECONCILE_SERVICE", "PRE_SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT",
	"POST_TEST_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT"}

// deploymentConfig is the case's deployment configuration with a bake
// time and, when hook is set, a URL hook at every stage that runs hooks.
func (c faultCase) deploymentConfig(bake int, hook string) string {
	cfg := map[string]any{}
	for k, v := range c.config {
		cfg[k] = v
	}
	if c.strategy != "ROLLING" {
		cfg["bakeTimeInMinutes"] = bake
	}
	if hook != "" {
		cfg["lifecycleHooks"] = []any{map[string]any{"hookTargetArn": hook, "lifecycleStages": c.hookStages}}
	}
	b, _ := json.Marshal(cfg)
	return string(b)
}

// TestKill9AtEveryStageUnderLoad kills the control plane with SIGKILL in
// every lifecycle stage of a deployment of every strategy, under
// continuous load on the production listener, and starts it again at
// once. Each strategy's service first has a deployment interrupted
// half-way (its tasks never get healthy), so that the next one starts
// with RECONCILE_SERVICE; that one carries a URL hook at every stage
// that runs hooks, which holds each stage until the control plane has
// been killed there and restarted and has invoked the hook again. Stages
// without hooks are caught by polling (the test logs a table of where
// each kill landed). The deployment must succeed; then another one whose
// hook fails is killed in each stage of its rollback the polling sees,
// and must end ROLLBACK_SUCCESSFUL. Throughout, no request may fail; at
// the end exactly the desired tasks run, of the right revision, with no
// process left of any other, and no task of a deployment's target was
// started twice.
//
// The kills themselves take about a minute per strategy; setting up the
// services and the aws CLI calls take the rest. On a machine shared with
// other heavy tests each strategy took 10 to 15 minutes, so give it a
// -timeout well past go test's default 10m:
//
//	go test -race -count=1 -timeout 60m -run TestKill9AtEveryStageUnderLoad ./e2e/
func TestKill9AtEveryStageUnderLoad(t *testing.T) {
	var kills []killRecord
	start := time.Now()
	for _, c := range faultCases {
		t.Run(c.strategy, func(t *testing.T) {
			begin := time.Now()
			n := killThroughStrategy(t, c, &kills)
			t.Logf("%s: %d kills in %v", c.strategy, n, time.Since(begin).Round(time.Second))
		})
	}
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "strategy\tdeployment\tseen at\tkilled in\toutcome")
	for _, k := range kills {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", k.strategy, k.deployment, k.seen, k.in, k.outcome)
	}
	w.Flush()
	t.Logf("%d kills in %v:\n%s", len(kills), time.Since(start).Round(time.Second), b.String())
}

// killThroughStrategy runs one strategy's deployments with the kills,
// adds them to kills, even when the test fails half-way, and returns how
// many there were.
func killThroughStrategy(t *testing.T, c faultCase, kills *[]killRecord) int {
	secret := "e2e-faults-" + strings.ToLower(c.strategy)
	hook := newFaultHook(secret)
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)
	s := signedServer(t, secret)
	prod, v1Rev := faultService(t, s, c)
	f := newFaultRun(t, s, hook, c.strategy, c.hookStages)
	defer func() { *kills = append(*kills, f.kills...) }()
	f.load = startLoad(prod, 2)
	var once sync.Once
	stopLoad := func() *load { once.Do(f.load.finish); return f.load }
	t.Cleanup(func() { stopLoad() })

	// v2 never gets healthy: its deployment stays in SCALE_UP with v2
	// tasks running beside v1's until v3 interrupts it.
	never := filepath.Join(t.TempDir(), "never")
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", faultTaskDef(t, "v2", never))
	v2, _ := updateService(t, s, "web:2", c.deploymentConfig(0, ""))
	f.logLoad("at the v2 update")
	eventually(t, 60*time.Second, "the v2 tasks running", func() bool {
		d := describeDeployment(t, s, v2)
		r, _ := path(d, "targetServiceRevision", "runningTaskCount").(float64)
		return d["status"] == "IN_PROGRESS" && r == 2
	})

	f.logLoad("with v2 interrupted")
	// v3, killed in every stage.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", faultTaskDef(t, "v3", ""))
	v3, v3Rev := updateService(t, s, "web:3", c.deploymentConfig(1, hookSrv.URL+"/hook"))
	d := f.deploy("main", v3, "SUCCESSFUL", func(stageKey) bool { return true })
	if got := describeDeployment(t, s, v2)["status"]; got != "STOPPED" {
		t.Errorf("the interrupted v2 deployment is %v, want STOPPED", got)
	}
	if d.Stages[0].Stage != "RECONCILE_SERVICE" {
		t.Errorf("the deployment after an interrupted one started with %s, want RECONCILE_SERVICE", d.Stages[0].Stage)
	}
	if c.strategy != "ROLLING" && groupOf(d, v3Rev) == groupOf(d, v1Rev) {
		t.Errorf("v3 registers in %s, v1's target group: the interrupted v2 made it pick the wrong one of the pair", groupOf(d, v3Rev))
	}
	missed(t, f, "main", d)
	f.checkTasks(2, 3)
	started(t, d, v3Rev, 2)
	answers(t, "v3 deployed", map[string]string{prod: "v3"})
	v3Tasks := runningTasks(t, s)

	// v4, whose hook fails: killed in every stage of the rollback.
	hook.reset(c.failStage)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", faultTaskDef(t, "v4", ""))
	v4, v4Rev := updateService(t, s, "web:4", c.deploymentConfig(0, hookSrv.URL+"/hook"))
	d = f.deploy("rollback", v4, "ROLLBACK_SUCCESSFUL", func(k stageKey) bool { return k.rollback })
	if !strings.Contains(d.ServiceDeployment.StatusReason, c.failStage) {
		t.Errorf("rolled back for %q, want the hook failed at %s", d.ServiceDeployment.StatusReason, c.failStage)
	}
	missed(t, f, "rollback", d)
	f.checkTasks(2, 3)
	started(t, d, v4Rev, 2)
	if c.strategy != "ROLLING" {
		// Blue/green keeps blue at full size: the rollback stops green and
		// touches nothing else.
		for arn := range runningTasks(t, s) {
			if _, ok := v3Tasks[arn]; !ok {
				t.Errorf("task %s runs after the rollback: the v3 tasks were not kept", arn)
			}
		}
	}
	answers(t, "rolled back", map[string]string{prod: "v3"})
	checkLoad(t, c.strategy+" with kills", stopLoad(), c.versions...)
	return len(f.kills)
}

// missed logs the stages of a deployment's timeline (its rollback's only,
// for the rollback deployment) the test did not kill the control plane
// in, and fails the test for those it must have: stages the hook holds,
// and the SCALE_UP and BAKE_TIME that last seconds or more. A rollback's
// SCALE_UP, with the tasks to return to mostly still there, and a
// CLEAN_UP may pass between two polls.
func missed(t *testing.T, f *faultRun, name string, d *cutoverapi.DeploymentDetails) {
	t.Helper()
	in := map[stageKey]bool{}
	for _, k := range f.kills {
		if k.deployment == name {
			in[k.in] = true
		}
	}
	for _, r := range d.Stages {
		k := keyOf(r)
		if in[k] || (name == "rollback" && !k.rollback) {
			continue
		}
		must := slices.Contains(f.hookStages, k.stage) || k.stage == "BAKE_TIME" || (k.stage == "SCALE_UP" && !k.rollback)
		if must {
			t.Errorf("%s deployment: no kill in %s:%s", name, k, timeline(d.Stages))
		} else {
			t.Logf("%s deployment: no kill in %s (it passed between two polls)", name, k)
		}
	}
}

// started checks that exactly n tasks of a deployment's target revision
// were started during it: a restart neither lost one nor launched one
// twice.
func started(t *testing.T, d *cutoverapi.DeploymentDetails, rev string, n int) {
	t.Helper()
	var got []string
	for _, tk := range d.Tasks {
		if tk.RevisionArn == rev {
			got = append(got, fmt.Sprintf("%s %s/%s", tk.TaskArn[strings.LastIndex(tk.TaskArn, "/")+1:], tk.LastStatus, tk.DesiredStatus))
		}
	}
	if len(got) != n {
		t.Errorf("%d tasks of %s were started during its deployment, want %d: %v", len(got), rev, n, got)
	}
}

// groupOf returns the target group of a revision taking part in a
// deployment.
func groupOf(d *cutoverapi.DeploymentDetails, rev string) string {
	for _, r := range d.Revisions {
		if r.Arn == rev {
			return r.TargetGroupArn
		}
	}
	return ""
}
