package docker_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/docker"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// fixture is one test's driver and test app.
type fixture struct {
	t   *testing.T
	d   *docker.Driver
	cfg docker.Config
	app runtimetest.App
}

func newFixture(t *testing.T) *fixture {
	cfg := testConfig(t)
	return &fixture{t: t, d: newTestDriver(t, cfg), cfg: cfg, app: app(t)}
}

func (f *fixture) ctx() context.Context { return context.Background() }

func (f *fixture) start(spec runtime.TaskSpec) {
	f.t.Helper()
	if _, err := f.d.Start(f.ctx(), spec); err != nil {
		f.t.Fatalf("Start: %v", err)
	}
}

// waitFor polls Inspect of d until cond holds.
func waitFor(t *testing.T, d runtime.Driver, id, desc string, cond func(runtime.TaskStatus) bool) runtime.TaskStatus {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second)
	for {
		st, err := d.Inspect(context.Background(), id)
		if err == nil && cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: timed out waiting for %s; last: %+v, %v", id, desc, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func stateIs(s runtime.State) func(runtime.TaskStatus) bool {
	return func(st runtime.TaskStatus) bool { return st.State == s }
}

// get fetches path from a host port.
func get(t *testing.T, port int, path string) string {
	t.Helper()
	var last error
	for range 100 {
		resp, err := http.Get("http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) + path)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			err = errors.New(resp.Status)
		}
		last = err
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("GET %s on port %d: %v", path, port, last)
	return ""
}

// TestSharedNetwork: the containers of a task share one network
// namespace, so one reaches another on localhost. (The dependsOn
// conditions and stop order are in the conformance suite.)
func TestSharedNetwork(t *testing.T) {
	f := newFixture(t)
	web := f.app.Container("web", nil, "serve")
	web.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	web.HealthCheck = &runtime.HealthCheck{Command: []string{"CMD", "/testapp", "probe", "/healthz"}, Interval: 200 * time.Millisecond, Retries: 2}
	// The checker probes web over localhost once web listens: it can
	// only succeed in the same network namespace.
	checker := f.app.Container("checker", nil, "probe", "/")
	checker.Env["PORT"] = "8080"
	checker.Essential = false
	checker.DependsOn = []runtime.Dependency{{Container: "web", Condition: runtime.ConditionHealthy}}
	f.start(runtime.TaskSpec{ID: "net", Containers: []runtime.ContainerSpec{web, checker}})
	st := waitFor(t, f.d, "net", "checker exited", func(st runtime.TaskStatus) bool {
		return st.Containers[1].State == runtime.StateStopped
	})
	if c := st.Containers[1]; c.ExitCode == nil || *c.ExitCode != 0 {
		t.Errorf("checker: %+v, want exit code 0 (web reachable on localhost)", c)
	}
}

// TestContainerOptions: the container definition's fields reach Docker.
func TestContainerOptions(t *testing.T) {
	f := newFixture(t)
	hostDir := t.TempDir()
	if err := os.WriteFile(filepath.Join(hostDir, "greeting"), []byte("hi"), 0o644); err != nil {
		t.Fatal(err)
	}
	web := f.app.Container("web", nil, "serve")
	web.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	web.User = "1234:1234"
	web.WorkingDir = "/tmp"
	web.ReadonlyRootFilesystem = true
	web.CPU = 256
	web.Memory = 64
	web.MemoryReservation = 32
	web.Ulimits = []runtime.Ulimit{{Name: "nofile", Soft: 1000, Hard: 2000}}
	web.Labels = map[string]string{"team": "payments"}
	web.StopTimeout = 7 * time.Second
	web.Env["GREETING"] = "hello"
	web.Mounts = []runtime.Mount{
		{Volume: "config", Source: hostDir, Target: "/config", ReadOnly: true},
		{Volume: "scratch", Target: "/scratch"},
	}
	spec := runtime.TaskSpec{ID: "opts", Labels: map[string]string{"com.amazonaws.ecs.cluster": "c1"}, Containers: []runtime.ContainerSpec{web}}
	f.start(spec)
	st := waitFor(t, f.d, "opts", "RUNNING", stateIs(runtime.StateRunning))
	port := st.Containers[0].Ports[0].HostPort
	if got := get(t, port, "/cwd"); got != "/tmp" {
		t.Errorf("/cwd = %q, want /tmp", got)
	}
	if got := get(t, port, "/env/GREETING"); got != "hello" {
		t.Errorf("GREETING = %q", got)
	}
	if got := get(t, port, "/env/PORT"); got != "8080" {
		t.Errorf("PORT = %q, want the container port", got)
	}
	c, err := f.d.Client().ContainerInspect(f.ctx(), f.cfg.Namespace+"-opts-web")
	if err != nil {
		t.Fatal(err)
	}
	h := c.HostConfig
	if c.Config.User != "1234:1234" || !h.ReadonlyRootfs || h.CPUShares != 256 || h.Memory != 64<<20 || h.MemoryReservation != 32<<20 {
		t.Errorf("user %q readonly %v cpu %d memory %d reservation %d", c.Config.User, h.ReadonlyRootfs, h.CPUShares, h.Memory, h.MemoryReservation)
	}
	if len(h.Ulimits) != 1 || h.Ulimits[0].Name != "nofile" || h.Ulimits[0].Soft != 1000 || h.Ulimits[0].Hard != 2000 {
		t.Errorf("ulimits %+v", h.Ulimits)
	}
	if c.Config.StopTimeout == nil || *c.Config.StopTimeout != 7 {
		t.Errorf("stop timeout %v, want 7", c.Config.StopTimeout)
	}
	for k, v := range map[string]string{"team": "payments", "com.amazonaws.ecs.cluster": "c1", docker.LabelContainer: "web", docker.LabelTask: "opts"} {
		if c.Config.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, c.Config.Labels[k], v)
		}
	}
	mounts := map[string]container.MountPoint{}
	for _, m := range c.Mounts {
		mounts[m.Destination] = m
	}
	if m := mounts["/config"]; m.Source != hostDir || m.RW {
		t.Errorf("/config mount %+v, want read-only %s", m, hostDir)
	}
	if m := mounts["/scratch"]; m.Type != "volume" || !m.RW {
		t.Errorf("/scratch mount %+v, want a writable task volume", m)
	}
	if err := f.d.Stop(f.ctx(), "opts"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, f.d, "opts", "STOPPED", stateIs(runtime.StateStopped))
	if err := f.d.Remove(f.ctx(), "opts"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Client().VolumeInspect(f.ctx(), m(f, "opts", "scratch")); err == nil {
		t.Errorf("task volume left after Remove")
	}
}

