package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestApplySwitchUnderLoad(t *testing.T) {
	blue, green := newBackend(t, "blue", nil), newBackend(t, "green", nil)
	b := newTestBalancer(t, Options{})
	groups := []TargetGroup{group("blue", blue.target()), group("green", green.target())}
	mustApply(t, b, oneListener(1, forwardTo("blue"), groups...))
	base := listenerURL(t, b, "l1")

	var stop atomic.Bool
	var ok, failed atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for range 4 {
		c := newClient(t)
		wg.Go(func() {
			for !stop.Load() {
				res, err := c.Get(base + "/")
				if err != nil {
					failed.Add(1)
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					continue
				}
				body, err := io.ReadAll(res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != 200 || (string(body) != "blue" && string(body) != "green") {
					failed.Add(1)
					mu.Lock()
					failures = append(failures, strconv.Itoa(res.StatusCode)+" "+string(body))
					mu.Unlock()
					continue
				}
				ok.Add(1)
			}
		})
	}
	to := []string{"green", "blue"}
	for i := range 40 {
		cfg := oneListener(uint64(i+2), forwardTo(to[i%2]), groups...)
		if i%4 == 3 { // a weighted split now and then
			cfg.Listeners[0].DefaultActions = []Action{forward(
				WeightedTargetGroup{ARN: "blue", Weight: 500}, WeightedTargetGroup{ARN: "green", Weight: 500})}
		}
		mustApply(t, b, cfg)
		time.Sleep(10 * time.Millisecond)
	}
	mustApply(t, b, oneListener(100, forwardTo("green"), groups...))
	stop.Store(true)
	wg.Wait()
	if failed.Load() > 0 {
		t.Fatalf("%d of %d requests failed across Applies: %v", failed.Load(), failed.Load()+ok.Load(), failures[:min(5, len(failures))])
	}
	if ok.Load() < 100 {
		t.Errorf("only %d requests made it during the test", ok.Load())
	}
	c := newClient(t)
	for range 10 {
		if _, body, _ := get(t, c, base+"/"); body != "green" {
			t.Fatalf("after the last Apply got %q, want green", body)
		}
	}
}

func TestApplyKeepsConnections(t *testing.T) {
	a, bb := newBackend(t, "a", nil), newBackend(t, "b", nil)
	b := newTestBalancer(t, Options{})
	groups := []TargetGroup{group("a", a.target()), group("b", bb.target())}
	mustApply(t, b, oneListener(1, forwardTo("a"), groups...))
	c, base := newClient(t), listenerURL(t, b, "l1")
	var reused []bool
	do := func() string {
		trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { reused = append(reused, i.Reused) }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, base+"/", nil)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		return string(body)
	}
	if got := do(); got != "a" {
		t.Fatalf("got %q", got)
	}
	mustApply(t, b, oneListener(2, forwardTo("b"), groups...))
	if got := do(); got != "b" {
		t.Fatalf("after the Apply got %q, want b", got)
	}
	if !reflect.DeepEqual(reused, []bool{false, true}) {
		t.Errorf("connection reuse = %v, want the second request on the first connection", reused)
	}
	if addr := listenerURL(t, b, "l1"); addr != base {
		t.Errorf("the listener moved from %s to %s", base, addr)
	}
}

