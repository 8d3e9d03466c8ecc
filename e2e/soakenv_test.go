package e2e

// What the soak test (soak_test.go) runs on: services with their load
// balancers made with aws-sdk-go-v2 and the cutover API client (the aws
// CLI spends most of a second of CPU a call, which the soak's two cores
// need for the load), their task definitions, URL hooks that succeed,
// hold or fail, and what to say of a deployment that is stuck.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/cutover/cutover/internal/client"
)

// soakAPI calls a server's ECS and ELBv2 APIs with Go clients.
type soakAPI struct {
	ecs *client.Client
	elb *elbv2.Client
}

func newSoakAPI(t *testing.T, s *server) *soakAPI {
	t.Helper()
	c, err := client.New(client.Options{Endpoint: s.url()})
	if err != nil {
		t.Fatal(err)
	}
	return &soakAPI{ecs: c, elb: elbv2.New(elbv2.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(s.url()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
	})}
}

// call runs an ECS operation with a JSON request and decodes the answer.
func (a *soakAPI) call(op string, in any) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out map[string]any
	if err := a.ecs.Call(ctx, client.ECSTargetPrefix+op, in, &out); err != nil {
		return nil, fmt.Errorf("%s: %w", op, err)
	}
	return out, nil
}

// describe returns one service deployment.
func (a *soakAPI) describe(arn string) (map[string]any, error) {
	out, err := a.call("DescribeServiceDeployments", map[string]any{"serviceDeploymentArns": []string{arn}})
	if err != nil {
		return nil, err
	}
	d, ok := path(out, "serviceDeployments", 0).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("service deployment %s not found: %v", arn, out)
	}
	return d, nil
}

// soakLoadBalancer makes a load balancer named name with a production
// listener and, for a service that shifts traffic, blue and green target
// groups and a test listener. Health checks run every 5 s (the least
// ELBv2 allows) and deregistration takes 1 s. It returns the service's
// loadBalancers and the listeners' URLs (test is empty without one).
// blueGreenLB does the same with the aws CLI for one service named web.
func soakLoadBalancer(t *testing.T, a *soakAPI, name string, shifts bool) (lbs []any, prod, test string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	lb, err := a.elb.CreateLoadBalancer(ctx, &elbv2.CreateLoadBalancerInput{Name: aws.String(name)})
	if err != nil {
		t.Fatalf("CreateLoadBalancer %s: %v", name, err)
	}
	colours := []string{"blue"}
	if shifts {
		colours = append(colours, "green")
	}
	var groups []string
	for _, colour := range colours {
		tg, err := a.elb.CreateTargetGroup(ctx, &elbv2.CreateTargetGroupInput{
			Name: aws.String(name + "-" + colour), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(80),
			TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/health"),
			HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(4),
			HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(3),
		})
		if err != nil {
			t.Fatalf("CreateTargetGroup %s-%s: %v", name, colour, err)
		}
		arn := aws.ToString(tg.TargetGroups[0].TargetGroupArn)
		groups = append(groups, arn)
		_, err = a.elb.ModifyTargetGroupAttributes(ctx, &elbv2.ModifyTargetGroupAttributesInput{
			TargetGroupArn: aws.String(arn),
			Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("1")}},
		})
		if err != nil {
			t.Fatalf("ModifyTargetGroupAttributes %s-%s: %v", name, colour, err)
		}
	}
	var tuples []elbtypes.TargetGroupTuple
	for i, g := range groups {
		tuples = append(tuples, elbtypes.TargetGroupTuple{TargetGroupArn: aws.String(g), Weight: aws.Int32(int32(1 - min(i, 1)))})
	}
	listeners := 1
	if shifts {
		listeners = 2
	}
	var urls, rules []string
	for range listeners {
		port := freePort(t)
		l, err := a.elb.CreateListener(ctx, &elbv2.CreateListenerInput{
			LoadBalancerArn: lb.LoadBalancers[0].LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(port),
			DefaultActions: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward,
				ForwardConfig: &elbtypes.ForwardActionConfig{TargetGroups: tuples}}},
		})
		if err != nil {
			t.Fatalf("CreateListener %s:%d: %v", name, port, err)
		}
		r, err := a.elb.DescribeRules(ctx, &elbv2.DescribeRulesInput{ListenerArn: l.Listeners[0].ListenerArn})
		if err != nil || len(r.Rules) == 0 {
			t.Fatalf("DescribeRules %s:%d: %v", name, port, err)
		}
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d/", port))
		rules = append(rules, aws.ToString(r.Rules[0].RuleArn))
	}
	l := map[string]any{"targetGroupArn": groups[0], "containerName": "web", "containerPort": 8080}
	if !shifts {
		return []any{l}, urls[0], ""
	}
	l["advancedConfiguration"] = map[string]any{
		"alternateTargetGroupArn": groups[1], "productionListenerRule": rules[0],
		"testListenerRule": rules[1], "roleArn": "arn:aws:iam::000000000000:role/ecs",
	}
	return []any{l}, urls[0], urls[1]
}