func m(f *fixture, id, vol string) string { return f.cfg.Namespace + "-" + id + "-vol-" + vol }

// TestPullFailure: an absent image that cannot be pulled stops the task
// with ECS's CannotPullContainerError.
func TestPullFailure(t *testing.T) {
	f := newFixture(t)
	c := f.app.Container("web", nil, "serve")
	c.Image = "cutover-test/no-such-image:never"
	f.start(runtime.TaskSpec{ID: "pull", Containers: []runtime.ContainerSpec{c}})
	st := waitFor(t, f.d, "pull", "STOPPED", stateIs(runtime.StateStopped))
	if !strings.HasPrefix(st.StoppedReason, "CannotPullContainerError: ") || !strings.HasPrefix(st.Containers[0].Reason, "CannotPullContainerError: ") {
		t.Errorf("reason %q / %q, want CannotPullContainerError", st.StoppedReason, st.Containers[0].Reason)
	}
}

// TestUnavailable: without a daemon, Start says the runtime is
// unavailable.
func TestUnavailable(t *testing.T) {
	cfg := testConfig(t)
	cfg.Host = "unix://" + filepath.Join(t.TempDir(), "nothing.sock")
	d, err := docker.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.Start(context.Background(), runtime.TaskSpec{ID: "x", Containers: []runtime.ContainerSpec{{Name: "a", Image: "x", Essential: true}}})
	if !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("Start = %v, want ErrUnavailable", err)
	}
	if _, err := d.List(context.Background()); !errors.Is(err, runtime.ErrUnavailable) {
		t.Errorf("List = %v, want ErrUnavailable", err)
	}
}