func TestApplyRefusalChangesNothing(t *testing.T) {
	a := newBackend(t, "a", nil)
	b := newTestBalancer(t, Options{})
	good := oneListener(5, forwardTo("a"), group("a", a.target()))
	mustApply(t, b, good)
	c, base := newClient(t), listenerURL(t, b, "l1")
	get(t, c, base+"/")
	before, health, stats := b.Config(), b.Health(), b.Stats()

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	spare := refusedTarget(t) // a free port: it must be free again after the refusal
	spareAddr := net.JoinHostPort(spare.Host, strconv.Itoa(spare.Port))

	invalid := oneListener(6, forwardTo("missing"), group("a", a.target()))
	unbindable := oneListener(6, fixed(200, "changed"), group("a", a.target()))
	unbindable.Listeners = append(unbindable.Listeners,
		Listener{ARN: "l2", Address: spareAddr, DefaultActions: []Action{forwardTo("a")}},
		Listener{ARN: "l3", Address: taken.Addr().String(), DefaultActions: []Action{forwardTo("a")}})
	stale := oneListener(4, fixed(200, "changed"), group("a", a.target()))
	for name, tc := range map[string]struct {
		cfg  Config
		want error
	}{
		"invalid":    {invalid, ErrInvalidConfig},
		"unbindable": {unbindable, ErrListen},
		"stale":      {stale, ErrStaleVersion},
	} {
		t.Run(name, func(t *testing.T) {
			err := b.Apply(tc.cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Apply = %v, want %v", err, tc.want)
			}
			if got := b.Config(); !reflect.DeepEqual(got, before) {
				t.Errorf("config changed to %+v", got)
			}
			if got := b.Health(); !reflect.DeepEqual(got, health) {
				t.Errorf("health changed to %+v", got)
			}
			if got := b.Stats(); len(got) != len(stats) {
				t.Errorf("targets changed to %+v", got)
			}
			if addrs := b.ListenerAddrs(); len(addrs) != 1 || "http://"+addrs["l1"] != base {
				t.Errorf("listeners changed to %v", addrs)
			}
			if code, body, _ := get(t, c, base+"/"); code != 200 || body != "a" {
				t.Errorf("traffic changed: %d %q", code, body)
			}
			ln, err := net.Listen("tcp", spareAddr)
			if err != nil {
				t.Errorf("a listener bound by the refused Apply was not released: %v", err)
			} else {
				ln.Close()
			}
		})
	}
	// The same version again is accepted (idempotent re-apply).
	mustApply(t, b, good)
}

func TestTargetStateSurvivesApply(t *testing.T) {
	a := newBackend(t, "a", nil)
	b := newTestBalancer(t, Options{})
	tg := group("g", a.target())
	tg.HealthCheck = HealthCheck{Enabled: true, Interval: 20 * time.Millisecond, Timeout: time.Second, HealthyThreshold: 1, UnhealthyThreshold: 2}
	mustApply(t, b, oneListener(1, forwardTo("g"), tg))
	eventually(t, "healthy", func() bool { th, _ := healthOf(b, "g", a.target()); return th.State == StateHealthy })
	c, base := newClient(t), listenerURL(t, b, "l1")
	for range 3 {
		get(t, c, base+"/")
	}
	cfg := oneListener(2, forwardTo("g"), tg)
	cfg.Listeners[0].Rules = []Rule{{ARN: "r", Priority: 1,
		Conditions: []Condition{{Field: FieldPathPattern, Values: []string{"/x"}}}, Actions: []Action{fixed(200, "x")}}}
	mustApply(t, b, cfg)
	if th, _ := healthOf(b, "g", a.target()); th.State != StateHealthy {
		t.Errorf("after an Apply that keeps the target its state is %s, want healthy", th.State)
	}
	if st := statsOf(b, "g", a.target()); st.Requests != 3 || st.Responses2xx != 3 {
		t.Errorf("after an Apply that keeps the target its counters are %+v", st)
	}
}

func TestClosedBalancer(t *testing.T) {
	b := New(Options{Logger: testLogger(t)})
	a := newBackend(t, "a", nil)
	mustApply(t, b, oneListener(1, forwardTo("g"), group("g", a.target())))
	addr := b.ListenerAddrs()["l1"]
	if err := b.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Apply(oneListener(2, forwardTo("g"), group("g", a.target()))); !errors.Is(err, ErrClosed) {
		t.Errorf("Apply after Close = %v, want ErrClosed", err)
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Error("the listener still accepts after Close")
	}
	if err := b.Close(context.Background()); err != nil {
		t.Errorf("second Close = %v", err)
	}
}
