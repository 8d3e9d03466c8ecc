package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// httpHook is a lifecycle hook served over HTTP. It checks each request's
// signature, records the event, and answers the first two invocations of
// an execution IN_PROGRESS (callBackDelay 1, hookDetails {"n": 1}, then
// {"n": 2}) and the third SUCCEEDED.
type httpHook struct {
	secret []byte
	mu     sync.Mutex
	events []map[string]any
	bad    []string
}

func (h *httpHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ev map[string]any
	if !readSignedEvent(w, r, h.secret, &h.bad, &ev) {
		return
	}
	h.events = append(h.events, ev)
	n := 0
	for _, e := range h.events {
		if e["executionId"] == ev["executionId"] {
			n++
		}
	}
	reply := map[string]any{"hookStatus": "SUCCEEDED"}
	if n <= 2 {
		reply = map[string]any{"hookStatus": "IN_PROGRESS", "callBackDelay": 1, "hookDetails": map[string]any{"n": n}}
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(reply)
}

func (h *httpHook) calls() ([]map[string]any, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.events), slices.Clone(h.bad)
}

// startLambdaServer serves examples/hooks/admission.py as the Lambda
// function "admission" through the Lambda Invoke API at addr, its boto3
// client pointed at the cutover server ecsURL. It returns the server's
// output.
func startLambdaServer(t *testing.T, repo, addr, ecsURL string) *lockedBuffer {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command("python3", filepath.Join(repo, "examples/hooks/lambda_server.py"), "--listen", addr,
		"admission="+filepath.Join(repo, "examples/hooks/admission.py"))
	cmd.Env = append(os.Environ(), "AWS_ENDPOINT_URL_ECS="+ecsURL,
		"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=secret", "AWS_DEFAULT_REGION=us-east-1",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		"PYTHONUNBUFFERED=1")
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			t.Logf("lambda_server output:\n%s", out)
		}
	})
	eventually(t, 15*time.Second, "lambda_server listening", func() bool {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	})
	return out
}

// taskDefImage is taskDef with another container image.
func taskDefImage(t *testing.T, version, image string) string {
	t.Helper()
	return editTaskDef(t, taskDef(t, version, ""), func(c map[string]any) { c["image"] = image })
}

// blueGreenLB creates a load balancer with blue and green target groups
// and a production and a test listener forwarding to both. It returns
// the service's --load-balancers argument and the two listeners' URLs.
func blueGreenLB(t *testing.T, s *server) (lbs, prod, test string) {
	t.Helper()
	lbArn := path(s.mustAWS("elbv2", "create-load-balancer", "--name", "web"), "LoadBalancers", 0, "LoadBalancerArn").(string)
	tg := map[string]string{}
	for _, name := range []string{"blue", "green"} {
		tg[name] = path(s.mustAWS("elbv2", "create-target-group", "--name", name, "--protocol", "HTTP", "--port", "80",
			"--target-type", "ip", "--health-check-path", "/health", "--health-check-interval-seconds", "5",
			"--health-check-timeout-seconds", "4", "--healthy-threshold-count", "2", "--unhealthy-threshold-count", "3"),
			"TargetGroups", 0, "TargetGroupArn").(string)
		s.mustAWS("elbv2", "modify-target-group-attributes", "--target-group-arn", tg[name],
			"--attributes", "Key=deregistration_delay.timeout_seconds,Value=2")
	}
	forward := fmt.Sprintf(`[{"Type":"forward","ForwardConfig":{"TargetGroups":[{"TargetGroupArn":%q,"Weight":1},{"TargetGroupArn":%q,"Weight":0}]}}]`, tg["blue"], tg["green"])
	ports, rules := map[string]string{}, map[string]string{}
	for _, name := range []string{"prod", "test"} {
		_, ports[name], _ = net.SplitHostPort(freeAddr(t))
		l := path(s.mustAWS("elbv2", "create-listener", "--load-balancer-arn", lbArn, "--protocol", "HTTP",
			"--port", ports[name], "--default-actions", forward), "Listeners", 0, "ListenerArn").(string)
		rules[name] = path(s.mustAWS("elbv2", "describe-rules", "--listener-arn", l), "Rules", 0, "RuleArn").(string)
	}
	b, _ := json.Marshal([]any{map[string]any{
		"targetGroupArn": tg["blue"], "containerName": "web", "containerPort": 8080,
		"advancedConfiguration": map[string]any{
			"alternateTargetGroupArn": tg["green"], "productionListenerRule": rules["prod"],
			"testListenerRule": rules["test"], "roleArn": "arn:aws:iam::000000000000:role/ecs",
		},
	}})
	return string(b), "http://127.0.0.1:" + ports["prod"] + "/", "http://127.0.0.1:" + ports["test"] + "/"
}