// TestAdoption: a new driver (a restarted control plane) finds the
// tasks of the old one, finishes starting a task the old one could not
// finish, stops a task whose essential container exited meanwhile, and
// stops and removes what it adopted.
func TestAdoption(t *testing.T) {
	f := newFixture(t)
	// The old driver reaches Docker through a proxy that the test cuts,
	// as if the old control plane died.
	proxy := newSocketProxy(t)
	oldCfg := f.cfg
	oldCfg.Host = "unix://" + proxy.path
	old, err := docker.New(oldCfg)
	if err != nil {
		t.Fatal(err)
	}

	web := f.app.Container("web", nil, "serve")
	web.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	running := runtime.TaskSpec{ID: "running", Containers: []runtime.ContainerSpec{web}}
	early := f.app.Container("early", nil, "exit", "0", "3s")
	early.Essential = false
	late := f.app.Container("late", nil, "sleep")
	late.DependsOn = []runtime.Dependency{{Container: "early", Condition: runtime.ConditionSuccess}}
	halfway := runtime.TaskSpec{ID: "halfway", Containers: []runtime.ContainerSpec{early, late}}
	dying := runtime.TaskSpec{ID: "dying", Containers: []runtime.ContainerSpec{f.app.Container("main", nil, "exit", "4", "2s"), f.app.Container("side", nil, "sleep")}}
	dying.Containers[1].Essential = false
	for _, spec := range []runtime.TaskSpec{running, halfway, dying} {
		if _, err := old.Start(context.Background(), spec); err != nil {
			t.Fatalf("Start %s: %v", spec.ID, err)
		}
	}
	st := waitFor(t, old, "running", "RUNNING", stateIs(runtime.StateRunning))
	port := st.Containers[0].Ports[0].HostPort
	waitFor(t, old, "halfway", "early started", func(st runtime.TaskStatus) bool { return st.Containers[0].State == runtime.StateRunning })
	waitFor(t, old, "dying", "RUNNING", stateIs(runtime.StateRunning))
	proxy.cut()
	time.Sleep(3 * time.Second) // early and main exit while nobody watches

	list, err := f.d.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, st := range list {
		ids = append(ids, st.ID)
	}
	if slices.Sort(ids); !slices.Equal(ids, []string{"dying", "halfway", "running"}) {
		t.Fatalf("List = %v, want the three tasks of the old driver", ids)
	}
	st = waitFor(t, f.d, "running", "RUNNING", stateIs(runtime.StateRunning))
	if st.Containers[0].Ports[0].HostPort != port {
		t.Errorf("adopted port %d, want %d", st.Containers[0].Ports[0].HostPort, port)
	}
	get(t, port, "/")
	waitFor(t, f.d, "halfway", "late started after early succeeded", func(st runtime.TaskStatus) bool {
		return st.State == runtime.StateRunning && st.Containers[1].State == runtime.StateRunning
	})
	st = waitFor(t, f.d, "dying", "STOPPED", stateIs(runtime.StateStopped))
	if st.StoppedReason != "Essential container in task exited" {
		t.Errorf("dying: reason %q", st.StoppedReason)
	}
	for _, id := range []string{"running", "halfway"} {
		if err := f.d.Stop(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		waitFor(t, f.d, id, "STOPPED", stateIs(runtime.StateStopped))
	}
	for _, id := range []string{"running", "halfway", "dying"} {
		if err := f.d.Remove(context.Background(), id); err != nil {
			t.Fatal(err)
		}
		if _, err := f.d.Inspect(context.Background(), id); !errors.Is(err, runtime.ErrTaskNotFound) {
			t.Errorf("Inspect %s after Remove = %v", id, err)
		}
	}
}

// socketProxy forwards a unix socket to the Docker daemon's until cut.
type socketProxy struct {
	path string
	ln   net.Listener
	mu   sync.Mutex
	cons []net.Conn
}

func newSocketProxy(t *testing.T) *socketProxy {
	p := &socketProxy{path: filepath.Join(t.TempDir(), "docker.sock")}
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	p.ln = ln
	target := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		target = strings.TrimPrefix(h, "unix://")
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("unix", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.cons = append(p.cons, c, up)
			p.mu.Unlock()
			go func() { io.Copy(up, c); up.Close() }()
			go func() { io.Copy(c, up); c.Close() }()
		}
	}()
	t.Cleanup(p.cut)
	return p
}

// cut closes the proxy and every connection through it.
func (p *socketProxy) cut() {
	p.ln.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.cons {
		c.Close()
	}
}
