package controller_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/elbapi"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// elb calls an ELBv2 action with form parameters and returns the XML.
func (h *harness) elb(api http.Handler, action string, params ...string) string {
	h.t.Helper()
	form := url.Values{"Action": {action}, "Version": {"2015-12-01"}}
	for i := 0; i+1 < len(params); i += 2 {
		form.Set(params[i], params[i+1])
	}
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	api.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		h.t.Fatalf("%s: %d %s", action, rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func xmlValue(doc, tag string) string {
	m := regexp.MustCompile("<" + tag + ">([^<]*)</" + tag + ">").FindStringSubmatch(doc)
	if m == nil {
		return ""
	}
	return m[1]
}

// targets returns the registered targets of a target group.
func (h *harness) targets(arn string) []state.Target {
	var out []state.Target
	err := h.store.View(context.Background(), func(tx store.Tx) error {
		g, err := state.Tx{Tx: tx}.TargetGroup(arn)
		if err == nil {
			out = g.Targets
		}
		return err
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return out
}

// behindLoadBalancer gives the harness a controller driving plane and a
// load balancer with a listener forwarding to one target group (health
// checks off, a 5 s deregistration delay), and returns the group's ARN.
func (h *harness) behindLoadBalancer(plane controller.DataPlane) string {
	h.t.Helper()
	h.ctl = controller.New(controller.Config{Store: h.store, Drivers: h.drivers(), ARNs: arns, Now: h.now,
		DataPlane: plane, LBAddress: "127.0.0.1"})
	elb := elbapi.New(elbapi.Config{Store: h.store, ARNs: arns, Now: h.now})
	lbArn := xmlValue(h.elb(elb, "CreateLoadBalancer", "Name", "web"), "LoadBalancerArn")
	tg := xmlValue(h.elb(elb, "CreateTargetGroup", "Name", "web", "Protocol", "HTTP", "Port", "80",
		"TargetType", "ip", "HealthCheckEnabled", "false"), "TargetGroupArn")
	h.elb(elb, "ModifyTargetGroupAttributes", "TargetGroupArn", tg,
		"Attributes.member.1.Key", "deregistration_delay.timeout_seconds", "Attributes.member.1.Value", "5")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	h.elb(elb, "CreateListener", "LoadBalancerArn", lbArn, "Protocol", "HTTP", "Port", port,
		"DefaultActions.member.1.Type", "forward", "DefaultActions.member.1.TargetGroupArn", tg)
	return tg
}

// TestTasksRegisterAndLeaveTheirTargetGroup: running tasks of a service
// behind a load balancer are registered in its target group, a task that
// dies is deregistered, and stopping tasks are deregistered before they
// stop.
func TestTasksRegisterAndLeaveTheirTargetGroup(t *testing.T) {
	h := newHarness(t)
	b := lb.New(lb.Options{})
	t.Cleanup(func() { b.Close(context.Background()) })
	tg := h.behindLoadBalancer(controller.InProcessPlane(b))

	h.registerTaskDef("web", "v1", nil)
	h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2,
		"loadBalancers":[{"targetGroupArn":"`+tg+`","containerName":"app","containerPort":8080}]}`)
	h.passUntil("two registered tasks", func() bool {
		return h.steady("web", map[string]int{"web:1": 2})() && len(h.targets(tg)) == 2
	})
	// The pass that registered them pushed them too: their health checks
	// start now, not a pass later.
	served := func() int {
		for _, g := range b.Config().TargetGroups {
			if g.ARN == tg {
				return len(g.Targets)
			}
		}
		return 0
	}
	if n := served(); n != 2 {
		t.Fatalf("the data plane serves %d targets right after the pass that registered 2", n)
	}

	victim := h.tasks(state.TaskRunning)[0]
	h.driver.Stop(context.Background(), victim.ID)
	h.passUntil("the dead task replaced and deregistered", func() bool {
		ts := h.targets(tg)
		if len(ts) != 2 || !h.steady("web", map[string]int{"web:1": 2})() {
			return false
		}
		for _, target := range ts {
			if int(target.Port) == victim.Targets[0].Port {
				return false
			}
		}
		return true
	})

	// Scaling in: the target leaves the group first, the process stops
	// only after the deregistration delay.
	h.call("UpdateService", `{"cluster":"c","service":"web","desiredCount":1}`)
	h.passUntil("one target left", func() bool { return len(h.targets(tg)) == 1 })
	if n := served(); n != 1 {
		t.Fatalf("the data plane serves %d targets right after the pass that deregistered one of 2", n)
	}
	if n := len(h.driver.Running()); n != 2 {
		t.Fatalf("%d tasks run right after deregistration, want 2: the stopping one must drain first", n)
	}
	h.advance(6 * time.Second)
	h.passUntil("the drained task stopped", func() bool { return len(h.driver.Running()) == 1 })
}
