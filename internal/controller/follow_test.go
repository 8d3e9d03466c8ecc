package controller_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/controller"
	"github.com/cutover/cutover/internal/elbapi"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/fake"
	"github.com/cutover/cutover/internal/state"
)

// running runs a controller on cfg with a tick an hour long and returns
// it and a function that waits for its next pass: any pass within the
// test's seconds was woken by something else than the tick.
func running(t *testing.T, cfg controller.Config) (ctl *controller.Controller, nextPass func(what string)) {
	passes := make(chan struct{}, 16)
	cfg.Interval = time.Hour
	cfg.PassDone = func(time.Duration) { passes <- struct{}{} }
	ctl = controller.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { ctl.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	nextPass = func(what string) {
		t.Helper()
		select {
		case <-passes:
		case <-time.After(10 * time.Second):
			t.Fatalf("no pass %s", what)
		}
	}
	nextPass("at the start")
	// The followers' first news may wake one more: let it pass.
	for {
		select {
		case <-passes:
			continue
		case <-time.After(200 * time.Millisecond):
		}
		return ctl, nextPass
	}
}

// TestHealthChangeWakesAPass: a running controller passes again as soon
// as the data plane reports a health change, not at its next tick.
func TestHealthChangeWakesAPass(t *testing.T) {
	h := newHarness(t)
	b := lb.New(lb.Options{})
	t.Cleanup(func() { b.Close(context.Background()) })
	_, nextPass := running(t, controller.Config{Store: h.store, Drivers: h.drivers(), ARNs: arns, Now: h.now,
		DataPlane: controller.InProcessPlane(b), LBAddress: "127.0.0.1"})

	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	err = b.Apply(lb.Config{Version: 1,
		Listeners: []lb.Listener{{ARN: "l", Address: addr, Protocol: "HTTP",
			DefaultActions: []lb.Action{{Type: lb.ActionForward, TargetGroups: []lb.WeightedTargetGroup{{ARN: "g", Weight: 1}}}}}},
		TargetGroups: []lb.TargetGroup{{ARN: "g", Protocol: "HTTP", Targets: []lb.Target{{Host: host, Port: p}},
			HealthCheck: lb.HealthCheck{Enabled: true, Path: "/", Interval: 50 * time.Millisecond, Timeout: time.Second,
				HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200"}}}})
	if err != nil {
		t.Fatal(err)
	}
	nextPass("when the target became healthy")
	if th := b.Health(); len(th) != 1 || th[0].State != lb.StateHealthy {
		t.Fatalf("woken with %+v", th)
	}
}

// telling is the fake runtime with a runtime.Watcher that tells of a
// change when the test sends one.
type telling struct {
	*fake.Driver
	changes chan string
}

func (d telling) Watch(ctx context.Context, changed func(string)) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case id := <-d.changes:
			changed(id)
		}
	}
}

// TestRuntimeChangeWakesAPass: a running controller passes again as soon
// as a runtime tells of a task change, not at its next tick.
func TestRuntimeChangeWakesAPass(t *testing.T) {
	h := newHarness(t)
	d := telling{h.driver, make(chan string)}
	_, nextPass := running(t, controller.Config{Store: h.store, ARNs: arns, Now: h.now,
		Drivers: map[string]runtime.Driver{state.RuntimeProcess: d}})
	d.changes <- "some-task"
	nextPass("when the runtime told of a change")
}

// down is a runtime whose watch always fails at once, as the docker
// runtime's does on a host without a daemon.
type down struct {
	runtime.Driver
	watches *atomic.Int32
}

func (d down) Watch(context.Context, func(string)) error {
	d.watches.Add(1)
	return errors.New("cannot connect to the Docker daemon")
}

// TestFailingWatchBacksOff: a runtime whose watch keeps failing is tried
// again after one second, then two (not every second), and its error is
// logged once as a warning, however often it repeats.
func TestFailingWatchBacksOff(t *testing.T) {
	h := newHarness(t)
	logs := new(lockedBuffer)
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	d := down{h.driver, new(atomic.Int32)}
	running(t, controller.Config{Store: h.store, ARNs: arns, Now: h.now, Logger: log,
		Drivers: map[string]runtime.Driver{state.RuntimeProcess: d}})
	time.Sleep(3500 * time.Millisecond) // watches at 0, 1 and 3 seconds
	warnings := strings.Count(logs.String(), `level=WARN msg="watch runtime"`)
	if n := d.watches.Load(); n < 2 || n > 3 || warnings != 1 {
		t.Errorf("in 3.5 s: %d watches, want 2 or 3; %d warnings, want 1", n, warnings)
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
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

// TestServiceChangedReconcilesAtOnce: ServiceChanged (what the API calls
// after UpdateService) has the service reconciled at once, not at the
// next tick; an ARN that names no service wakes a whole pass.
func TestServiceChangedReconcilesAtOnce(t *testing.T) {
	h := newHarness(t)
	h.registerTaskDef("web", "v1", nil)
	arn := h.call("CreateService", `{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":1}`)["service"].(map[string]any)["serviceArn"].(string)
	ctl, nextPass := running(t, controller.Config{Store: h.store, Drivers: h.drivers(), ARNs: arns, Now: h.now})
	if n := len(h.driver.Running()); n != 1 {
		t.Fatalf("%d tasks run after the first pass, want 1", n)
	}

	h.call("UpdateService", `{"cluster":"c","service":"web","desiredCount":2}`) // the harness's API wakes nothing
	ctl.ServiceChanged(arn)
	deadline := time.Now().Add(10 * time.Second)
	for len(h.driver.Running()) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("%d tasks run 10 s after ServiceChanged, want 2", len(h.driver.Running()))
		}
		time.Sleep(10 * time.Millisecond)
	}

	ctl.ServiceChanged("not-an-arn")
	nextPass("for a change to something that is not a service")
}

// holding is the fake runtime whose Inspect waits while a hold is on:
// a pass that observes tasks is stuck until it is released.
type holding struct {
	*fake.Driver
	hold    atomic.Pointer[chan struct{}]
	waiting chan struct{} // told when an Inspect begins to wait
}

func (d *holding) Inspect(ctx context.Context, id string) (runtime.TaskStatus, error) {
	if ch := d.hold.Load(); ch != nil {
		select {
		case d.waiting <- struct{}{}:
		default:
		}
		select {
		case <-*ch:
		case <-ctx.Done():
		}
	}
	return d.Driver.Inspect(ctx, id)
}

// blueGreenWeb creates service web of 2 tasks behind a listener whose
// default rule forwards to target group blue (green at weight 0), both
// groups without health checks, deployed BLUE_GREEN. It returns the service's ARN and both groups' ARNs.
func (h *harness) blueGreenWeb() (service, blue, green string) {
	h.t.Helper()
	elb := elbapi.New(elbapi.Config{Store: h.store, ARNs: arns, Now: h.now})
	lbArn := xmlValue(h.elb(elb, "CreateLoadBalancer", "Name", "web"), "LoadBalancerArn")
	tg := map[string]string{}
	for _, name := range []string{"blue", "green"} {
		tg[name] = xmlValue(h.elb(elb, "CreateTargetGroup", "Name", name, "Protocol", "HTTP", "Port", "80",
			"TargetType", "ip", "HealthCheckEnabled", "false"), "TargetGroupArn")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	l := xmlValue(h.elb(elb, "CreateListener", "LoadBalancerArn", lbArn, "Protocol", "HTTP", "Port", port,
		"DefaultActions.member.1.Type", "forward",
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn", tg["blue"],
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight", "1",
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.TargetGroupArn", tg["green"],
		"DefaultActions.member.1.ForwardConfig.TargetGroups.member.2.Weight", "0"), "ListenerArn")
	rule := xmlValue(h.elb(elb, "DescribeRules", "ListenerArn", l), "RuleArn")
	h.registerTaskDef("web", "v1", nil)
	out := h.call("CreateService", fmt.Sprintf(`{"cluster":"c","serviceName":"web","taskDefinition":"web","desiredCount":2,
		"deploymentConfiguration":{"strategy":"BLUE_GREEN","bakeTimeInMinutes":0},
		"loadBalancers":[{"targetGroupArn":%q,"containerName":"app","containerPort":8080,
			"advancedConfiguration":{"alternateTargetGroupArn":%q,"productionListenerRule":%q,"roleArn":"arn:aws:iam::000000000000:role/ecs"}}]}`,
		tg["blue"], tg["green"], rule))
	return out["service"].(map[string]any)["serviceArn"].(string), tg["blue"], tg["green"]
}

// servedWeight returns the weight the data plane gives group on its
// listeners' default rules.
func servedWeight(b *lb.Balancer, group string) int {
	for _, l := range b.Config().Listeners {
		for _, a := range l.DefaultActions {
			for _, g := range a.TargetGroups {
				if g.ARN == group {
					return g.Weight
				}
			}
		}
	}
	return -1
}

// TestRollbackFlipsWhileAPassIsStuck: a rollback asked through the API
// moves production back to blue at once, even while a pass is stuck on
// a slow runtime: the flip does not wait for the pass.
func TestRollbackFlipsWhileAPassIsStuck(t *testing.T) {
	h := newHarness(t)
	b := lb.New(lb.Options{})
	t.Cleanup(func() { b.Close(context.Background()) })
	h.ctl = controller.New(controller.Config{Store: h.store, Drivers: h.drivers(), ARNs: arns, Now: h.now,
		DataPlane: controller.InProcessPlane(b), LBAddress: "127.0.0.1"})
	service, blue, green := h.blueGreenWeb()
	h.passUntil("v1 steady", h.steady("web", map[string]int{"web:1": 2}))
	h.registerTaskDef("web", "v2", nil)
	h.call("UpdateService", `{"cluster":"c","service":"web","taskDefinition":"web:2",
		"deploymentConfiguration":{"strategy":"BLUE_GREEN","bakeTimeInMinutes":30}}`)
	h.passUntil("v2 baking", func() bool { return h.deployment("web")["lifecycleStage"] == "BAKE_TIME" })
	if servedWeight(b, green) == 0 {
		t.Fatalf("production is not on green while v2 bakes: blue %d, green %d", servedWeight(b, blue), servedWeight(b, green))
	}

	d := &holding{Driver: h.driver, waiting: make(chan struct{}, 1)}
	ctl, nextPass := running(t, controller.Config{Store: h.store, ARNs: arns, Now: h.now,
		Drivers: map[string]runtime.Driver{state.RuntimeProcess: d}, DataPlane: controller.InProcessPlane(b), LBAddress: "127.0.0.1"})
	release := make(chan struct{})
	d.hold.Store(&release)
	ctl.Wake()
	select {
	case <-d.waiting:
	case <-time.After(10 * time.Second):
		t.Fatal("no pass got to the runtime")
	}

	arn := h.service("web")["currentServiceDeployment"].(string)
	h.call("StopServiceDeployment", fmt.Sprintf(`{"serviceDeploymentArn":%q,"stopType":"ROLLBACK"}`, arn))
	ctl.ServiceChanged(service)
	deadline := time.Now().Add(10 * time.Second)
	for servedWeight(b, green) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("production still on green 10 s after the rollback, with a pass stuck: blue %d, green %d",
				servedWeight(b, blue), servedWeight(b, green))
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.hold.Store(nil)
	close(release)
	nextPass("once released")
}