// describeDeployment describes one service deployment.
func describeDeployment(t *testing.T, s *server, arn string) map[string]any {
	t.Helper()
	d := s.mustAWS("ecs", "describe-service-deployments", "--service-deployment-arns", arn)
	return path(d, "serviceDeployments", 0).(map[string]any)
}

// answers checks what each URL answers.
func answers(t *testing.T, when string, want map[string]string) {
	t.Helper()
	for u, v := range want {
		if body, err := get(u); err != nil || strings.TrimSpace(body) != "hello from "+v {
			t.Fatalf("%s: %s answers %q (%v), want %s", when, u, body, err, v)
		}
	}
}

// loadPhase keeps production under load until the returned function is
// called, or the test ends.
func loadPhase(t *testing.T, url string) func() *load {
	l := startLoad(url, 4)
	var once sync.Once
	stop := func() *load { once.Do(l.finish); return l }
	t.Cleanup(func() { stop() })
	return stop
}

// checkLoad fails the test if a request failed or production answered
// anything but the versions listed.
func checkLoad(t *testing.T, what string, l *load, versions ...string) {
	t.Helper()
	t.Logf("production load %s: %d ok, %d failed, answers %v", what, l.ok.Load(), l.fail.Load(), l.seen)
	if l.fail.Load() != 0 {
		t.Errorf("%s: %d requests failed: %v", what, l.fail.Load(), l.errs)
	}
	for body := range l.seen {
		if !slices.Contains(versions, strings.TrimPrefix(body, "hello from ")) {
			t.Errorf("%s: production answered %q, want only %v", what, body, versions)
		}
	}
}

const lambdaARNPrefix = "arn:aws:lambda:us-east-1:000000000000:function:"

