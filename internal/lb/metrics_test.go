package lb

import (
	"context"
	"net/http"
	"reflect"
	"testing"
	"time"
)

const (
	arnPrefix  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
	webLB      = arnPrefix + "loadbalancer/app/web/50dc6c495c0c9188"
	webL1      = arnPrefix + "listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2"
	webL2      = arnPrefix + "listener/app/web/50dc6c495c0c9188/0467ef3c8400ae65"
	otherLB    = arnPrefix + "loadbalancer/app/other/0123456789abcdef"
	otherL     = arnPrefix + "listener/app/other/0123456789abcdef/aaaaaaaaaaaaaaaa"
	tgOK       = arnPrefix + "targetgroup/ok/73e2d6bc24d8a067"
	tgNotFound = arnPrefix + "targetgroup/notfound/73e2d6bc24d8a068"
	tgFail     = arnPrefix + "targetgroup/fail/73e2d6bc24d8a069"
	tgDown     = arnPrefix + "targetgroup/down/73e2d6bc24d8a06a"
	tgIdle     = arnPrefix + "targetgroup/idle/73e2d6bc24d8a06b"
)

func TestLoadBalancerOf(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{webL1, webLB},
		{"arn:aws-cn:elasticloadbalancing:cn-north-1:1:listener/app/a/b/c", "arn:aws-cn:elasticloadbalancing:cn-north-1:1:loadbalancer/app/a/b"},
		{"l1", "l1"},
		{arnPrefix + "listener-rule/app/web/1/2/3", arnPrefix + "listener-rule/app/web/1/2/3"},
		{"arn:aws:ecs:us-east-1:1:listener/app/a/b/c", "arn:aws:ecs:us-east-1:1:listener/app/a/b/c"},
	} {
		if got := loadBalancerOf(c.in); got != c.want {
			t.Errorf("loadBalancerOf(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// metricsConfig routes by path on two listeners of load balancer web
// (and one of load balancer other): /ok to a 200 target, /missing to a
// 404 one, /fail to a 500 one, /down to a target that refuses
// connections, /fixed to a fixed 503, anything else to a fixed 404.
func metricsConfig(ok, notFound, fail, down Target) Config {
	path := func(p string) []Condition { return []Condition{{Field: FieldPathPattern, Values: []string{p}}} }
	rules := []Rule{
		{ARN: "r1", Priority: 1, Conditions: path("/ok"), Actions: []Action{forward(
			WeightedTargetGroup{ARN: tgOK, Weight: 1}, WeightedTargetGroup{ARN: tgIdle, Weight: 0})}},
		{ARN: "r2", Priority: 2, Conditions: path("/missing"), Actions: []Action{forwardTo(tgNotFound)}},
		{ARN: "r3", Priority: 3, Conditions: path("/fail"), Actions: []Action{forwardTo(tgFail)}},
		{ARN: "r4", Priority: 4, Conditions: path("/down"), Actions: []Action{forwardTo(tgDown)}},
		{ARN: "r5", Priority: 5, Conditions: path("/fixed"), Actions: []Action{fixed(503, "maintenance")}},
	}
	listener := func(arn, addr string) Listener {
		return Listener{ARN: arn, Address: addr, Protocol: "HTTP", Rules: rules, DefaultActions: []Action{fixed(404, "nope")}}
	}
	downGroup := group(tgDown, down)
	downGroup.HealthCheck = HealthCheck{Enabled: true, Path: "/", Interval: 20 * time.Millisecond, Timeout: time.Second,
		HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200"}
	return Config{
		Version:   1,
		Listeners: []Listener{listener(webL1, "127.0.0.1:0"), listener(webL2, "127.0.0.2:0"), listener(otherL, "127.0.0.3:0")},
		TargetGroups: []TargetGroup{group(tgOK, ok), group(tgNotFound, notFound), group(tgFail, fail), downGroup,
			group(tgIdle, ok)},
	}
}

// lbMetricsOf returns the metrics of load balancer arn.
func lbMetricsOf(t *testing.T, m Metrics, arn string) LoadBalancerMetrics {
	t.Helper()
	for _, l := range m.LoadBalancers {
		if l.ARN == arn {
			return l
		}
	}
	t.Fatalf("no metrics for load balancer %s in %+v", arn, m)
	return LoadBalancerMetrics{}
}

// groupMetricsOf returns the metrics of target group arn under l.
func groupMetricsOf(t *testing.T, l LoadBalancerMetrics, arn string) TargetGroupMetrics {
	t.Helper()
	for _, g := range l.TargetGroups {
		if g.ARN == arn {
			return g
		}
	}
	t.Fatalf("no metrics for target group %s under %s", arn, l.ARN)
	return TargetGroupMetrics{}
}

func TestMetricsCountTraffic(t *testing.T) {
	const delay = 20 * time.Millisecond
	ok := newBackend(t, "ok", func(w http.ResponseWriter, _ *http.Request) {
		time.Sleep(delay)
		w.WriteHeader(http.StatusOK)
	})
	notFound := newBackend(t, "notfound", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNotFound) })
	fail := newBackend(t, "fail", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
	b := newTestBalancer(t, Options{})
	mustApply(t, b, metricsConfig(ok.target(), notFound.target(), fail.target(), refusedTarget(t)))
	c := newClient(t)
	web1, web2, other := listenerURL(t, b, webL1), listenerURL(t, b, webL2), listenerURL(t, b, otherL)

	want := map[string]int{"/ok": 5, "/missing": 3, "/fail": 2, "/down": 4, "/fixed": 2, "/else": 1}
	codes := map[string]int{"/ok": 200, "/missing": 404, "/fail": 500, "/down": 502, "/fixed": 503, "/else": 404}
	start := time.Now()
	for path, n := range want {
		for i := range n {
			base := web1
			if i%2 == 1 {
				base = web2 // both listeners count for load balancer web
			}
			if code, _, _ := get(t, c, base+path); code != codes[path] {
				t.Fatalf("GET %s = %d, want %d", path, code, codes[path])
			}
		}
	}
	if code, _, _ := get(t, c, other+"/ok"); code != 200 {
		t.Fatalf("GET other/ok = %d", code)
	}
	elapsed := time.Since(start)

	m := b.Metrics()
	if !m.StartedAt.Equal(b.startedAt) || m.Time.Before(start) {
		t.Errorf("StartedAt %v, Time %v", m.StartedAt, m.Time)
	}
	if len(m.LoadBalancers) != 2 || m.LoadBalancers[0].ARN != otherLB || m.LoadBalancers[1].ARN != webLB {
		t.Fatalf("load balancers %+v, want other and web in ARN order", m.LoadBalancers)
	}
	web := lbMetricsOf(t, m, webLB)
	total := 0
	for _, n := range want {
		total += n
	}
	wantLB := Counters{
		Requests: uint64(total), Target2xx: 5, Target4xx: 3, Target5xx: 2,
		ELB4xx: 1, ELB5xx: 4 + 2, ELB502: 4, ELB503: 2, TargetConnectionErrors: 4, TargetResponses: 5 + 3 + 2,
	}
	checkCounters(t, "load balancer web", web.Counters, wantLB)
	if web.FixedResponses != 3 {
		t.Errorf("web FixedResponses = %d, want 3", web.FixedResponses)
	}
	if len(web.TargetGroups) != 5 {
		t.Errorf("web has %d target groups, want 5 (the one of weight 0 included)", len(web.TargetGroups))
	}
	checkCounters(t, "web/ok", groupMetricsOf(t, web, tgOK).Counters, Counters{Requests: 5, Target2xx: 5, TargetResponses: 5})
	checkCounters(t, "web/notfound", groupMetricsOf(t, web, tgNotFound).Counters, Counters{Requests: 3, Target4xx: 3, TargetResponses: 3})
	checkCounters(t, "web/fail", groupMetricsOf(t, web, tgFail).Counters, Counters{Requests: 2, Target5xx: 2, TargetResponses: 2})
	checkCounters(t, "web/down", groupMetricsOf(t, web, tgDown).Counters, Counters{Requests: 4, ELB5xx: 4, ELB502: 4, TargetConnectionErrors: 4})
	checkCounters(t, "web/idle", groupMetricsOf(t, web, tgIdle).Counters, Counters{})
	checkCounters(t, "other/ok", groupMetricsOf(t, lbMetricsOf(t, m, otherLB), tgOK).Counters, Counters{Requests: 1, Target2xx: 1, TargetResponses: 1})

	// Response times: /ok takes at least delay, and all of it happened
	// within the test's elapsed time.
	okm := groupMetricsOf(t, web, tgOK)
	sum := time.Duration(okm.TargetResponseTimeNanos)
	if sum < 5*delay || sum > elapsed {
		t.Errorf("web/ok response time sum %v, want between %v and %v", sum, 5*delay, elapsed)
	}
	if web.TargetResponseTimeNanos < okm.TargetResponseTimeNanos {
		t.Errorf("web response time sum %d < its ok group's %d", web.TargetResponseTimeNanos, okm.TargetResponseTimeNanos)
	}
	if len(okm.ResponseTimeExtremes) == 0 {
		t.Fatal("no response time extremes for web/ok")
	}
	for _, e := range okm.ResponseTimeExtremes {
		if e.MinNanos < int64(delay) || e.MaxNanos < e.MinNanos || e.MaxNanos > int64(elapsed) ||
			e.Second < start.Unix() || e.Second > m.Time.Unix() {
			t.Errorf("web/ok extremes %+v implausible (delay %v, elapsed %v, from second %d)", e, delay, elapsed, start.Unix())
		}
	}
	var fastest int64 = 1 << 62
	for _, e := range web.ResponseTimeExtremes {
		fastest = min(fastest, e.MinNanos)
	}
	if fastest >= int64(delay) {
		t.Errorf("web's fastest response took %v, want the 404/500 ones, under %v", time.Duration(fastest), delay)
	}

	// Health: checks disabled count as healthy; the refusing target
	// becomes unhealthy.
	if g := groupMetricsOf(t, web, tgOK); g.HealthyHosts != 1 || g.UnhealthyHosts != 0 {
		t.Errorf("web/ok hosts healthy %d unhealthy %d, want 1 0", g.HealthyHosts, g.UnhealthyHosts)
	}
	eventually(t, "the refusing target to count as unhealthy", func() bool {
		g := groupMetricsOf(t, lbMetricsOf(t, b.Metrics(), webLB), tgDown)
		return g.HealthyHosts == 0 && g.UnhealthyHosts == 1
	})
}

// checkCounters compares the counters without the response times.
func checkCounters(t *testing.T, what string, got, want Counters) {
	t.Helper()
	got.TargetResponseTimeNanos, got.ResponseTimeExtremes = 0, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s counters\n got %+v\nwant %+v", what, got, want)
	}
}

func TestMetricsClientGoneIsELB4xx(t *testing.T) {
	release := make(chan struct{})
	slow := newBackend(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	t.Cleanup(func() { close(release) })
	b := newTestBalancer(t, Options{})
	cfg := oneListener(1, forwardTo(tgOK), group(tgOK, slow.target()))
	cfg.Listeners[0].ARN = webL1
	mustApply(t, b, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, listenerURL(t, b, webL1)+"/", nil)
	if res, err := newClient(t).Do(req); err == nil {
		res.Body.Close()
		t.Fatal("the request did not time out")
	}
	eventually(t, "the abandoned request to be counted", func() bool {
		web := lbMetricsOf(t, b.Metrics(), webLB)
		return web.ELB4xx == 1 && groupMetricsOf(t, web, tgOK).ELB4xx == 1
	})
	web := lbMetricsOf(t, b.Metrics(), webLB)
	if web.ELB5xx != 0 || web.TargetResponses != 0 {
		t.Errorf("an abandoned request counted as ELB 5xx (%d) or a response (%d)", web.ELB5xx, web.TargetResponses)
	}
}

func TestMetricsAcrossApplies(t *testing.T) {
	be := newBackend(t, "a", nil)
	b := newTestBalancer(t, Options{})
	cfg := oneListener(1, forward(WeightedTargetGroup{ARN: tgOK, Weight: 1}, WeightedTargetGroup{ARN: tgIdle, Weight: 0}),
		group(tgOK, be.target()), group(tgIdle, be.target()))
	cfg.Listeners[0].ARN = webL1
	mustApply(t, b, cfg)
	c := newClient(t)
	url := listenerURL(t, b, webL1)
	for range 3 {
		get(t, c, url)
	}
	// Same load balancer and group: the counters carry over.
	cfg.Version = 2
	cfg.TargetGroups[1].Targets = nil
	mustApply(t, b, cfg)
	get(t, c, url)
	web := lbMetricsOf(t, b.Metrics(), webLB)
	if web.Requests != 4 || groupMetricsOf(t, web, tgOK).Requests != 4 {
		t.Fatalf("after an Apply requests = %d (group %d), want 4", web.Requests, groupMetricsOf(t, web, tgOK).Requests)
	}
	// Removed from the forward action, the idle group leaves; the
	// swapped weights keep the counters of tgOK.
	cfg.Version = 3
	cfg.Listeners[0].DefaultActions = []Action{forwardTo(tgOK)}
	mustApply(t, b, cfg)
	web = lbMetricsOf(t, b.Metrics(), webLB)
	if len(web.TargetGroups) != 1 || web.TargetGroups[0].ARN != tgOK || web.TargetGroups[0].Requests != 4 {
		t.Fatalf("target groups after removing idle: %+v", web.TargetGroups)
	}
	// A load balancer that leaves and comes back starts from zero.
	cfg.Version = 4
	cfg.Listeners[0].ARN = otherL
	mustApply(t, b, cfg)
	if m := b.Metrics(); len(m.LoadBalancers) != 1 || m.LoadBalancers[0].ARN != otherLB {
		t.Fatalf("after moving the listener: %+v", m.LoadBalancers)
	}
	cfg.Version = 5
	cfg.Listeners[0].ARN = webL1
	mustApply(t, b, cfg)
	if web := lbMetricsOf(t, b.Metrics(), webLB); web.Requests != 0 {
		t.Errorf("a load balancer back in the configuration has requests = %d, want 0", web.Requests)
	}
}

func TestExtremes(t *testing.T) {
	var c counters
	const sec = 1_700_000_000
	c.observe(200, 30*time.Millisecond, sec)
	c.observe(200, 10*time.Millisecond, sec)
	c.observe(200, 20*time.Millisecond, sec)
	c.observe(101, 5*time.Millisecond, sec+2)
	c.observe(302, time.Second, sec+3)
	c.observe(500, 2*time.Second, sec+3+extremeSeconds) // same slot as sec+3, later
	got := c.read(sec + 3)
	want := []Extremes{
		{Second: sec, MinNanos: int64(10 * time.Millisecond), MaxNanos: int64(30 * time.Millisecond)},
		{Second: sec + 2, MinNanos: int64(5 * time.Millisecond), MaxNanos: int64(5 * time.Millisecond)},
	}
	if len(got.ResponseTimeExtremes) != len(want) {
		t.Fatalf("extremes %+v, want %+v", got.ResponseTimeExtremes, want)
	}
	for i := range want {
		if got.ResponseTimeExtremes[i] != want[i] {
			t.Errorf("extremes[%d] = %+v, want %+v", i, got.ResponseTimeExtremes[i], want[i])
		}
	}
	if got.TargetResponses != 6 || got.Target2xx != 3 || got.Target3xx != 1 || got.Target5xx != 1 {
		t.Errorf("counters %+v", got)
	}
	if want := 30 + 10 + 20 + 5 + 1000 + 2000; got.TargetResponseTimeNanos != uint64(want)*uint64(time.Millisecond) {
		t.Errorf("response time sum %v, want %dms", time.Duration(got.TargetResponseTimeNanos), want)
	}
	later := c.read(sec + 3 + extremeSeconds)
	if n := len(later.ResponseTimeExtremes); n != 1 || later.ResponseTimeExtremes[0].MaxNanos != int64(2*time.Second) {
		t.Errorf("64 seconds later the extremes are %+v, want only the 2s one", later.ResponseTimeExtremes)
	}
}

func TestCountingDoesNotAllocate(t *testing.T) {
	b := New(Options{Logger: testLogger(t)})
	s := buildFor(t, b, benchConfig())
	l := s.listeners["127.0.0.1:0"]
	g := l.route(benchRequest()).pickGroup()
	now := time.Now()
	if n := testing.AllocsPerRun(1000, func() { countOnce(l, g, now) }); n != 0 {
		t.Errorf("counting allocates %v times per request, want 0", n)
	}
}

// countOnce is what a proxied request adds to the counters.
func countOnce(l *listenerSnap, g *groupRoute, start time.Time) {
	l.lb.requests.Add(1)
	g.m.requests.Add(1)
	end := time.Now()
	d, sec := end.Sub(start), end.Unix()
	g.m.observe(200, d, sec)
	g.lb.observe(200, d, sec)
}

// BenchmarkCount is the counting cost of one proxied request: the time
// reads and the atomics of the load balancer and target group counters,
// on one goroutine and on all CPUs at once (contended).
func BenchmarkCount(b *testing.B) {
	bal := New(Options{Logger: testLogger(b)})
	s := buildFor(b, bal, benchConfig())
	l := s.listeners["127.0.0.1:0"]
	g := l.route(benchRequest()).pickGroup()
	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			countOnce(l, g, time.Now())
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				countOnce(l, g, time.Now())
			}
		})
	})
}
