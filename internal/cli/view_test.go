package cli

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/audit"
	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/ecs"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata")

// t0 is when the fixture deployment was created.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func at(s int) time.Time         { return t0.Add(time.Duration(s) * time.Second) }
func atp(s int) *time.Time       { t := at(s); return &t }
func ecsAt(s int) *ecs.Time      { return ecs.TimeOf(at(s)) }
func arn(kind, id string) string { return "arn:aws:ecs:us-east-1:000000000000:" + kind + "/" + id }

// fixture is a blue/green deployment of web:3 over web:2, 100 s in,
// waiting before production traffic moves: a pause at
// PRE_PRODUCTION_TRAFFIC_SHIFT that continues by itself at 12:05:00.
func fixture() *cutoverapi.DeploymentDetails {
	dep := arn("service-deployment", "demo/web/0000000000000003")
	target, source := arn("service-revision", "demo/web/3"), arn("service-revision", "demo/web/2")
	alice := audit.Actor{Kind: audit.KindAccessKey, ID: "AKIDALICE", Name: "alice"}
	return &cutoverapi.DeploymentDetails{
		ServiceDeployment: ecs.ServiceDeployment{
			ServiceDeploymentArn: dep, ServiceArn: arn("service", "demo/web"), CreatedAt: ecsAt(0), StartedAt: ecsAt(0), UpdatedAt: ecsAt(60),
			Status: ecs.ServiceDeploymentStatusInProgress, LifecycleStage: "PRE_PRODUCTION_TRAFFIC_SHIFT",
			DeploymentConfiguration: &ecs.DeploymentConfiguration{Strategy: ecs.DeploymentStrategyBlueGreen, BakeTimeInMinutes: ecs.Int32(30)},
		},
		ClusterName: "demo", ServiceName: "web",
		Stages: []cutoverapi.StageRun{
			{Stage: "PRE_SCALE_UP", StartedAt: at(0), EndedAt: atp(0)},
			{Stage: "SCALE_UP", StartedAt: at(0), EndedAt: atp(12)},
			{Stage: "POST_SCALE_UP", StartedAt: at(12), EndedAt: atp(12)},
			{Stage: "TEST_TRAFFIC_SHIFT", StartedAt: at(12), EndedAt: atp(13)},
			{Stage: "POST_TEST_TRAFFIC_SHIFT", StartedAt: at(13), EndedAt: atp(60)},
			{Stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", StartedAt: at(60)},
		},
		Revisions: []cutoverapi.Revision{
			{Arn: target, Role: "target", TaskDefinition: arn("task-definition", "web:3"), Requested: 2, Running: 2, TestWeight: 100},
			{Arn: source, Role: "source", TaskDefinition: arn("task-definition", "web:2"), Requested: 2, Running: 2, ProductionWeight: 100},
		},
		Hooks: []cutoverapi.Hook{
			{HookID: "ecs-pause-aaa", Stage: "POST_TEST_TRAFFIC_SHIFT", TargetType: "PAUSE", Status: "SUCCEEDED",
				StartedAt: at(13), ExpiresAt: at(13 + 86400), TimeoutAction: "ROLLBACK"},
			{HookID: "ecs-pause-bbb", Stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", TargetType: "PAUSE", Status: "AWAITING_ACTION",
				StartedAt: at(60), ExpiresAt: at(300), TimeoutAction: "CONTINUE", Current: true},
		},
		Tasks: []cutoverapi.Task{
			{TaskArn: arn("task", "demo/bbbb2222"), RevisionArn: source, LastStatus: "RUNNING", DesiredStatus: "RUNNING", HealthStatus: "HEALTHY", TargetHealth: "healthy"},
			{TaskArn: arn("task", "demo/aaaa1111"), RevisionArn: target, LastStatus: "RUNNING", DesiredStatus: "RUNNING", HealthStatus: "HEALTHY", TargetHealth: "healthy"},
			{TaskArn: arn("task", "demo/cccc3333"), RevisionArn: target, LastStatus: "PENDING", DesiredStatus: "RUNNING"},
			{TaskArn: arn("task", "demo/dddd4444"), RevisionArn: source, LastStatus: "STOPPED", DesiredStatus: "STOPPED", HealthStatus: "HEALTHY", StoppedReason: "Task failed container health checks"},
		},
		ProductionURL: "http://127.0.0.1:8080", TestURL: "http://127.0.0.1:8081",
		Audit: []cutoverapi.AuditRecord{
			{Seq: 1, Time: at(0), Action: "UpdateService", Actor: alice, ServiceDeploymentArn: dep, Detail: "taskDefinition web:3"},
			{Seq: 2, Time: at(60), Action: "ContinueServiceDeployment", Actor: alice, ServiceDeploymentArn: dep, HookID: "ecs-pause-aaa", Detail: "CONTINUE"},
		},
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestDescribe(t *testing.T) {
	var b bytes.Buffer
	renderDescribe(&b, newDeployment(fixture(), at(100), time.UTC))
	golden(t, "describe.golden", b.String())
	for _, want := range []string{"production traffic moves in 3m20s unless rejected", "CONTINUE by alice (accessKey AKIDALICE)"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("describe does not say %q", want)
		}
	}
}

func TestLiveLines(t *testing.T) {
	d := newDeployment(fixture(), at(100), time.UTC)
	golden(t, "live.golden", strings.Join(liveLines(d, 3, 0, ""), "\n")+"\n")
	for _, l := range liveLines(d, 0, 40, "lost") {
		if n := len([]rune(l)); n > 40 {
			t.Errorf("line of %d characters at width 40: %q", n, l)
		}
	}
	if got := liveLines(d, 0, 0, "cannot read the deployment"); got[len(got)-1] != "  ! cannot read the deployment" {
		t.Errorf("the problem is not shown last: %q", got[len(got)-1])
	}
}

// TestLogView feeds the append view the reads of a deployment and checks
// that each change is told once, stages from the timeline even when
// several passed between two reads.
func TestLogView(t *testing.T) {
	v := newLogView()
	var out []string
	read := func(d *cutoverapi.DeploymentDetails, now int) {
		out = append(out, v.lines(newDeployment(d, at(now), time.UTC))...)
	}
	first := fixture()
	first.Stages = first.Stages[:2]
	first.Stages[1].EndedAt = nil
	first.Hooks = nil
	first.Revisions[0].TestWeight, first.Revisions[1].TestWeight = 0, 100
	first.ServiceDeployment.LifecycleStage = "SCALE_UP"
	read(first, 5)
	read(first, 6) // nothing changed: nothing told
	read(fixture(), 100)
	read(fixture(), 110)
	read(fixture(), 200) // quiet for 100 s: a progress line
	done := fixture()
	done.ServiceDeployment.Status = ecs.ServiceDeploymentStatusRollbackSuccessful
	done.ServiceDeployment.StatusReason = "Rollback requested by user"
	done.ServiceDeployment.FinishedAt = ecsAt(220)
	done.Hooks[1].Status, done.Hooks[1].Current = "FAILED", false
	done.Hooks[1].Reason = "Rolled back by the user"
	done.Tasks = done.Tasks[:1]
	done.ServiceDeployment.Rollback = &ecs.Rollback{Reason: "Rollback requested by user", StartedAt: ecsAt(210), ServiceRevisionArn: done.Revisions[1].Arn}
	done.Stages[5].EndedAt = atp(210)
	done.Stages = append(done.Stages, cutoverapi.StageRun{Stage: "PRODUCTION_TRAFFIC_SHIFT", Rollback: true, StartedAt: at(210), EndedAt: atp(212)},
		cutoverapi.StageRun{Stage: "CLEAN_UP", Rollback: true, StartedAt: at(212), EndedAt: atp(220)})
	read(done, 221)
	golden(t, "logview.golden", strings.Join(out, "\n")+"\n")
}

func TestPickHook(t *testing.T) {
	d := fixture()
	if h, err := pickHook(d, ""); err != nil || h.HookID != "ecs-pause-bbb" {
		t.Errorf("one awaiting: %v, %v", h, err)
	}
	if h, err := pickHook(d, "ecs-pause-bbb"); err != nil || h.HookID != "ecs-pause-bbb" {
		t.Errorf("named: %v, %v", h, err)
	}
	if _, err := pickHook(d, "ecs-pause-aaa"); err == nil || !strings.Contains(err.Error(), "is SUCCEEDED, not awaiting action") {
		t.Errorf("a hook that does not wait: %v", err)
	}
	if _, err := pickHook(d, "ecs-pause-zzz"); err == nil || !strings.Contains(err.Error(), "has no hook ecs-pause-zzz") {
		t.Errorf("no such hook: %v", err)
	}
	d.Hooks = append(d.Hooks, cutoverapi.Hook{HookID: "ecs-pause-ccc", Stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", TargetType: "PAUSE", Status: "AWAITING_ACTION", Current: true})
	if _, err := pickHook(d, ""); exitCode(err) != exitUsage || !strings.Contains(err.Error(), "2 hooks of deployment 0000000000000003 await action; choose one with --hook-id: ecs-pause-bbb") {
		t.Errorf("two awaiting: %v", err)
	}
	d.Hooks = d.Hooks[:1]
	if _, err := pickHook(d, ""); err == nil || err.Error() != "no hook of deployment 0000000000000003 awaits action (it is IN_PROGRESS at PRE_PRODUCTION_TRAFFIC_SHIFT)" {
		t.Errorf("none awaiting: %v", err)
	}
}

func TestHookNotes(t *testing.T) {
	now := at(0)
	cases := []struct {
		h    cutoverapi.Hook
		want string
	}{
		{cutoverapi.Hook{TargetType: "PAUSE", Stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", Status: "AWAITING_ACTION", Current: true, ExpiresAt: at(252), TimeoutAction: "CONTINUE"},
			"production traffic moves in 4m12s unless rejected"},
		{cutoverapi.Hook{TargetType: "PAUSE", Stage: "PRE_PRODUCTION_TRAFFIC_SHIFT", Status: "AWAITING_ACTION", Current: true, ExpiresAt: at(252), TimeoutAction: "ROLLBACK"},
			"awaiting approval; rolls back in 4m12s unless approved"},
		{cutoverapi.Hook{TargetType: "PAUSE", Stage: "POST_SCALE_UP", Status: "AWAITING_ACTION", Current: true, ExpiresAt: at(3600), TimeoutAction: "CONTINUE"},
			"awaiting approval; continues by itself in 1h00m unless rejected"},
		{cutoverapi.Hook{TargetType: "AWS_LAMBDA", Stage: "POST_SCALE_UP", Status: "IN_PROGRESS", Current: true, Attempts: 2, NextInvokeAt: atp(30), ExpiresAt: at(600), TimeoutAction: "ROLLBACK"},
			"attempt 2, next call in 30s, times out in 10m00s (then ROLLBACK)"},
		{cutoverapi.Hook{TargetType: "AWS_LAMBDA", Stage: "POST_SCALE_UP", Status: "FAILED", Reason: "the function answered FAILED"},
			"the function answered FAILED"},
		{cutoverapi.Hook{TargetType: "PAUSE", Stage: "POST_SCALE_UP", Status: "AWAITING_ACTION", ExpiresAt: at(60)}, ""}, // not current: the deployment moved on
	}
	for _, tc := range cases {
		if got := hookNote(&tc.h, now); got != tc.want {
			t.Errorf("hookNote(%+v) = %q, want %q", tc.h, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 999 * time.Millisecond: "0s", 12 * time.Second: "12s", 252 * time.Second: "4m12s",
		time.Hour + 2*time.Minute + 5*time.Second: "1h02m", 50 * time.Hour: "2d02h",
	} {
		if got := fmtDuration(d); got != want {
			t.Errorf("fmtDuration(%v) = %q, want %q", d, got, want)
		}
	}
	for w, want := range map[float64]string{0: "0%", 100: "100%", 12.5: "12.5%"} {
		if got := fmtPercent(w); got != want {
			t.Errorf("fmtPercent(%v) = %q", w, got)
		}
	}
	if got := taskDefName(arn("task-definition", "web:3")); got != "web:3" {
		t.Errorf("taskDefName = %q", got)
	}
	if got := deploymentARN(arn("service", "demo/web"), "0007"); got != arn("service-deployment", "demo/web/0007") {
		t.Errorf("deploymentARN = %q", got)
	}
	if got := truncate("production traffic", 10); got != "productio…" {
		t.Errorf("truncate = %q", got)
	}
}

func TestOutcomes(t *testing.T) {
	for s, want := range map[ecs.ServiceDeploymentStatus]int{
		"SUCCESSFUL": exitOK, "ROLLBACK_SUCCESSFUL": exitRolled, "ROLLBACK_FAILED": exitFailed, "STOPPED": exitStop,
	} {
		if code, ended := outcome(s); !ended || code != want {
			t.Errorf("outcome(%s) = %d, %v", s, code, ended)
		}
	}
	for _, s := range []ecs.ServiceDeploymentStatus{"PENDING", "IN_PROGRESS", "ROLLBACK_REQUESTED", "ROLLBACK_IN_PROGRESS", "STOP_REQUESTED"} {
		if _, ended := outcome(s); ended {
			t.Errorf("%s counts as an end", s)
		}
	}
}

func TestReadTaskDefinition(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "td.json")
	os.WriteFile(good, []byte(`{"family":"web","containerDefinitions":[{"name":"web","image":"x"}]}`), 0o644)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"family":"web","containerDefinition":[]}`), 0o644)
	for _, f := range []string{good, "file://" + good} {
		if td, err := readTaskDefinition(f, nil); err != nil || td.Family != "web" || len(td.ContainerDefinitions) != 1 {
			t.Errorf("readTaskDefinition(%s) = %+v, %v", f, td, err)
		}
	}
	if td, err := readTaskDefinition("-", strings.NewReader(`{"family":"api"}`)); err != nil || td.Family != "api" {
		t.Errorf("from stdin: %+v, %v", td, err)
	}
	if _, err := readTaskDefinition(bad, nil); err == nil || !strings.Contains(err.Error(), `unknown field "containerDefinition"`) {
		t.Errorf("an unknown member: %v", err)
	}
}
