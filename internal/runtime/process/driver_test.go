package process

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// webTask is a task running the test app's server with one port mapping.
func webTask(t *testing.T, id string) runtime.TaskSpec {
	web := runtimetest.SelfApp(t).Container("web", nil, "serve")
	web.Ports = []runtime.PortMapping{{ContainerPort: 8080}}
	return runtime.TaskSpec{ID: id, Containers: []runtime.ContainerSpec{web}}
}

// TestShimKilled: a shim killed with SIGKILL leaves a task that is
// reported STOPPED with a clear reason, and its containers are killed,
// as is a process that left its container's process group.
func TestShimKilled(t *testing.T) {
	d := newTestDriver(t, testConfig(t))
	spec := webTask(t, "victim")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "escaper.pid")
	escaper := runtime.ContainerSpec{Name: "escaper", Command: []string{exe},
		Env: map[string]string{testEscaperEnv: "1", testEscaperPIDFile: pidFile}}
	spec.Containers = append(spec.Containers, escaper)
	st, err := d.Start(t.Context(), spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	port := st.Containers[0].Ports[0].HostPort
	waitHTTP(t, port)
	st = waitState(t, d, "victim", runtime.StateRunning)
	var escaperPID int
	waitFor(t, "the escaper's pid", func() bool {
		b, err := os.ReadFile(pidFile)
		escaperPID, _ = strconv.Atoi(string(b))
		return err == nil
	})
	t.Cleanup(func() { _ = syscall.Kill(escaperPID, syscall.SIGKILL) })
	var sf stateFile
	if err := readJSON(d.paths("victim").state(), &sf); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(sf.ShimPID, syscall.SIGKILL); err != nil {
		t.Fatalf("kill shim: %v", err)
	}
	st = waitState(t, d, "victim", runtime.StateStopped)
	if st.StoppedReason != reasonShimDied {
		t.Errorf("StoppedReason = %q, want %q", st.StoppedReason, reasonShimDied)
	}
	for _, c := range st.Containers {
		if c.State != runtime.StateStopped || c.Reason == "" {
			t.Errorf("container %s: state %s reason %q, want STOPPED with a reason", c.Name, c.State, c.Reason)
		}
		if !processGone(c.PID) {
			t.Errorf("container %s process %d survived its dead shim", c.Name, c.PID)
		}
	}
	if !processGone(escaperPID) {
		t.Errorf("process %d, in its own group in the dead shim's session, survived", escaperPID)
	}
	again, err := d.Inspect(t.Context(), "victim")
	if err != nil || again.StoppedReason != reasonShimDied || !again.StoppedAt.Equal(st.StoppedAt) {
		t.Errorf("second Inspect = %+v, %v; want the same final status", again, err)
	}
	if err := d.Stop(t.Context(), "victim"); err != nil {
		t.Errorf("Stop of a stopped task = %v", err)
	}
	if code := ShimMain([]string{d.paths("victim").dir}); code == 0 {
		t.Error("a second shim ran for a task that already had one")
	}
	if err := d.Remove(t.Context(), "victim"); err != nil {
		t.Errorf("Remove: %v", err)
	}
}

