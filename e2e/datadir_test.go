package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/testfs"
)

// plainTaskDef is taskDef's v1 without a container health check: the
// tasks of these tests must not be replaced because a loaded machine
// runs a health check command slowly (the load balancer's health checks
// still apply).
func plainTaskDef(t *testing.T) string {
	t.Helper()
	app, err := filepath.Abs("../examples/app")
	if err != nil {
		t.Fatal(err)
	}
	td := map[string]any{
		"family": "web",
		"containerDefinitions": []any{map[string]any{
			"name": "web", "image": "example/web:v1", "essential": true, "workingDirectory": app,
			"entryPoint":   []string{"python3", "server.py"},
			"environment":  []any{map[string]string{"name": "VERSION", "value": "v1"}},
			"portMappings": []any{map[string]any{"containerPort": 8080}},
			"stopTimeout":  5,
		}},
	}
	f := filepath.Join(t.TempDir(), "td-plain.json")
	b, _ := json.Marshal(td)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + f
}

// diskService creates the cluster demo and the ROLLING service web, two
// tasks of v1 behind a load balancer's production listener, whose URL it
// returns.
func diskService(t *testing.T, s *server) (prod string) {
	t.Helper()
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	lbs, prod := rollingLB(t, s)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", plainTaskDef(t))
	svc := s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--load-balancers", lbs, "--health-check-grace-period-seconds", "60")
	untilStatus(t, s, path(svc, "service", "currentServiceDeployment").(string), "SUCCESSFUL", 180*time.Second)
	eventually(t, 60*time.Second, "the listener serving v1", func() bool {
		body, err := get(prod)
		return err == nil && strings.TrimSpace(body) == "hello from v1"
	})
	return prod
}

// serviceARN returns the ARN of the service web.
func serviceARN(t *testing.T, s *server) string {
	t.Helper()
	return path(s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web"), "services", 0, "serviceArn").(string)
}

// spareGroup creates a target group that no listener uses.
func spareGroup(t *testing.T, s *server) string {
	t.Helper()
	return path(s.mustAWS("elbv2", "create-target-group", "--name", "spare", "--protocol", "HTTP", "--port", "80",
		"--target-type", "ip"), "TargetGroups", 0, "TargetGroupArn").(string)
}

// startServerIn is startServer on a given data directory (a filesystem
// the test mounted): stopped, its tasks and load balancer killed, before
// the filesystem is unmounted.
func startServerIn(t *testing.T, dataDir string) *server {
	s := &server{t: t, bin: binary(t), dataDir: dataDir, addr: freeAddr(t)}
	s.start()
	t.Cleanup(func() {
		s.kill()
		s.stopAllTasks()
		if t.Failed() {
			t.Logf("server log:\n%s", s.log)
		}
	})
	return s
}

// stored is what the describe calls return of the state a test set up:
// the names and ARNs that must survive anything.
func stored(t *testing.T, s *server) map[string]string {
	t.Helper()
	got := map[string]string{}
	add := func(what string, v any) { got[what] = fmt.Sprint(v) }
	svc := s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	add("cluster", path(s.mustAWS("ecs", "describe-clusters", "--clusters", "demo"), "clusters", 0, "clusterArn"))
	add("service", path(svc, "services", 0, "serviceArn"))
	add("service status", path(svc, "services", 0, "status"))
	add("service desired", path(svc, "services", 0, "desiredCount"))
	add("service task definition", path(svc, "services", 0, "taskDefinition"))
	add("service deployment", path(svc, "services", 0, "currentServiceDeployment"))
	tds, _ := path(s.mustAWS("ecs", "list-task-definitions"), "taskDefinitionArns").([]any)
	for _, td := range tds {
		add(fmt.Sprint("task definition ", td), "listed")
	}
	add("web:1 image", path(s.mustAWS("ecs", "describe-task-definition", "--task-definition", "web:1"),
		"taskDefinition", "containerDefinitions", 0, "image"))
	lbs := s.mustAWS("elbv2", "describe-load-balancers")
	add("load balancer", path(lbs, "LoadBalancers", 0, "LoadBalancerArn"))
	tgs, _ := path(s.mustAWS("elbv2", "describe-target-groups"), "TargetGroups").([]any)
	for _, tg := range tgs {
		add(fmt.Sprint("target group ", path(tg, "TargetGroupName")), path(tg, "TargetGroupArn"))
	}
	ls, _ := path(s.mustAWS("elbv2", "describe-listeners", "--load-balancer-arn", got["load balancer"]), "Listeners").([]any)
	for _, l := range ls {
		add(fmt.Sprint("listener ", path(l, "Port")), path(l, "ListenerArn"))
		add(fmt.Sprint("listener ", path(l, "Port"), " forwards to"), path(l, "DefaultActions", 0, "TargetGroupArn"))
	}
	for k, v := range got {
		if v == "" || v == "<nil>" || v == "[]" {
			t.Fatalf("describe calls return no %s", k)
		}
	}
	return got
}

// sameStored fails the test unless the state reads back as before.
func sameStored(t *testing.T, when string, before, after map[string]string) {
	t.Helper()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s: %s reads %q, was %q", when, k, after[k], v)
		}
	}
}

