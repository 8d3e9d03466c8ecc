package lbserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/lb"
)

func testLogger() *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// freeAddr returns a loopback address that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// backendTarget starts a target answering name and returns it.
func backendTarget(t *testing.T, name string, h http.HandlerFunc) lb.Target {
	t.Helper()
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, name) }
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	p, _ := strconv.Atoi(port)
	return lb.Target{Host: host, Port: p}
}

// testConfig forwards every request on addr to the targets.
func testConfig(version uint64, addr string, targets ...lb.Target) lb.Config {
	return lb.Config{
		Version: version,
		Listeners: []lb.Listener{{ARN: "listener/app", Address: addr, Protocol: "HTTP",
			DefaultActions: []lb.Action{{Type: lb.ActionForward, TargetGroups: []lb.WeightedTargetGroup{{ARN: "tg/app", Weight: 1}}}}}},
		TargetGroups: []lb.TargetGroup{{ARN: "tg/app", Protocol: "HTTP", Targets: targets,
			HealthCheck: lb.HealthCheck{Enabled: true, Path: "/", Interval: 50 * time.Millisecond, Timeout: time.Second,
				HealthyThreshold: 2, UnhealthyThreshold: 2, Matcher: "200"}}},
	}
}

// startRun runs the process code in-process on dir until the returned
// stop function is called; stop returns Run's error.
func startRun(t *testing.T, o Options) (client *lb.Client, stop func() error) {
	t.Helper()
	if o.Logger == nil {
		o.Logger = testLogger()
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, o) }()
	client = lb.NewClient(filepath.Join(o.Dir, SocketName))
	waitPing(t, client, done)
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		client.Close()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	return client, stop
}

func waitPing(t *testing.T, c *lb.Client, done <-chan error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := c.Ping(context.Background()); err == nil {
			return
		}
		select {
		case err := <-done:
			t.Fatalf("the load balancer exited: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the admin socket never answered")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitBody polls url until it answers 200 with want.
func waitBody(t *testing.T, url, want string) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(10 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		res, err := c.Get(url)
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode == 200 && string(body) == want {
				return
			}
			last = strconv.Itoa(res.StatusCode) + " " + string(body)
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s never answered %q (last: %s)", url, want, last)
}

func TestAdminAPIAndRestart(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	tgt := backendTarget(t, "v1", nil)
	client, stop := startRun(t, Options{Dir: dir})
	ctx := context.Background()

	cfg := testConfig(3, addr, tgt)
	if err := client.Apply(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	waitBody(t, "http://"+addr+"/", "v1")

	got, err := client.Config(ctx)
	if err != nil || got.Version != 3 || len(got.Listeners) != 1 || got.Listeners[0].Address != addr {
		t.Fatalf("GET /config = %+v, %v", got, err)
	}
	if err := client.Apply(ctx, testConfig(2, addr, tgt)); !errors.Is(err, lb.ErrStaleVersion) {
		t.Errorf("applying an older version = %v, want ErrStaleVersion", err)
	}
	bad := testConfig(4, addr, tgt)
	bad.TargetGroups[0].HealthCheck.Matcher = "oops"
	if err := client.Apply(ctx, bad); !errors.Is(err, lb.ErrRefused) {
		t.Errorf("applying an invalid config = %v, want ErrRefused", err)
	}
	if err := client.Apply(ctx, cfg); err != nil {
		t.Errorf("re-applying the current version: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		th, err := client.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(th) == 1 && th[0].State == lb.StateHealthy && th[0].Target == tgt {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /health = %+v", th)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if st, err := client.Stats(ctx); err != nil || len(st) != 1 || st[0].Requests == 0 {
		t.Errorf("GET /stats = %+v, %v", st, err)
	}

	waitSaved(t, dir, 3)

	if err := stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, SocketName)); err == nil {
		t.Error("the admin socket is left behind after a clean stop")
	}
	// Restarted, it serves the persisted configuration with no PUT.
	client, _ = startRun(t, Options{Dir: dir})
	waitBody(t, "http://"+addr+"/", "v1")
	if got, err := client.Config(ctx); err != nil || got.Version != 3 {
		t.Errorf("after the restart GET /config = version %d, %v", got.Version, err)
	}
}

func TestAlreadyRunning(t *testing.T) {
	dir := t.TempDir()
	startRun(t, Options{Dir: dir})
	err := Run(context.Background(), Options{Dir: dir, Logger: testLogger()})
	if !errors.Is(err, ErrAlreadyRunning) {
		t.Fatalf("a second Run on the same directory = %v, want ErrAlreadyRunning", err)
	}
}

func TestPersistedConfigRetriedUntilPortFree(t *testing.T) {
	dir := t.TempDir()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := taken.Addr().String()
	tgt := backendTarget(t, "v1", nil)
	if err := saveConfig(dir, testConfig(1, addr, tgt)); err != nil {
		t.Fatal(err)
	}
	startRun(t, Options{Dir: dir, retryInterval: 20 * time.Millisecond})
	time.Sleep(100 * time.Millisecond)
	taken.Close()
	waitBody(t, "http://"+addr+"/", "v1")
}

func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	entered, release := make(chan struct{}), make(chan struct{})
	tgt := backendTarget(t, "slow", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(entered)
			<-release
		}
		_, _ = io.WriteString(w, "slow")
	})
	client, stop := startRun(t, Options{Dir: dir})
	if err := client.Apply(context.Background(), testConfig(1, addr, tgt)); err != nil {
		t.Fatal(err)
	}
	waitBody(t, "http://"+addr+"/", "slow")
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			done <- result{err: err}
			return
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		done <- result{code: res.StatusCode}
	}()
	<-entered
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	// The listener stops accepting while the request is in flight.
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("the listener still accepts during shutdown")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	if r := <-done; r.err != nil || r.code != 200 {
		t.Fatalf("the in-flight request ended with %d %v", r.code, r.err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

// TestHealthLongPoll: GET /health/wait answers once the health report
// changes, and a poll still waiting does not hold up a shutdown.
func TestHealthLongPoll(t *testing.T) {
	dir := t.TempDir()
	client, stop := startRun(t, Options{Dir: dir})
	ctx := context.Background()
	tgt := backendTarget(t, "v1", nil)
	if err := client.Apply(ctx, testConfig(1, freeAddr(t), tgt)); err != nil {
		t.Fatal(err)
	}
	var gen uint64
	for {
		next, err := client.WaitHealth(ctx, gen)
		if err != nil {
			t.Fatal(err)
		}
		th, err := client.Health(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(th) == 1 && th[0].State == lb.StateHealthy {
			break
		}
		if next == gen {
			t.Fatalf("the long poll ran out with the target %+v", th)
		}
		gen = next
	}
	now, err := client.WaitHealth(ctx, 0)
	if err != nil || now == 0 {
		t.Fatalf("a poll for a past generation: %d, %v", now, err)
	}

	// A poll that waits: the shutdown cuts it, it does not wait it out.
	waiting := make(chan error, 1)
	go func() {
		g, err := client.WaitHealth(ctx, now)
		if err == nil {
			err = fmt.Errorf("answered generation %d", g)
		}
		waiting <- err
	}()
	time.Sleep(100 * time.Millisecond)
	begin := time.Now()
	if err := stop(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	if took := time.Since(begin); took > lb.HealthWaitLimit/2 {
		t.Errorf("the shutdown took %v: it waited for the long poll", took)
	}
	if err := <-waiting; err == nil || strings.HasPrefix(err.Error(), "answered") {
		t.Errorf("the waiting poll: %v, want cut off by the shutdown", err)
	}
}