// TestPortAndWorkingDir: PORT is the host port; the working directory is
// the task directory unless the spec sets one, and a relative one is taken
// from Config.BaseDir.
func TestPortAndWorkingDir(t *testing.T) {
	cfg := testConfig(t)
	cfg.BaseDir = t.TempDir()
	if err := os.Mkdir(filepath.Join(cfg.BaseDir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	d := newTestDriver(t, cfg)
	wd := t.TempDir()
	spec := webTask(t, "wd")
	for i, dir := range []string{wd, "app"} {
		c := webTask(t, "wd").Containers[0]
		c.Name, c.WorkingDir = fmt.Sprintf("other%d", i), dir
		c.Ports = []runtime.PortMapping{{ContainerPort: 9000 + i}}
		spec.Containers = append(spec.Containers, c)
	}
	st, err := d.Start(t.Context(), spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	port := st.Containers[0].Ports[0].HostPort
	if got := waitHTTP(t, port, "/env/PORT"); got != strconv.Itoa(port) {
		t.Errorf("$PORT = %q, want host port %d", got, port)
	}
	for _, tc := range []struct {
		port int
		want string
	}{
		{port, d.paths("wd").dir},
		{st.Containers[1].Ports[0].HostPort, wd},
		{st.Containers[2].Ports[0].HostPort, filepath.Join(cfg.BaseDir, "app")},
	} {
		got := waitHTTP(t, tc.port, "/cwd")
		if same, _ := sameFile(got, tc.want); !same {
			t.Errorf("working directory = %q, want %q", got, tc.want)
		}
	}
}

// sameFile reports whether two paths name the same file.
func sameFile(a, b string) (bool, error) {
	fa, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	fb, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(fa, fb), nil
}

// TestCommandFromPath: a command without a slash is looked up in the
// container's PATH.
func TestCommandFromPath(t *testing.T) {
	d := newTestDriver(t, testConfig(t))
	found := runtime.ContainerSpec{Name: "sh", Command: []string{"sh", "-c", "exit 4"}, Essential: true}
	missing := runtime.ContainerSpec{Name: "sh", Command: []string{"sh", "-c", "exit 0"}, Essential: true,
		Env: map[string]string{"PATH": t.TempDir()}}
	for _, spec := range []runtime.TaskSpec{
		{ID: "found", Containers: []runtime.ContainerSpec{found}},
		{ID: "missing", Containers: []runtime.ContainerSpec{missing}},
	} {
		if _, err := d.Start(t.Context(), spec); err != nil {
			t.Fatalf("Start(%s): %v", spec.ID, err)
		}
	}
	st := waitState(t, d, "found", runtime.StateStopped)
	if c := st.Containers[0]; c.ExitCode == nil || *c.ExitCode != 4 {
		t.Errorf("sh from PATH: %+v, want exit code 4", c)
	}
	st = waitState(t, d, "missing", runtime.StateStopped)
	if c := st.Containers[0]; c.ExitCode != nil || !strings.Contains(c.Reason, "not found") {
		t.Errorf("sh with an empty PATH: %+v, want no exit code and a not-found reason", c)
	}
	if !strings.HasPrefix(st.StoppedReason, "CannotStartContainerError") {
		t.Errorf("StoppedReason = %q, want CannotStartContainerError", st.StoppedReason)
	}
	var buf bytes.Buffer
	if err := d.Logs(t.Context(), "missing", "sh", 0, &buf); err != nil || !strings.Contains(buf.String(), "cannot start") {
		t.Errorf("Logs = %q, %v; want the start failure", buf.String(), err)
	}
}

// TestEmptyCommand: the process driver needs a command.
func TestEmptyCommand(t *testing.T) {
	d := newTestDriver(t, testConfig(t))
	_, err := d.Start(t.Context(), runtime.TaskSpec{ID: "x", Containers: []runtime.ContainerSpec{{Name: "c"}}})
	if !errors.Is(err, runtime.ErrInvalidSpec) {
		t.Fatalf("Start = %v, want ErrInvalidSpec", err)
	}
}

// TestLogRotation: a chatty container's log stays bounded and Logs
// returns its latest lines.
func TestLogRotation(t *testing.T) {
	cfg := testConfig(t)
	cfg.LogMaxBytes = 4096
	d := newTestDriver(t, cfg)
	spec := runtime.TaskSpec{ID: "chatty", Containers: []runtime.ContainerSpec{
		runtimetest.SelfApp(t).Container("talker", nil, "lines", "3000", "line"),
	}}
	if _, err := d.Start(t.Context(), spec); err != nil {
		t.Fatalf("Start: %v", err)
	}
	var out string
	waitFor(t, "the last line in the log", func() bool {
		var buf bytes.Buffer
		if err := d.Logs(t.Context(), "chatty", "talker", 0, &buf); err != nil {
			t.Fatalf("Logs: %v", err)
		}
		out = buf.String()
		return strings.HasSuffix(out, "line 2999\n")
	})
	if len(out) > 2*4096 {
		t.Errorf("Logs returned %d bytes, more than two files of 4096", len(out))
	}
	cur := d.paths("chatty").containerLog("talker")
	for _, p := range []string{cur, cur + ".1"} {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() > 4096 {
			t.Errorf("log file %s: %v, %v; want at most 4096 bytes", filepath.Base(p), fi, err)
		}
	}
	var tail bytes.Buffer
	if err := d.Logs(t.Context(), "chatty", "talker", 10, &tail); err != nil || tail.String() != "line 2999\n" {
		t.Errorf("Logs(10) = %q, %v; want %q", tail.String(), err, "line 2999\n")
	}
}

// TestShimCannotStart: when the shim cannot run, Start fails and leaves
// no task behind.
func TestShimCannotStart(t *testing.T) {
	for _, tc := range []struct {
		name string
		shim []string
	}{
		{"missing", []string{"/nonexistent/cutover-shim"}},
		{"exits", []string{"/bin/sh", "-c", "echo broken shim >&2; exit 1", "sh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.ShimCommand = tc.shim
			d := newTestDriver(t, cfg)
			if _, err := d.Start(t.Context(), webTask(t, "t")); err == nil {
				t.Fatal("Start succeeded without a working shim")
			} else if tc.name == "exits" && !strings.Contains(err.Error(), "broken shim") {
				t.Errorf("Start error %q does not show the shim's output", err)
			}
			if _, err := d.Inspect(t.Context(), "t"); !errors.Is(err, runtime.ErrTaskNotFound) {
				t.Errorf("Inspect after failed Start = %v, want ErrTaskNotFound", err)
			}
		})
	}
}
