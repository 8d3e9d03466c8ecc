package e2e

import (
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// load sends requests to url from a few clients until stopped, counting
// every failure (an error or a non-200 answer) and what answered.
type load struct {
	url      string
	stop     chan struct{}
	wg       sync.WaitGroup
	ok, fail atomic.Int64
	mu       sync.Mutex
	seen     map[string]int
	errs     []string
}

func startLoad(url string, clients int) *load {
	l := &load{url: url, stop: make(chan struct{}), seen: map[string]int{}}
	for range clients {
		l.wg.Go(func() {
			for {
				select {
				case <-l.stop:
					return
				default:
				}
				body, err := get(url)
				l.mu.Lock()
				if err != nil {
					l.fail.Add(1)
					if len(l.errs) < 5 {
						l.errs = append(l.errs, err.Error())
					}
				} else {
					l.ok.Add(1)
					l.seen[strings.TrimSpace(body)]++
				}
				l.mu.Unlock()
				time.Sleep(5 * time.Millisecond)
			}
		})
	}
	return l
}

func (l *load) finish() {
	close(l.stop)
	l.wg.Wait()
}

// TestBlueGreenIsLossless runs BLUE_GREEN deployments behind the built-in
// load balancer under continuous load on the production listener: a
// complete deployment, a rollback during bake time, a deployment across
// a kill -9 of the control plane, and a switch to ROLLING, with zero
// failed requests.
func TestBlueGreenIsLossless(t *testing.T) {
	s := startServer(t)
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")

	// Load balancer: blue and green target groups, a production and a
	// test listener forwarding to both.
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
	prod, test := "http://127.0.0.1:"+ports["prod"]+"/", "http://127.0.0.1:"+ports["test"]+"/"

	lbs, _ := json.Marshal([]any{map[string]any{
		"targetGroupArn": tg["blue"], "containerName": "web", "containerPort": 8080,
		"advancedConfiguration": map[string]any{
			"alternateTargetGroupArn": tg["green"], "productionListenerRule": rules["prod"],
			"testListenerRule": rules["test"], "roleArn": "arn:aws:iam::000000000000:role/ecs",
		},
	}})
	bg := func(bake int) string {
		return fmt.Sprintf(`{"strategy":"BLUE_GREEN","bakeTimeInMinutes":%d}`, bake)
	}
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v1", ""))
	s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web", "--task-definition", "web:1",
		"--desired-count", "2", "--load-balancers", string(lbs), "--deployment-configuration", bg(0),
		"--health-check-grace-period-seconds", "60")
	eventually(t, 90*time.Second, "v1 deployed", func() bool { return currentDeployment(t, s)["status"] == "SUCCESSFUL" })
	for _, u := range []string{prod, test} {
		if body, err := get(u); err != nil || strings.TrimSpace(body) != "hello from v1" {
			t.Fatalf("%s answers %q, %v", u, body, err)
		}
	}

	traffic := startLoad(prod, 4)
	defer func() {
		traffic.finish()
		t.Logf("production load: %d ok, %d failed, answers %v", traffic.ok.Load(), traffic.fail.Load(), traffic.seen)
		if traffic.fail.Load() != 0 {
			t.Errorf("%d requests failed during the deployments: %v", traffic.fail.Load(), traffic.errs)
		}
	}()

	// v2 with a pause after the test shift and a bake time: the test
	// listener serves v2 while production still serves v1 until the
	// pause is continued; then production moves; roll back while it
	// bakes, and production is on blue again at once.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v2", ""))
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:2",
		"--deployment-configuration", `{"strategy":"BLUE_GREEN","bakeTimeInMinutes":30,"lifecycleHooks":[
			{"targetType":"PAUSE","lifecycleStages":["POST_TEST_TRAFFIC_SHIFT"]}]}`)
	var hookID string
	eventually(t, 90*time.Second, "a pause after the test traffic shift", func() bool {
		hookID, _ = path(currentDeployment(t, s), "lifecycleHookDetails", 0, "hookId").(string)
		return hookID != ""
	})
	for u, want := range map[string]string{prod: "v1", test: "v2"} {
		if body, _ := get(u); strings.TrimSpace(body) != "hello from "+want {
			t.Fatalf("while paused %s answers %q, want %s", u, body, want)
		}
	}
	s.mustAWS("ecs", "continue-service-deployment", "--service-deployment-arn",
		currentDeployment(t, s)["serviceDeploymentArn"].(string), "--hook-id", hookID, "--action", "CONTINUE")
	eventually(t, 90*time.Second, "v2 baking", func() bool { return currentDeployment(t, s)["lifecycleStage"] == "BAKE_TIME" })
	for _, u := range []string{prod, test} {
		if body, _ := get(u); strings.TrimSpace(body) != "hello from v2" {
			t.Fatalf("during bake time %s answers %q, want v2", u, body)
		}
	}
	arn := currentDeployment(t, s)["serviceDeploymentArn"].(string)
	s.mustAWS("ecs", "stop-service-deployment", "--service-deployment-arn", arn, "--stop-type", "ROLLBACK")
	eventually(t, 60*time.Second, "rolled back", func() bool {
		return currentDeployment(t, s)["status"] == "ROLLBACK_SUCCESSFUL"
	})
	if body, _ := get(prod); strings.TrimSpace(body) != "hello from v1" {
		t.Fatalf("after the rollback production answers %q, want v1", body)
	}

	// v3 without bake time, with the control plane killed in the middle.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v3", ""))
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:3",
		"--deployment-configuration", bg(0))
	eventually(t, 60*time.Second, "v3 scaling up", func() bool {
		r, _ := path(currentDeployment(t, s), "targetServiceRevision", "runningTaskCount").(float64)
		return r > 0
	})
	s.kill9()
	time.Sleep(time.Second)
	s.start()
	eventually(t, 120*time.Second, "v3 deployed", func() bool { return currentDeployment(t, s)["status"] == "SUCCESSFUL" })
	if body, _ := get(prod); strings.TrimSpace(body) != "hello from v3" {
		t.Fatalf("after the deployment production answers %q, want v3", body)
	}
	svc := s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	rev := path(svc, "services", 0, "currentServiceRevisions", 0, "arn").(string)
	r := s.mustAWS("ecs", "describe-service-revisions", "--service-revision-arns", rev)
	if got := path(r, "serviceRevisions", 0, "resolvedConfiguration", "loadBalancers", 0, "targetGroupArn"); got != tg["green"] {
		t.Errorf("v3's revision resolves to %v, want the green target group", got)
	}

	// Switched to ROLLING, the service replaces v3 in the target group
	// production forwards to (green): a rolling deployment never moves
	// the listener's weights.
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json", taskDef(t, "v4", ""))
	s.mustAWS("ecs", "update-service", "--cluster", "demo", "--service", "web", "--task-definition", "web:4",
		"--deployment-configuration", `{"strategy":"ROLLING"}`)
	eventually(t, 120*time.Second, "v4 deployed", func() bool { return currentDeployment(t, s)["status"] == "SUCCESSFUL" })
	if body, _ := get(prod); strings.TrimSpace(body) != "hello from v4" {
		t.Fatalf("after the rolling deployment production answers %q, want v4", body)
	}
}