// verdictHook is a URL lifecycle hook that checks each request's
// signature and answers FAILED; with midShiftOnly, only when the event's
// production weights split traffic between two revisions (a LINEAR or
// CANARY step short of 100%), and SUCCEEDED otherwise.
type verdictHook struct {
	secret       []byte
	midShiftOnly bool
	mu           sync.Mutex
	calls, fails int
	bad          []string
}

func (h *verdictHook) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var ev map[string]any
	if !readSignedEvent(w, r, h.secret, &h.bad, &ev) {
		return
	}
	h.calls++
	fail := !h.midShiftOnly
	split, _ := path(ev, "executionDetails", "productionTrafficWeights").(map[string]any)
	for _, v := range split {
		if p, _ := v.(float64); p > 0 && p < 100 {
			fail = true
		}
	}
	reply := "SUCCEEDED"
	if fail {
		reply = "FAILED"
		h.fails++
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"hookStatus": reply})
}

func (h *verdictHook) counts() (calls, fails int, bad []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls, h.fails, slices.Clone(h.bad)
}

// soakHooks serves the soak's URL hooks: /ok answers SUCCEEDED,
// /progress IN_PROGRESS twice then SUCCEEDED, /fail FAILED, and
// /failmid FAILED at a production step short of 100%.
type soakHooks struct {
	*http.ServeMux
	ok            *stepHook
	progress      *httpHook
	fail, failMid *verdictHook
}

func newSoakHooks(secret string) *soakHooks {
	h := &soakHooks{ServeMux: http.NewServeMux(), ok: &stepHook{secret: []byte(secret)}, progress: &httpHook{secret: []byte(secret)},
		fail: &verdictHook{secret: []byte(secret)}, failMid: &verdictHook{secret: []byte(secret), midShiftOnly: true}}
	h.Handle("/ok", h.ok)
	h.Handle("/progress", h.progress)
	h.Handle("/fail", h.fail)
	h.Handle("/failmid", h.failMid)
	return h
}

// check fails the test if a hook got a badly signed or malformed
// request, or an IN_PROGRESS execution was not called exactly three
// times (IN_PROGRESS, IN_PROGRESS, SUCCEEDED).
func (h *soakHooks) check(t *testing.T) {
	t.Helper()
	_, bad := h.ok.calls()
	events, bad2 := h.progress.calls()
	bad = append(bad, bad2...)
	perExecution := map[any]int{}
	for _, ev := range events {
		perExecution[ev["executionId"]]++
	}
	for id, calls := range perExecution {
		if calls != 3 {
			t.Errorf("the IN_PROGRESS hook's execution %v was called %d times, want 3", id, calls)
		}
	}
	for _, v := range []*verdictHook{h.fail, h.failMid} {
		_, _, b := v.counts()
		bad = append(bad, b...)
	}
	if len(bad) > 0 {
		t.Errorf("hooks got badly signed or malformed requests: %v", bad)
	}
}