// bigTaskDef is a task definition file whose environment holds size
// bytes: more than the free pages of the store can take.
func bigTaskDef(t *testing.T, family string, size int) string {
	t.Helper()
	td := map[string]any{
		"family": family,
		"containerDefinitions": []any{map[string]any{
			"name": "web", "image": "example/web:big", "essential": true,
			"entryPoint":  []string{"python3", "server.py"},
			"environment": []any{map[string]string{"name": "BIG", "value": strings.Repeat("x", size)}},
		}},
	}
	f := filepath.Join(t.TempDir(), family+".json")
	b, _ := json.Marshal(td)
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return "file://" + f
}

// landed lists the writes stored although the data directory refused
// writes: they fitted in pages the store's file already had.
type landed struct {
	families            []string // task definitions
	service, group, svc bool     // service "other", target group "other", the tag of "web"
}

// refusedWrites makes API writes with the data directory unable to take
// them. A small write may still land in pages the store's file already
// has (bbolt reuses the pages that earlier commits freed): it is then
// stored like any other. A write bigger than those is refused with the
// API's clear error naming the problem (want): a 60 KiB task definition
// (registered again until refused: any stored before must survive) and
// 1000 targets registered in the target group spare (made beforehand). Every write either
// lands or is refused so.
func refusedWrites(t *testing.T, s *server, spare, want string) (got landed) {
	t.Helper()
	t.Setenv("AWS_MAX_ATTEMPTS", "1") // no CLI retries of the 500s: one answer each
	refused := func(what string, err error, code string) bool {
		t.Helper()
		if err == nil {
			t.Logf("%s: stored (it fitted in the store's free pages)", what)
			return false
		}
		msg := err.Error()
		if !strings.Contains(msg, "("+code+")") || !strings.Contains(msg, want) {
			t.Fatalf("%s: %v; want a %s saying %q", what, err, code, want)
		}
		t.Logf("%s: refused: %s", what, strings.TrimSpace(err.(*awsErr).stderr))
		return true
	}
	for i := 0; ; i++ {
		if i == 50 {
			t.Fatalf("50 task definitions of 60 KiB stored with the data directory unable to take writes")
		}
		family := fmt.Sprintf("big%02d", i)
		_, err := s.aws("ecs", "register-task-definition", "--cli-input-json", bigTaskDef(t, family, 60<<10))
		if refused("register a 60 KiB task definition", err, "ServerException") {
			t.Logf("%d task definitions stored in the store's free pages before the first refusal", i)
			break
		}
		got.families = append(got.families, family)
	}
	targets := []string{"elbv2", "register-targets", "--target-group-arn", spare, "--targets"}
	for i := range 1000 {
		targets = append(targets, fmt.Sprintf("Id=127.0.0.1,Port=%d", 20000+i))
	}
	if _, err := s.aws(targets...); !refused("register 1000 targets", err, "InternalFailure") {
		t.Errorf("1000 targets registered with the data directory unable to take writes")
	}
	_, err := s.aws("ecs", "create-service", "--cluster", "demo", "--service-name", "other", "--task-definition", "web:1", "--desired-count", "0")
	got.service = !refused("create a service", err, "ServerException")
	_, err = s.aws("ecs", "tag-resource", "--resource-arn", serviceARN(t, s), "--tags", "key=disk,value=refused")
	got.svc = !refused("tag a service", err, "ServerException")
	_, err = s.aws("elbv2", "create-target-group", "--name", "other", "--protocol", "HTTP", "--port", "80", "--target-type", "ip")
	got.group = !refused("create a target group", err, "InternalFailure")
	return got
}

// check verifies that the writes that landed are there.
func (l landed) check(t *testing.T, s *server) {
	t.Helper()
	for _, family := range l.families {
		s.mustAWS("ecs", "describe-task-definition", "--task-definition", family)
	}
	if l.service {
		if st := path(s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "other"), "services", 0, "status"); st != "ACTIVE" {
			t.Errorf("service other, created with the data directory full, is %v", st)
		}
	}
	if l.svc {
		if v := path(s.mustAWS("ecs", "list-tags-for-resource", "--resource-arn", serviceARN(t, s)), "tags", 0, "value"); v != "refused" {
			t.Errorf("service web, tagged with the data directory full, has the tag value %v", v)
		}
	}
	if l.group {
		s.mustAWS("elbv2", "describe-target-groups", "--names", "other")
	}
}

