package process

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// testControlPlaneEnv makes the re-executed test binary act as a control
// plane: controlPlaneMain.
const testControlPlaneEnv = "CUTOVER_PROCESS_TEST_CONTROLPLANE"

// controlPlaneMain, in a test binary started with testControlPlaneEnv,
// creates a driver over the directory os.Args[1], starts the task specs
// in the JSON file os.Args[2], prints their statuses as one JSON line and
// then waits until stdin is closed or it is killed.
func controlPlaneMain() {
	if os.Getenv(testControlPlaneEnv) != "1" {
		return
	}
	_ = os.Unsetenv(testControlPlaneEnv)
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "control plane:", err)
		os.Exit(1)
	}
	exe, err := os.Executable()
	if err != nil {
		fail(err)
	}
	d, err := New(Config{Dir: os.Args[1], ShimCommand: []string{exe}, ShimEnv: []string{testShimEnv + "=1"}})
	if err != nil {
		fail(err)
	}
	var specs []runtime.TaskSpec
	if err := readJSON(os.Args[2], &specs); err != nil {
		fail(err)
	}
	var statuses []runtime.TaskStatus
	for _, spec := range specs {
		st, err := d.Start(context.Background(), spec)
		if err != nil {
			fail(err)
		}
		statuses = append(statuses, st)
	}
	if err := json.NewEncoder(os.Stdout).Encode(statuses); err != nil {
		fail(err)
	}
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// TestAdoptAfterControlPlaneKilled runs a control plane in a separate
// process, kills it with SIGKILL and checks that a new driver over the
// same directory adopts its tasks: the running one still runs (same
// process, same port, not started twice) and can be stopped; the one
// that exited while no control plane existed has its exit code.
func TestAdoptAfterControlPlaneKilled(t *testing.T) {
	cfg := testConfig(t)
	t.Cleanup(func() { // in case the test fails before adopting
		if d, err := New(cfg); err == nil {
			stopAll(t, d)
		}
	})
	app := runtimetest.SelfApp(t)
	web := app.Container("web", nil, "serve")
	web.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	webSpec := runtime.TaskSpec{ID: "web", Containers: []runtime.ContainerSpec{web}}
	shortSpec := runtime.TaskSpec{ID: "short", Containers: []runtime.ContainerSpec{
		app.Container("main", nil, "exit", "7", "1s"),
	}}
	started := runControlPlane(t, cfg.Dir, []runtime.TaskSpec{webSpec, shortSpec})
	webPort := started[0].Containers[0].Ports[0].HostPort

	// No control plane exists now; the tasks carry on without one.
	waitHTTP(t, webPort)
	waitFinished(t, taskPaths{dir: filepath.Join(cfg.Dir, tasksDirName, "short")})

	d := newTestDriver(t, cfg)
	ctx := t.Context()
	list, err := d.List(ctx)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(list) != 2 || list[0].ID != "short" || list[1].ID != "web" {
		t.Fatalf("List after restart = %v, want tasks short and web", list)
	}
	short, webSt := list[0], list[1]
	if short.State != runtime.StateStopped || short.StoppedReason != reasonEssentialExited ||
		short.Containers[0].ExitCode == nil || *short.Containers[0].ExitCode != 7 {
		t.Errorf("short after restart: %+v, want STOPPED by its essential container with exit code 7", short)
	}
	webPID := webSt.Containers[0].PID
	if webSt.State != runtime.StateRunning || webPID == 0 {
		t.Fatalf("web after restart: %+v, want RUNNING with a pid", webSt)
	}
	again, err := d.Start(ctx, webSpec)
	if err != nil {
		t.Fatalf("Start(web) after restart: %v", err)
	}
	if again.Containers[0].PID != webPID || again.Containers[0].Ports[0].HostPort != webPort {
		t.Errorf("Start(web) after restart launched anew: pid %d port %d, want pid %d port %d",
			again.Containers[0].PID, again.Containers[0].Ports[0].HostPort, webPID, webPort)
	}
	other, err := d.Start(ctx, runtime.TaskSpec{ID: "other", Containers: []runtime.ContainerSpec{web}})
	if err != nil {
		t.Fatalf("Start(other): %v", err)
	}
	if other.Containers[0].Ports[0].HostPort == webPort {
		t.Errorf("new task got port %d of the adopted task", webPort)
	}

	if err := d.Stop(ctx, "web"); err != nil {
		t.Fatalf("Stop(web): %v", err)
	}
	st := waitState(t, d, "web", runtime.StateStopped)
	if c := st.Containers[0]; c.ExitCode == nil || *c.ExitCode != 0 {
		t.Errorf("web after Stop: %+v, want exit code 0", c)
	}
	if !processGone(webPID) {
		t.Errorf("web process %d still exists after the task stopped", webPID)
	}
	for _, id := range []string{"web", "short"} {
		if err := d.Remove(ctx, id); err != nil {
			t.Errorf("Remove(%s): %v", id, err)
		}
	}
}

// runControlPlane runs controlPlaneMain over dir with specs, returns the
// statuses it reported and then kills it with SIGKILL.
func runControlPlane(t *testing.T, dir string, specs []runtime.TaskSpec) []runtime.TaskStatus {
	t.Helper()
	specPath := filepath.Join(t.TempDir(), "specs.json")
	if err := writeJSON(specPath, specs); err != nil {
		t.Fatal(err)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, dir, specPath)
	cmd.Env = append(os.Environ(), testControlPlaneEnv+"=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = stdin.Close() }()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start control plane: %v", err)
	}
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("control plane did not report its tasks: %v; stderr:\n%s", err, stderr.String())
	}
	var statuses []runtime.TaskStatus
	if err := json.Unmarshal(line, &statuses); err != nil || len(statuses) != len(specs) {
		t.Fatalf("control plane reported %q: %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill control plane: %v", err)
	}
	_ = cmd.Wait()
	return statuses
}

// waitFinished polls a task's state file until the shim has written its
// final state, without any driver.
func waitFinished(t *testing.T, p taskPaths) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var sf stateFile
		if err := readJSON(p.state(), &sf); err == nil && sf.Finished {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("task in %s did not finish", p.dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitState polls the task until it is in state.
func waitState(t *testing.T, d *Driver, id string, state runtime.State) runtime.TaskStatus {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := d.Inspect(context.Background(), id)
		if err != nil {
			t.Fatalf("Inspect(%s): %v", id, err)
		}
		if st.State == state {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("task %s: state %s, want %s", id, st.State, state)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitHTTP polls 127.0.0.1:port until it answers 200 and returns the
// body.
func waitHTTP(t *testing.T, port int, path ...string) string {
	t.Helper()
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	if len(path) > 0 {
		url += path[0]
	} else {
		url += "/"
	}
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return string(body)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no 200 in time (last error %v)", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// processGone reports whether pid has exited (it may linger as a zombie
// until its new parent reaps it), waiting a little for it.
func processGone(pid int) bool {
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := readProcStat(pid)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && st.state == 'Z') {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}
