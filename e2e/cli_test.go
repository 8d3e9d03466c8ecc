package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files of testdata/cli")

// cli runs the cutover binary's client commands against a server, as a
// person at a terminal-less shell would: signed with access key AKIDCLI,
// times in UTC.
type cli struct {
	t   *testing.T
	bin string
	env []string
}

func newCLI(t *testing.T, s *server) *cli {
	env := []string{"CUTOVER_ENDPOINT=" + s.url(), "AWS_ACCESS_KEY_ID=AKIDCLI", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "TZ=UTC"}
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); !strings.HasPrefix(k, "AWS_") && k != "CUTOVER_ENDPOINT" && k != "TZ" {
			env = append(env, kv)
		}
	}
	return &cli{t: t, bin: s.bin, env: env}
}

// run runs the binary and returns its output and exit code.
func (c *cli) run(args ...string) (stdout, stderr string, code int) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = c.env
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if _, ok := err.(*exec.ExitError); err != nil && !ok {
		c.t.Fatalf("cutover %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

// must runs the binary, failing the test unless it exits 0.
func (c *cli) must(args ...string) string {
	c.t.Helper()
	out, errOut, code := c.run(args...)
	if code != 0 {
		c.t.Fatalf("cutover %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// json runs the binary with --output json and decodes what it prints.
func (c *cli) json(args ...string) map[string]any {
	c.t.Helper()
	out := c.must(append(args, "--output", "json")...)
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		c.t.Fatalf("cutover %s --output json: %v\n%s", strings.Join(args, " "), err, out)
	}
	return v
}

// bg is a run of the binary in the background whose output is read as it
// comes.
type bg struct {
	t      *testing.T
	args   string
	cmd    *exec.Cmd
	lines  chan string
	mu     sync.Mutex
	out    []string
	stderr bytes.Buffer
	done   chan struct{}
}

func (c *cli) start(args ...string) *bg {
	c.t.Helper()
	b := &bg{t: c.t, args: strings.Join(args, " "), lines: make(chan string, 1000), done: make(chan struct{})}
	b.cmd = exec.Command(c.bin, args...)
	b.cmd.Env = c.env
	b.cmd.Stderr = &b.stderr
	stdout, err := b.cmd.StdoutPipe()
	if err != nil {
		c.t.Fatal(err)
	}
	if err := b.cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			b.lines <- sc.Text()
		}
		close(b.lines)
	}()
	c.t.Cleanup(func() {
		b.cmd.Process.Kill()
		<-b.done
	})
	go func() { b.cmd.Wait(); close(b.done) }()
	return b
}

// waitFor reads the output until a line contains s.
func (b *bg) waitFor(s string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-b.lines:
			if !ok {
				b.t.Fatalf("cutover %s ended before printing %q:\n%s\n%s", b.args, s, b.output(), b.stderr.String())
			}
			b.mu.Lock()
			b.out = append(b.out, l)
			b.mu.Unlock()
			if strings.Contains(l, s) {
				return
			}
		case <-deadline:
			b.t.Fatalf("cutover %s did not print %q within %v:\n%s", b.args, s, timeout, b.output())
		}
	}
}

// wait waits for the run to end and returns its whole output and exit
// code.
func (b *bg) wait(timeout time.Duration) (string, int) {
	b.t.Helper()
	select {
	case <-b.done:
	case <-time.After(timeout):
		b.t.Fatalf("cutover %s did not end within %v:\n%s", b.args, timeout, b.output())
	}
	for l := range b.lines {
		b.out = append(b.out, l)
	}
	return b.output(), b.cmd.ProcessState.ExitCode()
}

func (b *bg) output() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.Join(b.out, "\n") + "\n"
}

// masks replace what changes from run to run: instants, durations, task
// and hook IDs, legacy deployment IDs, ports, event numbers.
var masks = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC`), "<time>"},
	{regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`), "<time>"},
	{regexp.MustCompile(`\b\d\d:\d\d:\d\d\b`), "<clock>"},
	{regexp.MustCompile(`\b\d+(d\d\dh|h\d\dm|m\d\ds|s)\b`), "<dur>"},
	{regexp.MustCompile(`\b[0-9a-f]{32}\b`), "<task>"},
	{regexp.MustCompile(`ecs-pause-[A-Za-z0-9_-]{43}`), "ecs-pause-<id>"},
	{regexp.MustCompile(`ecs-svc/\d+`), "ecs-svc/<id>"},
	{regexp.MustCompile(`(http://[^:/\s]*):\d+`), "$1:<port>"},
	{regexp.MustCompile(`#\d+ *`), "#<n> "},
	{regexp.MustCompile(` {2,}`), "  "}, // column widths follow what was masked
}