// servingWithout checks that reads, the load balancer and the tasks
// keep working while the data directory refuses writes.
func servingWithout(t *testing.T, s *server, before map[string]string, tasks map[string][2]int) {
	t.Helper()
	sameStored(t, "with writes refused", before, stored(t, s))
	if resp, err := http.Get(s.url() + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz with writes refused: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	for arn, tk := range tasks {
		if !alive(tk[1]) {
			t.Errorf("task %s (pid %d) died with writes refused", arn, tk[1])
		}
	}
	if !allAnswer(t, tasks, "v1") {
		t.Errorf("the tasks stopped answering with writes refused")
	}
}

// noPanic fails the test if the log of the server, which must be
// stopped (its log is written to while it runs), shows a Go panic.
func noPanic(t *testing.T, s *server) {
	t.Helper()
	if strings.Contains(s.log.String(), "panic:") || strings.Contains(s.log.String(), "fatal error:") {
		t.Errorf("the server panicked:\n%s", s.log)
	}
}

// TestFullDataDirectory fills the data directory's filesystem (a small
// tmpfs) under a service behind the load balancer, with
// production traffic: API writes are refused with a ServerException
// saying the data directory is full (or, small enough to fit in the
// store's free pages, stored), reads, the tasks and the load balancer
// go on, and once space is freed writes work again; after a kill -9
// everything stored before is there.
func TestFullDataDirectory(t *testing.T) {
	dir := testfs.Tmpfs(t, 64<<20)
	s := startServerIn(t, dir)
	prod := diskService(t, s)
	spare := spareGroup(t, s)
	before := stored(t, s)
	tasks := runningTasks(t, s)
	stop := loadPhase(t, prod)

	filler := testfs.Fill(t, dir)
	registered := refusedWrites(t, s, spare, "data directory is full (no space left on device)")
	servingWithout(t, s, before, tasks)
	time.Sleep(2 * time.Second) // the controller and the load balancer carry on full
	servingWithout(t, s, before, tasks)

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", bigTaskDef(t, "freed", 60<<10))
	registered.families = append(registered.families, "freed")
	checkLoad(t, "with the data directory full", stop(), "v1")

	s.kill9()
	keepLog(t, s)
	noPanic(t, s)
	logWrites(t, s)
	s.start()
	sameStored(t, "after kill -9 and restart", before, stored(t, s))
	registered.check(t, s)
	answers(t, "after the restart", map[string]string{prod: "v1"})
	s.kill()
	noPanic(t, s)
}

// TestReadOnlyDataDirectory has the kernel turn the data directory's
// filesystem (ext4, errors=remount-ro) read-only under the running
// server, as after a disk error: writes are refused with a
// ServerException saying the data directory is read-only, reads, the
// tasks and the load balancer go on. The repair needs every file on the
// filesystem closed (the server, its tasks and the load balancer
// stopped), e2fsck and a mount; the server started again has everything
// stored before, runs the service again and takes writes.
func TestReadOnlyDataDirectory(t *testing.T) {
	fs := testfs.NewExt4(t, 256<<20)
	s := startServerIn(t, fs.Dir)
	prod := diskService(t, s)
	spare := spareGroup(t, s)
	before := stored(t, s)
	tasks := runningTasks(t, s)
	stop := loadPhase(t, prod)

	fs.ForceReadOnly()
	registered := refusedWrites(t, s, spare, "data directory is read-only")
	servingWithout(t, s, before, tasks)
	time.Sleep(2 * time.Second)
	servingWithout(t, s, before, tasks)
	checkLoad(t, "with the data directory read-only", stop(), "v1")

	s.kill9()
	keepLog(t, s)
	noPanic(t, s)
	logWrites(t, s)
	s.stopAllTasks()
	time.Sleep(500 * time.Millisecond) // the killed processes close their files
	fs.Repair()
	s.start()
	sameStored(t, "after the repair and restart", before, stored(t, s))
	eventually(t, 90*time.Second, "the service's tasks running again", func() bool {
		return allAnswer(t, runningTasks(t, s), "v1") && len(runningTasks(t, s)) == 2
	})
	eventually(t, 30*time.Second, "production answering again", func() bool {
		body, err := get(prod)
		return err == nil && strings.TrimSpace(body) == "hello from v1"
	})
	registered.check(t, s)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", bigTaskDef(t, "repaired", 60<<10))
	s.kill()
	noPanic(t, s)
}

// keepLog keeps the log of the stopped server, which the next start
// replaces, to show it if the test fails.
func keepLog(t *testing.T, s *server) {
	before := s.log.String()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log before the restart:\n%s", before)
		}
	})
}

// logWrites reports what the server (stopped) logged about the writes
// the filesystem refused, for docs/reliability.md.
func logWrites(t *testing.T, s *server) {
	var lines []string
	for _, l := range strings.Split(s.log.String(), "\n") {
		if strings.Contains(l, "no space left") || strings.Contains(l, "read-only file system") {
			_, l, _ = strings.Cut(l, " ")         // the time
			l, _, _ = strings.Cut(l, " request=") // the request ID and the error, with its paths
			l, _, _ = strings.Cut(l, " err=")
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	slices.Sort(lines)
	lines = slices.Compact(lines)
	t.Logf("the server logged refused writes from %d places:\n%s", len(lines), strings.Join(lines, "\n"))
}
