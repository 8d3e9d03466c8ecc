package process

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/runtime"
	"github.com/cutover/cutover/internal/runtime/runtimetest"
)

// testShimEnv makes the re-executed test binary run ShimMain.
const testShimEnv = "CUTOVER_PROCESS_TEST_SHIM"

// TestMain lets the test binary serve as the shim, the test app and a
// control plane that the adoption test kills.
func TestMain(m *testing.M) {
	if os.Getenv(testShimEnv) == "1" {
		os.Exit(ShimMain(os.Args[1:]))
	}
	runtimetest.AppMain()
	controlPlaneMain()
	escaperMain()
	os.Exit(m.Run())
}

// testConfig returns a Config over a fresh directory whose shim is this
// test binary.
func testConfig(t *testing.T) Config {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("find test executable: %v", err)
	}
	return Config{
		Dir:         t.TempDir(),
		ShimCommand: []string{exe},
		// The shim exits without the race detector's one-second pause.
		ShimEnv: []string{testShimEnv + "=1", "GORACE=" + strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0")},
		Logger:  runtimetest.Logger(t),
	}
}

// newTestDriver returns a driver for cfg and makes sure every task it
// knows is stopped when the test ends, whatever the test did.
func newTestDriver(t *testing.T, cfg Config) *Driver {
	t.Helper()
	d, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { stopAll(t, d) })
	return d
}

// stopAll stops every task of d and waits until they are stopped.
func stopAll(t *testing.T, d *Driver) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := d.List(ctx)
	if err != nil {
		t.Errorf("cleanup: List: %v", err)
		return
	}
	for _, st := range list {
		if st.State == runtime.StateStopped {
			continue
		}
		if err := d.Stop(ctx, st.ID); err != nil {
			t.Errorf("cleanup: Stop(%s): %v", st.ID, err)
		}
		for ctx.Err() == nil {
			cur, err := d.Inspect(ctx, st.ID)
			if err != nil || cur.State == runtime.StateStopped {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// waitFor polls cond until it holds, failing the test after 30 seconds.
func waitFor(t *testing.T, desc string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", desc)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testEscaperEnv makes the re-executed test binary start a "sleep" in a
// process group of its own, write its pid to the file named by
// testEscaperPIDFile and wait to be killed: a process that escaped its
// container's process group, but not the shim's session.
const (
	testEscaperEnv     = "CUTOVER_PROCESS_TEST_ESCAPER"
	testEscaperPIDFile = "CUTOVER_PROCESS_TEST_ESCAPER_PIDFILE"
)

// escaperMain runs the escaper when testEscaperEnv is set.
func escaperMain() {
	if os.Getenv(testEscaperEnv) != "1" {
		return
	}
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "escaper:", err)
		os.Exit(1)
	}
	if err := writeFileAtomic(os.Getenv(testEscaperPIDFile), []byte(strconv.Itoa(cmd.Process.Pid))); err != nil {
		fmt.Fprintln(os.Stderr, "escaper:", err)
		os.Exit(1)
	}
	_ = cmd.Wait()
	os.Exit(0)
}
