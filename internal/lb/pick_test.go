package lb

import (
	"math"
	"testing"
)

// buildFor compiles cfg without binding anything and registers its
// targets as a commit would (without health checkers).
func buildFor(t testing.TB, b *Balancer, cfg Config) *snapshot {
	t.Helper()
	if err := validate(cfg); err != nil {
		t.Fatal(err)
	}
	s, added, err := b.build(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, tg := range added {
		b.targets[tg.key] = tg
	}
	for _, g := range s.groups {
		g.refresh()
	}
	return s
}

func TestWeightedPick(t *testing.T) {
	b := New(Options{Logger: testLogger(t)})
	tgt := Target{Host: "127.0.0.1", Port: 1}
	cfg := oneListener(1, forward(
		WeightedTargetGroup{ARN: "blue", Weight: 1},
		WeightedTargetGroup{ARN: "green", Weight: 3},
		WeightedTargetGroup{ARN: "zero", Weight: 0},
	), group("blue", tgt), group("green", tgt), group("zero", tgt))
	s := buildFor(t, b, cfg)
	a := s.listeners["127.0.0.1:0"].defaultAction
	const n = 10000
	counts := map[string]int{}
	for range n {
		counts[a.pickGroup().arn]++
	}
	// Tolerance: ±3 percentage points (the standard deviation of the
	// share over 10,000 picks is about 0.43 points).
	if share := 100 * float64(counts["blue"]) / n; math.Abs(share-25) > 3 {
		t.Errorf("blue got %.1f%% of the picks, want 25%% ± 3", share)
	}
	if share := 100 * float64(counts["green"]) / n; math.Abs(share-75) > 3 {
		t.Errorf("green got %.1f%% of the picks, want 75%% ± 3", share)
	}
	if counts["zero"] != 0 {
		t.Errorf("the group of weight 0 got %d picks, want 0", counts["zero"])
	}
	if !s.groups["zero"].inUse {
		t.Error("a group of weight 0 in a forward action must count as in use")
	}
}

func TestWeightAllZero(t *testing.T) {
	b := New(Options{Logger: testLogger(t)})
	cfg := oneListener(1, forward(WeightedTargetGroup{ARN: "a", Weight: 0}), group("a", Target{Host: "127.0.0.1", Port: 1}))
	s := buildFor(t, b, cfg)
	if g := s.listeners["127.0.0.1:0"].defaultAction.pickGroup(); g != nil {
		t.Fatalf("picked %s, want none", g.arn)
	}
}

func TestPickTarget(t *testing.T) {
	b := New(Options{Logger: testLogger(t)})
	t1, t2, t3 := Target{Host: "10.0.0.1", Port: 80}, Target{Host: "10.0.0.2", Port: 80}, Target{Host: "10.0.0.3", Port: 80}
	tg := group("g", t1, t2, t3)
	tg.HealthCheck = HealthCheck{Enabled: true}
	s := buildFor(t, b, oneListener(1, forwardTo("g"), tg))
	g := s.groups["g"]
	live := func(tt Target) *target { return b.targets[targetKey("g", tt)] }
	count := func(n int) map[Target]int {
		c := map[Target]int{}
		for range n {
			if p := g.pickTarget(nil); p != nil {
				c[p.target]++
			}
		}
		return c
	}

	// All initial: fail-open over every registered target.
	if c := count(300); c[t1] != 100 || c[t2] != 100 || c[t3] != 100 {
		t.Errorf("fail-open round robin = %v, want 100 each", c)
	}
	// One healthy: only it.
	live(t2).observe(probeResult{outcome: probeOK}, &healthSpec{healthy: 1, unhealthy: 1})
	g.refresh()
	if c := count(30); c[t2] != 30 {
		t.Errorf("with one healthy target = %v, want all on %v", c, t2)
	}
	// Two healthy: round robin between them.
	live(t3).observe(probeResult{outcome: probeOK}, &healthSpec{healthy: 1, unhealthy: 1})
	g.refresh()
	if c := count(100); c[t2] != 50 || c[t3] != 50 {
		t.Errorf("with two healthy targets = %v, want 50 each", c)
	}
	// A draining target gets nothing, even from a stale routable list.
	live(t2).draining.Store(true)
	if c := count(10); c[t3] != 10 {
		t.Errorf("with t2 draining = %v, want all on t3", c)
	}
	// Exclusion of tried targets.
	if p := g.pickTarget([]*target{live(t3)}); p != nil {
		t.Errorf("picked %v although t3 was tried and t2 is draining", p.target)
	}
	// No targets at all.
	s = buildFor(t, b, oneListener(2, forwardTo("empty"), group("empty")))
	if p := s.groups["empty"].pickTarget(nil); p != nil {
		t.Errorf("empty group picked %v", p.target)
	}
}

func TestWeightedTrafficEndToEnd(t *testing.T) {
	blue, green, zero := newBackend(t, "blue", nil), newBackend(t, "green", nil), newBackend(t, "zero", nil)
	b := newTestBalancer(t, Options{})
	mustApply(t, b, oneListener(1, forward(
		WeightedTargetGroup{ARN: "blue", Weight: 100},
		WeightedTargetGroup{ARN: "green", Weight: 300},
		WeightedTargetGroup{ARN: "zero", Weight: 0},
	), group("blue", blue.target()), group("green", green.target()), group("zero", zero.target())))
	c, base := newClient(t), listenerURL(t, b, "l1")
	// 2,000 real requests; tolerance ±4 percentage points (about four
	// standard deviations of the share).
	const n = 2000
	for range n {
		if code, _, _ := get(t, c, base+"/"); code != 200 {
			t.Fatalf("status %d", code)
		}
	}
	if share := 100 * float64(blue.hits.Load()) / n; math.Abs(share-25) > 4 {
		t.Errorf("blue (weight 100) got %.1f%% of the requests, want 25%% ± 4", share)
	}
	if share := 100 * float64(green.hits.Load()) / n; math.Abs(share-75) > 4 {
		t.Errorf("green (weight 300) got %.1f%% of the requests, want 75%% ± 4", share)
	}
	if z := zero.hits.Load(); z != 0 {
		t.Errorf("the group of weight 0 got %d requests, want 0", z)
	}
}
