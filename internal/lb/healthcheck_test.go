package lb

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// healthBackend answers /health with the code in status (after delay,
// when set) and everything else with its name.
func healthBackend(t *testing.T, name string, status *atomic.Int32, delay time.Duration) *backend {
	return newBackend(t, name, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" {
			if r.Header.Get("User-Agent") != healthCheckUserAgent {
				t.Errorf("health check User-Agent = %q", r.Header.Get("User-Agent"))
			}
			time.Sleep(delay)
			w.WriteHeader(int(status.Load()))
			return
		}
		_, _ = io.WriteString(w, name)
	})
}

func fastHealthCheck() HealthCheck {
	return HealthCheck{Enabled: true, Path: "/health", Interval: 20 * time.Millisecond, Timeout: 200 * time.Millisecond,
		HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200-299"}
}

func waitState(t *testing.T, b *Balancer, arn string, tgt Target, state, reason string) {
	t.Helper()
	var last TargetHealth
	eventually(t, "target "+state+" ("+reason+")", func() bool {
		last, _ = healthOf(b, arn, tgt)
		return last.State == state && last.Reason == reason
	})
}

func TestHealthCheckTransitions(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	be := healthBackend(t, "a", &status, 0)
	b := newTestBalancer(t, Options{})
	tg := group("g", be.target())
	tg.HealthCheck = fastHealthCheck()
	tg.HealthCheck.Interval = time.Hour // no check but the first one for now
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))
	waitState(t, b, "g", be.target(), StateInitial, ReasonInitialHealthChecking)

	tg.HealthCheck = fastHealthCheck()
	mustApply(t, b, oneListener(2, forwardTo("g"), tg))
	waitState(t, b, "g", be.target(), StateHealthy, "")

	status.Store(500)
	waitState(t, b, "g", be.target(), StateUnhealthy, ReasonResponseCodeMismatch)
	if th, _ := healthOf(b, "g", be.target()); th.Description != "Health checks failed with these codes: [500]" {
		t.Errorf("description = %q", th.Description)
	}
	status.Store(204) // within the 200-299 matcher
	waitState(t, b, "g", be.target(), StateHealthy, "")
}

func TestHealthCheckTimeout(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	be := healthBackend(t, "a", &status, 300*time.Millisecond)
	b := newTestBalancer(t, Options{})
	tg := group("g", be.target())
	tg.HealthCheck = fastHealthCheck()
	tg.HealthCheck.Timeout = 50 * time.Millisecond
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))
	waitState(t, b, "g", be.target(), StateUnhealthy, ReasonTimeout)
}

func TestHealthCheckRefused(t *testing.T) {
	dead := refusedTarget(t)
	b := newTestBalancer(t, Options{})
	tg := group("g", dead)
	tg.HealthCheck = fastHealthCheck()
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))
	waitState(t, b, "g", dead, StateUnhealthy, ReasonFailedHealthChecks)
}

func TestHealthCheckPort(t *testing.T) {
	// Traffic goes to the target's port, health checks to another one.
	var ok, bad atomic.Int32
	ok.Store(200)
	bad.Store(500)
	traffic := healthBackend(t, "traffic", &bad, 0)
	checks := healthBackend(t, "checks", &ok, 0)
	b := newTestBalancer(t, Options{})
	tg := group("g", traffic.target())
	tg.HealthCheck = fastHealthCheck()
	tg.HealthCheck.Port = checks.target().Port
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))
	waitState(t, b, "g", traffic.target(), StateHealthy, "")
}

func TestHealthDisabledIsHealthy(t *testing.T) {
	be := newBackend(t, "a", nil)
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", be.target())))
	if th, _ := healthOf(b, "g", be.target()); th.State != StateHealthy {
		t.Fatalf("state = %s, want healthy at once", th.State)
	}
	if be.hits.Load() != 0 {
		t.Errorf("a disabled health check sent %d requests", be.hits.Load())
	}
}

func TestUnusedGroupIsHealthChecked(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	be := healthBackend(t, "a", &status, 0)
	b := newTestBalancer(t, Options{})
	unused := group("unused", be.target())
	unused.HealthCheck = fastHealthCheck()
	mustApply(t, b, oneListener(1, fixed(200, "hi"), unused))
	waitState(t, b, "unused", be.target(), StateUnused, ReasonNotInUse)
	eventually(t, "health checks of the unused group", func() bool { return be.hits.Load() >= 2 })

	// Once a listener forwards to it, its (already healthy) state shows.
	mustApply(t, b, oneListener(2, forwardTo("unused"), unused))
	waitState(t, b, "unused", be.target(), StateHealthy, "")
}

