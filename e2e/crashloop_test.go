package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestCrashLoopIsThrottled runs a service, on the process runtime, whose
// only container exits at once. Each launch appends the time to a file,
// so the launches are counted where they happen: the first failures are
// replaced at once, then launches back off (5 s after the third failure,
// doubling: see deploy/throttle.go), the service says it is "unable to
// consistently start tasks", and the server is not busy meanwhile.
func TestCrashLoopIsThrottled(t *testing.T) {
	s := startServer(t)
	launches := filepath.Join(t.TempDir(), "launches")
	s.mustAWS("ecs", "create-cluster", "--cluster-name", "demo")
	s.mustAWS("ecs", "register-task-definition", "--cli-input-json",
		taskDefEntryPoint(t, "crash", "sh", "-c", `date +%s.%N >> "$0"; exit 1`, launches))
	cpuBefore := cpuSeconds(t, s.cmd.Process.Pid)
	start := time.Now()
	s.mustAWS("ecs", "create-service", "--cluster", "demo", "--service-name", "web",
		"--task-definition", "web", "--desired-count", "1")

	// Six launches take about 35 s from the first: three at once, then 5,
	// 10 and 20 s apart. A busy loop would make hundreds.
	var at []float64
	eventually(t, 30*time.Second, "the first launch", func() bool {
		at = launchTimes(t, launches)
		return len(at) > 0
	})
	for deadline := time.Now().Add(45 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
		if at = launchTimes(t, launches); len(at) >= 6 {
			break
		}
	}
	elapsed := time.Since(start)
	cpu := cpuSeconds(t, s.cmd.Process.Pid) - cpuBefore
	var gaps []time.Duration
	for i := 1; i < len(at); i++ {
		gaps = append(gaps, time.Duration((at[i]-at[i-1])*float64(time.Second)).Round(10*time.Millisecond))
	}
	t.Logf("%d launches in %v, gaps %v; server CPU %.2fs", len(at), elapsed.Round(time.Second), gaps, cpu)

	if len(at) < 5 || len(at) > 7 {
		t.Fatalf("%d launches, want 6 (3 at once, then 5, 10, 20 s apart)", len(at))
	}
	// The third failure starts the backoff: from the fourth launch on,
	// each gap is at least the throttle's (less a little for timing) and
	// about double the one before.
	for i := 2; i < len(gaps); i++ {
		want := 5 * time.Second << (i - 2)
		if gaps[i] < want*8/10 {
			t.Errorf("gap %d is %v, want about %v", i+1, gaps[i], want)
		}
		if i > 2 && gaps[i] < gaps[i-1]*3/2 {
			t.Errorf("gap %d is %v after %v: the backoff does not grow", i+1, gaps[i], gaps[i-1])
		}
	}
	// Well under a core while tasks crash: a busy loop would use one.
	if cpu > 0.2*elapsed.Seconds() {
		t.Errorf("the server used %.2fs of CPU in %v", cpu, elapsed.Round(time.Second))
	}

	svc := s.mustAWS("ecs", "describe-services", "--cluster", "demo", "--services", "web")
	events, _ := path(svc, "services", 0, "events").([]any)
	found := false
	for _, ev := range events {
		msg, _ := path(ev, "message").(string)
		found = found || strings.Contains(msg, "is unable to consistently start tasks successfully")
	}
	if !found {
		t.Errorf("no event says the service is unable to consistently start tasks: %v", events)
	}
	// The API saw the same launches: every one is a task, stopped or not.
	stopped := s.mustAWS("ecs", "list-tasks", "--cluster", "demo", "--desired-status", "STOPPED")
	running := s.mustAWS("ecs", "list-tasks", "--cluster", "demo")
	stoppedARNs, _ := path(stopped, "taskArns").([]any) // absent when none
	runningARNs, _ := path(running, "taskArns").([]any)
	n := len(stoppedARNs) + len(runningARNs)
	if launched := len(launchTimes(t, launches)); n < launched-1 || n > launched+1 {
		t.Errorf("the API lists %d tasks for %d launches", n, launched)
	}
}

// launchTimes reads the Unix times a crashing container appended to file.
func launchTimes(t *testing.T, file string) []float64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var at []float64
	for _, line := range strings.Fields(string(b)) {
		f, err := strconv.ParseFloat(line, 64)
		if err != nil {
			t.Fatalf("launch time %q: %v", line, err)
		}
		at = append(at, f)
	}
	return at
}

// cpuSeconds returns the CPU time (user and system) process pid has used,
// from /proc/PID/stat.
func cpuSeconds(t *testing.T, pid int) float64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// The command name, in parentheses, may hold spaces: fields count
	// from after it. utime and stime are fields 14 and 15, in clock
	// ticks (USER_HZ, 100 on Linux).
	rest := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	var ticks float64
	for _, f := range rest[11:13] {
		n, err := strconv.ParseFloat(f, 64)
		if err != nil {
			t.Fatalf("/proc/%d/stat: %v", pid, err)
		}
		ticks += n
	}
	return ticks / 100
}
