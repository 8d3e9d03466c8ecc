package lb

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// testLogger logs to the test output when -v is given.
func testLogger(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newTestBalancer returns a Balancer closed at the end of the test.
func newTestBalancer(t testing.TB, o Options) *Balancer {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger(t)
	}
	b := New(o)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := b.Close(ctx); err != nil {
			t.Errorf("close balancer: %v", err)
		}
	})
	return b
}

// backend is a test target that names itself in every answer.
type backend struct {
	*httptest.Server
	name string
	hits atomic.Int64
}

// newBackend starts a target answering "name" (and the X-Backend
// header), or running h when it is not nil.
func newBackend(t testing.TB, name string, h http.HandlerFunc) *backend {
	t.Helper()
	return newBackendWith(t, name, h, nil)
}

// newBackendWith is newBackend with a hook that sets up the server
// before it starts.
func newBackendWith(t testing.TB, name string, h http.HandlerFunc, configure func(*http.Server)) *backend {
	t.Helper()
	be := &backend{name: name}
	be.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		be.hits.Add(1)
		w.Header().Set("X-Backend", name)
		if h != nil {
			h(w, r)
			return
		}
		_, _ = io.WriteString(w, name)
	}))
	if configure != nil {
		configure(be.Config)
	}
	be.Start()
	t.Cleanup(be.Close)
	return be
}

// target returns the backend as a load balancer target.
func (be *backend) target() Target { return hostPort(be.Listener.Addr().String()) }

func hostPort(addr string) Target {
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return Target{Host: host, Port: p}
}

// refusedTarget returns an address nothing listens on.
func refusedTarget(t testing.TB) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return hostPort(addr)
}

// group returns a target group with health checks disabled (its targets
// are healthy at once).
func group(arn string, targets ...Target) TargetGroup {
	return TargetGroup{ARN: arn, Protocol: "HTTP", Targets: targets}
}

func forward(groups ...WeightedTargetGroup) Action {
	return Action{Type: ActionForward, TargetGroups: groups}
}

func forwardTo(arn string) Action {
	return forward(WeightedTargetGroup{ARN: arn, Weight: 1})
}

func fixed(code int, body string) Action {
	return Action{Type: ActionFixedResponse, FixedResponse: &FixedResponse{StatusCode: code, MessageBody: body}}
}

// oneListener is a config with one listener on a free port forwarding
// to the given groups (the first is the default action's target).
func oneListener(version uint64, def Action, groups ...TargetGroup) Config {
	return Config{
		Version:      version,
		Listeners:    []Listener{{ARN: "l1", Address: "127.0.0.1:0", Protocol: "HTTP", DefaultActions: []Action{def}}},
		TargetGroups: groups,
	}
}

// mustApply applies cfg or fails the test.
func mustApply(t testing.TB, b *Balancer, cfg Config) {
	t.Helper()
	if err := b.Apply(cfg); err != nil {
		t.Fatalf("apply: %v", err)
	}
}

// url returns the base URL of listener arn.
func listenerURL(t testing.TB, b *Balancer, arn string) string {
	t.Helper()
	addr, ok := b.ListenerAddrs()[arn]
	if !ok {
		t.Fatalf("listener %s is not bound", arn)
	}
	return "http://" + addr
}

// get does a GET and returns status, body and the X-Backend header.
func get(t testing.TB, c *http.Client, url string) (int, string, string) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return res.StatusCode, string(body), res.Header.Get("X-Backend")
}

// newClient returns a keep-alive HTTP client closed at the end of the
// test.
func newClient(t testing.TB) *http.Client {
	tr := &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// eventually polls cond every 10ms until it is true or 10s pass.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// healthOf returns the reported health of target tgt of group arn.
func healthOf(b *Balancer, arn string, tgt Target) (TargetHealth, bool) {
	for _, th := range b.Health() {
		if th.TargetGroupARN == arn && th.Target == tgt {
			return th, true
		}
	}
	return TargetHealth{}, false
}

// statsOf returns the counters of target tgt of group arn.
func statsOf(b *Balancer, arn string, tgt Target) TargetStats {
	for _, st := range b.Stats() {
		if st.TargetGroupARN == arn && st.Target == tgt {
			return st
		}
	}
	return TargetStats{}
}