func mask(s string) string {
	for _, m := range masks {
		s = m.re.ReplaceAllString(s, m.with)
	}
	return s
}

// sampled drops the lines of a followed deployment that say what one read
// saw (traffic, tasks, a quiet spell's progress): when they come depends
// on when the CLI read. The other lines come from the deployment's record.
func sampled(out string) string {
	var keep []string
	for _, l := range strings.Split(out, "\n") {
		if _, rest, ok := strings.Cut(l, "  "); ok && (strings.HasPrefix(rest, "traffic ") || strings.HasPrefix(rest, "tasks ") || strings.HasPrefix(rest, "… ")) {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}

// golden compares the masked output with testdata/cli/NAME.golden, or
// rewrites it with -update.
func golden(t *testing.T, name, out string) {
	t.Helper()
	got := mask(out)
	path := filepath.Join("testdata", "cli", name+".golden")
	if *updateGolden {
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
		t.Errorf("output of %s differs from %s (run with -update to accept):\n--- got\n%s\n--- want\n%s", name, path, got, want)
	}
}

// TestCLI drives a BLUE_GREEN service with pause hooks and a ROLLING
// service through the CLI's verbs against a real server, and compares
// their output with golden files.
func TestCLI(t *testing.T) {
	start := time.Now()
	milestone := func(what string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), what) }
	s := startServer(t)
	c := newCLI(t, s)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	lbs, _, _ := blueGreenLB(t, s)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v1", ""))
	s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "1", "--load-balancers", lbs, "--health-check-grace-period-seconds", "60",
		"--deployment-configuration", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0}`)
	s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "api", "--task-definition", "web:1",
		"--desired-count", "1", "--deployment-configuration", `{"strategy":"ROLLING","minimumHealthyPercent":100,"maximumPercent":200}`)
	// The wait before production traffic moves, and an approval after
	// the test traffic shift.
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--deployment-configuration",
		`{"strategy":"BLUE_GREEN","bakeTimeInMinutes":30,"lifecycleHooks":[
			{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"]},
			{"targetType":"PAUSE","lifecycleStages":["PRE_PRODUCTION_TRAFFIC_SHIFT"],"timeoutConfiguration":{"timeoutInMinutes":10,"action":"CONTINUE"}}]}`)
	milestone("set up")
	for _, svc := range []string{"web", "api"} {
		eventually(t, 60*time.Second, svc+" v1 deployed", func() bool {
			d := c.json("deployments", "describe", "--cluster", "demo", "--service", svc)
			return path(d, "serviceDeployment", "status") == "SUCCESSFUL"
		})
	}
	milestone("v1 deployed")
	// tdFile writes the task definition of family and version, and
	// returns its path.
	tdFile := func(family, version string) string {
		b, err := os.ReadFile(strings.TrimPrefix(taskDef(t, version, ""), "file://"))
		if err != nil {
			t.Fatal(err)
		}
		var td map[string]any
		json.Unmarshal(b, &td)
		td["family"] = family
		f := filepath.Join(t.TempDir(), family+"-"+version+".json")
		b, _ = json.Marshal(td)
		if err := os.WriteFile(f, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}

	// The rolling service, in the background meanwhile; it starts first,
	// so that the deployment IDs, numbered in order, are the same at every
	// run.
	api := c.start("deploy", "--cluster", "demo", "--service", "api", tdFile("api", "v2"))
	api.waitFor("Deploying api:1", 10*time.Second)

	// v2: approve the test traffic, look around while production waits,
	// approve again, end the bake time: SUCCESSFUL, exit 0.
	v2 := c.start("deploy", "--cluster", "demo", "--service", "web", tdFile("web", "v2"))
	v2.waitFor("hook PAUSE at POST_TEST_TRAFFIC_SHIFT AWAITING_ACTION", 60*time.Second)
	if _, errOut, code := c.run("reject", "--cluster", "demo", "--service", "api"); code != 1 || !strings.Contains(errOut, "awaits action") {
		t.Errorf("reject with no awaiting hook: exit %d, %s", code, errOut)
	}
	golden(t, "approve", c.must("approve", "--cluster", "demo", "--service", "web"))
	v2.waitFor("production traffic moves in", 30*time.Second)
	golden(t, "describe-waiting", c.must("deployments", "describe", "--cluster", "demo", "--service", "web"))
	golden(t, "status-service", c.must("status", "--cluster", "demo", "--service", "web"))
	approved := c.json("approve", "--cluster", "demo", "--service", "web")
	if approved["lifecycleStage"] != "PRE_PRODUCTION_TRAFFIC_SHIFT" || approved["action"] != "CONTINUE" {
		t.Errorf("approve --output json: %v", approved)
	}
	v2.waitFor("bake time ends in", 30*time.Second)
	golden(t, "end-bake", c.must("end-bake", "--cluster", "demo", "--service", "web"))
	out, code := v2.wait(60 * time.Second)
	if code != 0 {
		t.Fatalf("deploy v2: exit %d\n%s", code, out)
	}
	golden(t, "deploy-approved", sampled(out))
	if out, code := api.wait(60 * time.Second); code != 0 {
		t.Fatalf("deploy of the rolling service: exit %d\n%s", code, out)
	} else {
		golden(t, "deploy-rolling", sampled(out))
	}

	milestone("v2 deployed")
	// v3: follow a new task's logs, reject at the first pause: the
	// deployment rolls back, deploy exits 3 and the log follow ends with
	// the task.
	v3 := c.start("deploy", "--cluster", "demo", "--service", "web", tdFile("web", "v3"))
	v3.waitFor("Deploying web:3", 10*time.Second)
	// Meanwhile the rolling service starts a deployment without waiting
	// for it, which is rolled back while a watch follows it to exit 3.
	started := c.json("deploy", "--cluster", "demo", "--service", "api", "--no-wait", tdFile("api", "v3"))
	if started["serviceDeploymentArn"] != "arn:aws:ecs:us-east-1:000000000000:service-deployment/demo/api/0000000000000006" {
		t.Errorf("deploy --no-wait --output json: %v", started)
	}
	apiWatch := c.start("deployments", "watch", "--cluster", "demo", "--service", "api")
	apiWatch.waitFor("following demo/api deployment 0000000000000006", 10*time.Second)
	golden(t, "rollback", c.must("rollback", "--cluster", "demo", "--service", "api"))
	audits := c.start("events", "-f", "--after", "now", "--cluster", "demo", "--service", "web", "--detail-type", "audit")
	v3.waitFor("hook PAUSE at POST_TEST_TRAFFIC_SHIFT AWAITING_ACTION", 60*time.Second)
	d := c.json("deployments", "describe", "--cluster", "demo", "--service", "web")
	var task string
	for _, tk := range path(d, "tasks").([]any) {
		if path(tk, "revisionArn") == path(d, "revisions", 0, "arn") { // the target's
			task = path(tk, "taskArn").(string)
		}
	}
	if task == "" {
		t.Fatalf("no v3 task in %v", d)
	}
	logs := c.start("logs", "--cluster", "demo", "-f", task)
	logs.waitFor("v3 listening on", 10*time.Second)
	golden(t, "reject", c.must("reject", "--cluster", "demo", "--service", "web"))
	out, code = v3.wait(60 * time.Second)
	if code != 3 {
		t.Errorf("deploy v3 after reject: exit %d, want 3 (rolled back)\n%s", code, out)
	}
	golden(t, "deploy-rejected", sampled(out))
	audits.waitFor("ContinueServiceDeployment by accessKey AKIDCLI on deployment 0000000000000005 hook ecs-pause-", 10*time.Second)
	if out, code := apiWatch.wait(60 * time.Second); code != 3 || !strings.Contains(out, "deployment ROLLBACK_SUCCESSFUL") {
		t.Errorf("deployments watch of a rolled back deployment: exit %d, want 3\n%s", code, out)
	}
	if _, code := logs.wait(30 * time.Second); code != 0 || !strings.Contains(logs.stderr.String(), "stopped") {
		t.Errorf("logs -f: exit %d when the task stopped; stderr %q", code, logs.stderr.String())
	}

	milestone("v3 rolled back")
	// What happened, as list, describe, status and events tell it.
	golden(t, "deployments-list", c.must("deployments", "list", "--cluster", "demo", "--service", "web"))
	golden(t, "describe-rejected", c.must("deployments", "describe", "--cluster", "demo", "--service", "web"))
	eventually(t, 30*time.Second, "both services steady", func() bool {
		out := c.must("status")
		return strings.Count(out, "ROLLBACK_SUCCESSFUL") == 2 && strings.Count(out, " 1/1 ") == 2
	})
	golden(t, "status", c.must("status"))
	golden(t, "events", c.must("events", "--cluster", "demo", "--service", "web",
		"--detail-type", "deployment", "--detail-type", "hook", "--detail-type", "audit"))

	milestone("steady")
	// --output json parses everywhere, with the API's shapes.
	if v := c.json("status"); len(path(v, "services").([]any)) != 2 || path(v, "clusters", 0, "clusterName") != "demo" {
		t.Errorf("status --output json: %v", v)
	}
	if v := c.json("status", "--cluster", "demo", "--service", "web"); path(v, "currentDeployment", "serviceDeployment", "status") != "ROLLBACK_SUCCESSFUL" {
		t.Errorf("status --service --output json: %v", v)
	}
	if v := c.json("deployments", "list", "--cluster", "demo", "--service", "api"); len(path(v, "serviceDeployments").([]any)) != 3 {
		t.Errorf("deployments list --output json: %v", v)
	}
	events, _, code := c.run("events", "--cluster", "demo", "--service", "web", "--detail-type", "audit", "--output", "json")
	var actions []string
	for _, l := range strings.Split(strings.TrimSpace(events), "\n") {
		var e map[string]any
		if err := json.Unmarshal([]byte(l), &e); err != nil || path(e, "seq") == nil {
			t.Fatalf("events --output json: line %q: %v", l, err)
		}
		actions = append(actions, fmt.Sprint(path(e, "event", "detail", "action"), " ", path(e, "event", "detail", "actor", "id")))
	}
	want := "CreateService AKIDEXAMPLE,UpdateService AKIDEXAMPLE,UpdateService AKIDCLI,ContinueServiceDeployment AKIDCLI,ContinueServiceDeployment AKIDCLI," +
		"EndServiceDeploymentBakeTime AKIDCLI,UpdateService AKIDCLI,ContinueServiceDeployment AKIDCLI"
	if code != 0 || strings.Join(actions, ",") != want {
		t.Errorf("audit events: exit %d,\n got %s\nwant %s", code, strings.Join(actions, ","), want)
	}

	// Shell completion asks the server.
	if out := c.must("__complete", "deployments", "list", "--cluster", "demo", "--service", ""); !strings.Contains(out, "web\n") || !strings.Contains(out, "api\n") {
		t.Errorf("completion of --service: %q", out)
	}
	if out := c.must("__complete", "deployments", "describe", "--cluster", "demo", "--service", "web", ""); !strings.Contains(out, "0000000000000005\tROLLBACK_SUCCESSFUL") {
		t.Errorf("completion of a deployment: %q", out)
	}
}

// TestCLISignedRequests runs the CLI against a server with access keys:
// its API calls, event stream and log reads are signed well enough for
// the server's SigV4 check, and a wrong or missing key is refused with
// the API's error.
func TestCLISignedRequests(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys")
	if err := os.WriteFile(keys, []byte("AKIAALICE0000000001 alice-secret-0000000001 alice\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "--access-keys", keys)
	c := newCLI(t, s)
	c.env = append(c.env, "AWS_ACCESS_KEY_ID=AKIAALICE0000000001", "AWS_SECRET_ACCESS_KEY=alice-secret-0000000001")
	if out := c.must("status"); out != "No clusters.\n" {
		t.Errorf("status: %q", out)
	}
	if _, _, code := c.run("events", "--detail-type", "audit", "--detail-type", "hook", "--after", "0"); code != 0 {
		t.Errorf("events, signed: exit %d", code)
	}
	if _, errOut, code := c.run("logs", "--cluster", "demo", "--container", "web", "0123"); code != 1 || !strings.Contains(errOut, "task not found") {
		t.Errorf("logs of no task, signed: exit %d, %s", code, errOut)
	}
	for name, env := range map[string][]string{
		"wrong secret": {"AWS_SECRET_ACCESS_KEY=not-the-secret"},
		"unknown key":  {"AWS_ACCESS_KEY_ID=AKIANOBODY000000001"},
		"unsigned":     {"AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY="},
	} {
		bad := &cli{t: t, bin: c.bin, env: append(append([]string{}, c.env...), env...)}
		for _, args := range [][]string{{"status"}, {"events"}, {"logs", "--container", "web", "0123"}} {
			_, errOut, code := bad.run(args...)
			if code != 1 || !regexp.MustCompile(`(InvalidSignature|UnrecognizedClient|MissingAuthenticationToken)Exception`).MatchString(errOut) {
				t.Errorf("%s: cutover %s: exit %d, %s", name, strings.Join(args, " "), code, errOut)
			}
		}
	}
}