// soakTaskDefs registers every version's task definition, each service
// its own family, and returns their ARNs by version.
func soakTaskDefs(t *testing.T, a *soakAPI, services []*soakService) map[string]string {
	t.Helper()
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Log("curl is not installed: the tasks have no container health check, only the load balancer's")
	}
	arns := map[string]string{}
	for _, svc := range services {
		for _, v := range svc.versions {
			b, err := os.ReadFile(strings.TrimPrefix(taskDef(t, v, ""), "file://"))
			if err != nil {
				t.Fatal(err)
			}
			var td map[string]any
			if err := json.Unmarshal(b, &td); err != nil {
				t.Fatal(err)
			}
			td["family"] = svc.name
			// taskDef's health check starts a Python interpreter, about
			// 0.6 CPU-seconds here: every 2 s for 10 to 20 tasks it
			// would take more than the two cores. curl does the same
			// check for a fiftieth of that.
			c := path(td, "containerDefinitions", 0).(map[string]any)
			if curl == "" {
				delete(c, "healthCheck")
			} else {
				c["healthCheck"] = map[string]any{"command": []string{"CMD-SHELL", curl + ` -fsS -o /dev/null "http://127.0.0.1:$PORT/health"`},
					"interval": 5, "timeout": 5, "retries": 3, "startPeriod": 0}
			}
			out, err := a.call("RegisterTaskDefinition", td)
			if err != nil {
				t.Fatal(err)
			}
			arns[v] = path(out, "taskDefinition", "taskDefinitionArn").(string)
		}
	}
	return arns
}

// startSoakServices creates the services on their first version with
// two tasks each, waits for them to be deployed, and starts steady load
// on every production listener for the rest of the test.
func startSoakServices(t *testing.T, a *soakAPI, services []*soakService, taskDefs map[string]string) {
	t.Helper()
	var created []string
	for _, svc := range services {
		strategy := "BLUE_GREEN"
		if svc.rolling {
			strategy = "ROLLING"
		}
		out, err := a.call("CreateService", map[string]any{"cluster": soakCluster, "serviceName": svc.name,
			"taskDefinition": taskDefs[svc.versions[0]], "desiredCount": 2, "loadBalancers": svc.lbs,
			"deploymentConfiguration":       map[string]any{"strategy": strategy, "bakeTimeInMinutes": 0},
			"healthCheckGracePeriodSeconds": 60})
		if err != nil {
			t.Fatal(err)
		}
		created = append(created, path(out, "service", "currentServiceDeployment").(string))
	}
	for _, arn := range created {
		eventually(t, 3*time.Minute, arn+" SUCCESSFUL", func() bool {
			d, err := a.describe(arn)
			if err != nil {
				t.Fatal(err)
			}
			if st, _ := d["status"].(string); st != "SUCCESSFUL" && ended(st) {
				t.Fatalf("the first deployment %s ended %s (%v)", arn, st, d["statusReason"])
			}
			return d["status"] == "SUCCESSFUL"
		})
	}
	for _, svc := range services {
		if got := sample(svc.prod, 5); got[svc.versions[0]] != 5 {
			t.Fatalf("%s's production listener answered %v, want %s", svc.name, got, svc.versions[0])
		}
		svc.load = startLoad(svc.prod, 1)
		t.Cleanup(svc.stopLoad)
	}
}

// health describes a service's tasks' and targets' health, to say why
// a deployment is stuck.
func (r *soakRun) health(svc *soakService) string {
	var b strings.Builder
	list, err := r.api.call("ListTasks", map[string]any{"cluster": soakCluster, "serviceName": svc.name})
	if err != nil {
		return err.Error()
	}
	if arns, _ := list["taskArns"].([]any); len(arns) > 0 {
		tasks, err := r.api.call("DescribeTasks", map[string]any{"cluster": soakCluster, "tasks": arns})
		if err != nil {
			return err.Error()
		}
		for _, tk := range tasks["tasks"].([]any) {
			fmt.Fprintf(&b, "task %v %v %v health %v; ", path(tk, "taskDefinitionArn"), path(tk, "lastStatus"),
				path(tk, "containers", 0, "networkBindings", 0, "hostPort"), path(tk, "healthStatus"))
		}
	}
	for _, l := range svc.lbs {
		groups := []string{path(l, "targetGroupArn").(string)}
		if alt, ok := path(l, "advancedConfiguration", "alternateTargetGroupArn").(string); ok {
			groups = append(groups, alt)
		}
		for _, g := range groups {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			h, err := r.api.elb.DescribeTargetHealth(ctx, &elbv2.DescribeTargetHealthInput{TargetGroupArn: aws.String(g)})
			cancel()
			if err != nil {
				return err.Error()
			}
			for _, d := range h.TargetHealthDescriptions {
				fmt.Fprintf(&b, "target %s:%d %s (%s); ", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port),
					d.TargetHealth.State, aws.ToString(d.TargetHealth.Description))
			}
		}
	}
	return b.String()
}