// TestHooksAndEvents runs BLUE_GREEN deployments with the four kinds of
// lifecycle hooks under production load: an admission check served
// through the Lambda Invoke API (a boto3 handler calling back into the
// ECS API), an HTTP hook answering IN_PROGRESS twice, a local command
// hook smoke-testing the test listener, and a pause continued or rolled
// back with the aws CLI. It then reads every event back from the SSE
// stream (replay, resume, filter) and compares them with what the
// webhook received.
func TestHooksAndEvents(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		t.Skip("python3 is not installed")
	}
	if exec.Command("python3", "-c", "import boto3").Run() != nil {
		t.Skip("boto3 is not installed")
	}
	repo, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	const secret = "e2e-signing-secret"
	hook := &httpHook{secret: []byte(secret)}
	hookSrv := httptest.NewServer(hook)
	t.Cleanup(hookSrv.Close)
	sink := &webhookSink{secret: []byte(secret), bodies: map[uint64]string{}}
	sinkSrv := httptest.NewServer(sink)
	t.Cleanup(sinkSrv.Close)
	cfg := filepath.Join(t.TempDir(), "cutover.yaml")
	err = os.WriteFile(cfg, fmt.Appendf(nil, `signingSecret: %q
hooks:
  commands:
    smoke:
      command: [python3, %q]
events:
  webhooks:
    - name: e2e
      url: %q
`, secret, filepath.Join(repo, "examples/hooks/smoke_test.py"), sinkSrv.URL), 0o644)
	if err != nil {
		t.Fatal(err)
	}
	lambdaAddr := freeAddr(t)
	s := startServer(t, "--config", cfg, "--lambda-endpoint", "http://"+lambdaAddr)
	lambdaOut := startLambdaServer(t, repo, lambdaAddr, s.url())

	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	lbs, prod, test := blueGreenLB(t, s)
	hooksConfig := func(expect string) string {
		b, _ := json.Marshal(map[string]any{
			"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0,
			"lifecycleHooks": []any{
				map[string]any{"hookTargetArn": lambdaARNPrefix + "admission", "roleArn": "arn:aws:iam::000000000000:role/hooks",
					"lifecycleStages": []string{"PRE_SCALE_UP"}, "hookDetails": map[string]any{"allowedRegistries": []string{"example/"}}},
				map[string]any{"hookTargetArn": hookSrv.URL + "/hook", "lifecycleStages": []string{"PRE_PRODUCTION_TRAFFIC_SHIFT"}},
				map[string]any{"hookTargetArn": lambdaARNPrefix + "smoke", "lifecycleStages": []string{"POST_TEST_TRAFFIC_SHIFT"},
					"hookDetails": map[string]any{"url": test, "expect": expect, "attempts": 5}},
				map[string]any{"targetType": "PAUSE", "lifecycleStages": []string{"POST_TEST_TRAFFIC_SHIFT"},
					"timeoutConfiguration": map[string]any{"timeoutInMinutes": 30}},
			},
		})
		return string(b)
	}
	// update deploys a task definition with the hooks and returns the
	// new service deployment's ARN and its target revision.
	var current string // the service's current service deployment
	update := func(td, expect string) (arn, revision string) {
		t.Helper()
		svc := s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", td,
			"--deployment-configuration", hooksConfig(expect))
		arn, _ = path(svc, "service", "currentServiceDeployment").(string)
		if arn == "" || arn == current {
			t.Fatalf("update-service to %s started no new service deployment: %v", td, svc)
		}
		current = arn
		return arn, path(describeDeployment(t, s, arn), "targetServiceRevision", "arn").(string)
	}
	// until waits for the deployment to reach a status, failing at once
	// if it ends in another.
	until := func(arn, status string) map[string]any {
		t.Helper()
		var d map[string]any
		eventually(t, 90*time.Second, arn+" "+status, func() bool {
			d = describeDeployment(t, s, arn)
			switch st := d["status"].(string); {
			case st == status:
				return true
			case st == "SUCCESSFUL" || st == "STOPPED" || strings.HasSuffix(st, "_SUCCESSFUL") || strings.HasSuffix(st, "_FAILED"):
				t.Fatalf("deployment %s ended %s (%v), want %s", arn, st, d["statusReason"], status)
			}
			return false
		})
		return d
	}
	// paused waits until the pause hook at POST_TEST_TRAFFIC_SHIFT awaits
	// an action and the smoke test beside it has succeeded; it returns
	// the pause's hookId.
	paused := func(arn string) string {
		t.Helper()
		var hookID string
		eventually(t, 90*time.Second, "the pause at POST_TEST_TRAFFIC_SHIFT with the smoke test passed", func() bool {
			d := describeDeployment(t, s, arn)
			if d["status"] != "IN_PROGRESS" {
				t.Fatalf("deployment %s is %v (%v) before its pause", arn, d["status"], d["statusReason"])
			}
			if d["lifecycleStage"] != "POST_TEST_TRAFFIC_SHIFT" {
				return false
			}
			smoke := ""
			hookID = ""
			hooks, _ := d["lifecycleHookDetails"].([]any)
			for _, h := range hooks {
				switch {
				case path(h, "targetType") == "PAUSE" && path(h, "status") == "AWAITING_ACTION":
					hookID, _ = path(h, "hookId").(string)
				case path(h, "targetArn") == lambdaARNPrefix+"smoke":
					smoke, _ = path(h, "status").(string)
				}
			}
			if smoke == "FAILED" || smoke == "TIMED_OUT" {
				t.Fatalf("the smoke test hook is %s: %v", smoke, hooks)
			}
			return len(hooks) == 2 && hookID != "" && smoke == "SUCCEEDED"
		})
		if !strings.HasPrefix(hookID, "ecs-pause-") {
			t.Errorf("pause hookId %q does not start with ecs-pause-", hookID)
		}
		return hookID
	}
	cont := func(arn, hookID, action string) (map[string]any, error) {
		return s.aws("ecs", "continue-service-deployment", "--service-deployment-arn", arn, "--hook-id", hookID, "--action", action)
	}

	// v1, without hooks.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v1", ""))
	svc := s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--load-balancers", lbs, "--deployment-configuration", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0}`,
		"--health-check-grace-period-seconds", "60")
	current, _ = path(svc, "service", "currentServiceDeployment").(string)
	v1Rev, _ := path(until(current, "SUCCESSFUL"), "targetServiceRevision", "arn").(string)
	answers(t, "v1 deployed", map[string]string{prod: "v1", test: "v1"})
	stopLoad := loadPhase(t, prod)

	// v2 passes admission and its smoke test, waits at the pause with
	// the test listener on v2 and production on v1, and once continued
	// waits for the HTTP hook before production moves.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", ""))
	v2, v2Rev := update("web:2", "v2")
	pause2 := paused(v2)
	answers(t, "paused after the test traffic shift", map[string]string{prod: "v1", test: "v2"})
	if calls, _ := hook.calls(); len(calls) != 0 {
		t.Fatalf("the PRE_PRODUCTION_TRAFFIC_SHIFT hook was called before the pause was continued: %v", calls)
	}
	if _, err := cont(v2, pause2, "CONTINUE"); err != nil {
		t.Fatalf("continue-service-deployment: %v", err)
	}
	until(v2, "SUCCESSFUL")
	answers(t, "v2 deployed", map[string]string{prod: "v2", test: "v2"})
	checkLoad(t, "from v1 to v2", stopLoad(), "v1", "v2")

	calls, bad := hook.calls()
	if len(bad) > 0 {
		t.Errorf("the HTTP hook got badly signed or malformed requests: %v", bad)
	}
	if len(calls) != 3 {
		t.Fatalf("the HTTP hook was called %d times, want 3 (IN_PROGRESS, IN_PROGRESS, SUCCEEDED): %v", len(calls), calls)
	}
	for i, ev := range calls {
		wantDetails := []any{nil, map[string]any{"n": 1.0}, map[string]any{"n": 2.0}}[i]
		if got := ev["hookDetails"]; fmt.Sprint(got) != fmt.Sprint(wantDetails) {
			t.Errorf("HTTP hook call %d: hookDetails %v, want %v", i+1, got, wantDetails)
		}
		if ev["executionId"] != calls[0]["executionId"] || ev["executionId"] == "" {
			t.Errorf("HTTP hook call %d: executionId %v, want the first call's %v", i+1, ev["executionId"], calls[0]["executionId"])
		}
		if ev["lifecycleStage"] != "PRE_PRODUCTION_TRAFFIC_SHIFT" || ev["resourceArn"] != v2 ||
			path(ev, "executionDetails", "targetServiceRevisionArn") != v2Rev ||
			!strings.Contains(fmt.Sprint(path(ev, "executionDetails", "serviceArn")), ":service/demo/web") {
			t.Errorf("HTTP hook call %d: event %v, want stage PRE_PRODUCTION_TRAFFIC_SHIFT of %s to %s", i+1, ev, v2, v2Rev)
		}
		weights := fmt.Sprint(path(ev, "executionDetails", "productionTrafficWeights"))
		if want := fmt.Sprint(map[string]any{v1Rev: 100.0, v2Rev: 0.0}); weights != want {
			t.Errorf("HTTP hook call %d: productionTrafficWeights %s, want %s (v1 100, v2 0)", i+1, weights, want)
		}
	}

	// v3 comes from a registry the admission hook refuses: the deployment
	// rolls back before a task starts.
	stopLoad = loadPhase(t, prod)
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDefImage(t, "v3", "evil.example/web:v3"))
	v3, _ := update("web:3", "v3")
	d3 := until(v3, "ROLLBACK_SUCCESSFUL")
	if r := fmt.Sprint(d3["statusReason"]); !strings.Contains(r, "hook") || !strings.Contains(r, "PRE_SCALE_UP") {
		t.Errorf("v3's statusReason %q does not name the hook that failed at PRE_SCALE_UP", r)
	}
	if got := path(d3, "rollback", "serviceRevisionArn"); got != v2Rev {
		t.Errorf("v3 rolled back to %v, want v2's revision %s", got, v2Rev)
	}
	if !strings.Contains(lambdaOut.String(), "refused images: evil.example/web:v3") {
		t.Errorf("the admission hook did not refuse evil.example/web:v3 through the Lambda endpoint:\n%s", lambdaOut)
	}
	answers(t, "v3 refused", map[string]string{prod: "v2", test: "v2"})

	// v3b passes admission and its smoke test; the pause is answered
	// ROLLBACK, and answering it again is a client error.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v3b", ""))
	v3b, _ := update("web:4", "v3b")
	pause3 := paused(v3b)
	answers(t, "v3b paused after the test traffic shift", map[string]string{prod: "v2", test: "v3b"})
	if _, err := cont(v3b, pause3, "ROLLBACK"); err != nil {
		t.Fatalf("continue-service-deployment --action ROLLBACK: %v", err)
	}
	_, err = cont(v3b, pause3, "CONTINUE")
	if ae := (*awsErr)(nil); !errors.As(err, &ae) || ae.code == 0 || !strings.Contains(ae.stderr, "ClientException") {
		t.Errorf("continue-service-deployment on a resolved hook: %v, want a ClientException", err)
	}
	d3b := until(v3b, "ROLLBACK_SUCCESSFUL")
	if r := fmt.Sprint(d3b["statusReason"]); !strings.Contains(r, pause3) {
		t.Errorf("v3b's statusReason %q does not name the pause hook %s", r, pause3)
	}
	answers(t, "v3b rolled back", map[string]string{prod: "v2", test: "v2"})
	checkLoad(t, "during v3 and v3b", stopLoad(), "v2")
	if calls, _ := hook.calls(); len(calls) != 3 {
		t.Errorf("the PRE_PRODUCTION_TRAFFIC_SHIFT hook was called %d times in all, want 3 (v3 and v3b never got there)", len(calls))
	}

	checkEvents(t, s.url()+"/cutover/v1/events", sink, deployments{
		v2: v2, v3: v3, v3b: v3b, pause2: pause2, httpHook: hookSrv.URL + "/hook",
	})
}

// deployments names what the event log must show.