func TestRoutingFollowsHealth(t *testing.T) {
	var okA, okB atomic.Int32
	okA.Store(200)
	okB.Store(500)
	a := healthBackend(t, "a", &okA, 0)
	bb := healthBackend(t, "b", &okB, 0)
	b := newTestBalancer(t, Options{})
	tg := group("g", a.target(), bb.target())
	tg.HealthCheck = fastHealthCheck()
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))
	waitState(t, b, "g", a.target(), StateHealthy, "")
	waitState(t, b, "g", bb.target(), StateUnhealthy, ReasonResponseCodeMismatch)

	c, url := newClient(t), listenerURL(t, b, "l1")
	for range 20 {
		if code, body, _ := get(t, c, url+"/"); code != 200 || body != "a" {
			t.Fatalf("got %d %q, want 200 from the healthy target a", code, body)
		}
	}

	// Fail-open: with no healthy target, traffic goes to all of them.
	okA.Store(500)
	waitState(t, b, "g", a.target(), StateUnhealthy, ReasonResponseCodeMismatch)
	seen := map[string]int{}
	for range 20 {
		code, body, _ := get(t, c, url+"/")
		if code != 200 {
			t.Fatalf("fail-open answered %d", code)
		}
		seen[body]++
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Errorf("fail-open spread = %v, want both targets", seen)
	}
}

// TestStartingTargetIsCheckedWhenItListens: a target registered before
// its process listens gets its first counted check once it listens, not
// an interval later, and is healthy (healthy threshold − 1) intervals
// after that.
func TestStartingTargetIsCheckedWhenItListens(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // refused until the target listens
	b := newTestBalancer(t, Options{})
	tg := group("g", hostPort(addr))
	tg.HealthCheck = fastHealthCheck()
	tg.HealthCheck.Interval = time.Second
	registered := time.Now()
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))

	time.Sleep(300 * time.Millisecond)
	if th, _ := healthOf(b, "g", hostPort(addr)); th.State != StateInitial || th.Reason != ReasonRegistrationInProgress {
		t.Fatalf("refused while starting: %+v, want initial with no counted check", th)
	}
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	waitState(t, b, "g", hostPort(addr), StateHealthy, "")
	// Checked at about 0.3 s and 1.3 s; an interval-late first check
	// would make it 2 s.
	if d := time.Since(registered); d > 1800*time.Millisecond {
		t.Errorf("healthy %v after registration, want about 1.3 s", d)
	}
}

// TestWaitHealth: a long poll on the health report returns when a
// verdict changes or a drained target leaves, and not otherwise.
func TestWaitHealth(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	be := healthBackend(t, "a", &status, 0)
	b := newTestBalancer(t, Options{})
	tg := group("g", be.target())
	tg.HealthCheck = fastHealthCheck()
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))

	wait := func(after uint64, within time.Duration) (uint64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), within)
		defer cancel()
		return b.WaitHealth(ctx, after)
	}
	gen, err := wait(0, 5*time.Second)
	if err != nil {
		t.Fatalf("no health change reported once the target got healthy: %v", err)
	}
	if th, _ := healthOf(b, "g", be.target()); th.State != StateHealthy {
		t.Fatalf("woken with the target %s", th.State)
	}
	if _, err := wait(gen, 200*time.Millisecond); err == nil {
		t.Fatal("a wait returned with nothing changed")
	}

	status.Store(500)
	next, err := wait(gen, 5*time.Second)
	if err != nil || next <= gen {
		t.Fatalf("the target going unhealthy: generation %d after %d, %v", next, gen, err)
	}
	if th, _ := healthOf(b, "g", be.target()); th.State != StateUnhealthy {
		t.Fatalf("woken with the target %s", th.State)
	}
	if again, err := wait(gen, time.Millisecond); err != nil || again != next {
		t.Fatalf("a wait for a past generation: %d, %v; want %d at once", again, err, next)
	}
	// A generation this balancer never had is a caller's of an earlier
	// process: answered at once.
	if again, err := wait(next+100, time.Millisecond); err != nil || again != next {
		t.Fatalf("a wait for a generation to come: %d, %v; want %d at once", again, err, next)
	}

	// Deregistered with no delay: it leaves the report at once.
	tg.Targets, tg.DeregistrationDelay = nil, 0
	mustApply(t, b, oneListener(2, forwardTo("g"), tg))
	gen = next
	for {
		next, err = wait(gen, 5*time.Second)
		if err != nil {
			t.Fatalf("no change reported when the drained target left: %v", err)
		}
		if _, ok := healthOf(b, "g", be.target()); !ok {
			break
		}
		gen = next
	}
}
