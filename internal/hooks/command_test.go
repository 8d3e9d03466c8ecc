package hooks

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// invokeCommand runs target on an Invoker whose only command hook is
// name: c, and returns what Invoke returned and how long it took.
func invokeCommand(t *testing.T, target, name string, c Command, event []byte) ([]byte, time.Duration, error) {
	t.Helper()
	inv := newInvoker(t, Config{Timeout: 5 * time.Second, Commands: map[string]Command{name: c}})
	start := time.Now()
	reply, err := inv.Invoke(context.Background(), target, event)
	return reply, time.Since(start), err
}

func TestCommandEcho(t *testing.T) {
	for _, target := range []string{"echo", "echo:live", "arn:aws:lambda:eu-west-1:123456789012:function:echo:7"} {
		reply, _, err := invokeCommand(t, target, "echo", Command{Argv: []string{"cat"}}, testEvent)
		if err != nil || !bytes.Equal(reply, testEvent) {
			t.Errorf("Invoke(%q) = %q, %v; want the event back", target, reply, err)
		}
	}
}

func TestCommandEnvAndDir(t *testing.T) {
	dir := t.TempDir()
	c := Command{
		Argv: []string{"sh", "-c", `printf '%s|%s|%s' "$HOOK_GREETING" "$HOOK_EMPTY" "$(pwd -P)"`},
		Dir:  dir,
		Env:  map[string]string{"HOOK_GREETING": "hello", "HOOK_EMPTY": ""},
	}
	t.Setenv("HOOK_EMPTY", "from the server") // Env overrides the server's environment
	reply, _, err := invokeCommand(t, "env", "env", c, testEvent)
	if err != nil {
		t.Fatal(err)
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello||" + realDir; string(reply) != want {
		t.Errorf("reply %q, want %q", reply, want)
	}
}

func TestCommandInheritsEnvironment(t *testing.T) {
	t.Setenv("HOOK_FROM_SERVER", "inherited")
	for _, env := range []map[string]string{nil, {"OTHER": "x"}} {
		reply, _, err := invokeCommand(t, "env", "env", Command{
			Argv: []string{"sh", "-c", `printf %s "$HOOK_FROM_SERVER"`}, Env: env,
		}, testEvent)
		if err != nil || string(reply) != "inherited" {
			t.Errorf("Env %v: Invoke = %q, %v", env, reply, err)
		}
	}
}

func TestCommandFailures(t *testing.T) {
	tests := []struct {
		name string
		argv []string
		want string
		is   error
	}{
		{
			name: "exit status",
			argv: []string{"sh", "-c", `cat >/dev/null; echo "reading config" >&2; echo "  bad   thing
happened" >&2; exit 3`},
			want: "command hook exited with status 3: reading config bad thing happened",
		},
		{
			name: "exit status without stderr",
			argv: []string{"sh", "-c", "exit 1"},
			want: "command hook exited with status 1",
		},
		{
			name: "killed by a signal",
			argv: []string{"sh", "-c", `echo dying >&2; kill -TERM $$`},
			want: "command hook was killed by signal 15 (terminated): dying",
		},
		{
			name: "long stderr keeps its tail",
			argv: []string{"sh", "-c", `i=0; while [ $i -lt 2000 ]; do echo "line $i" >&2; i=$((i+1)); done; exit 2`},
			want: "command hook exited with status 2: …" + tailOfLines(2000, 512),
		},
		{
			name: "program not found",
			argv: []string{"/nonexistent/hook"},
			want: "command hook: fork/exec /nonexistent/hook: no such file or directory",
		},
		{
			name: "huge reply",
			argv: []string{"sh", "-c", "head -c 7000000 /dev/zero"},
			want: "command hook: reply larger than 6 MB",
			is:   ErrReplyTooLarge,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := invokeCommand(t, "hook", "hook", Command{Argv: tt.argv}, testEvent)
			if err == nil || err.Error() != tt.want {
				t.Fatalf("Invoke = %v\nwant error %q", err, tt.want)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error is not %v", tt.is)
			}
		})
	}
}

// tailOfLines is the last n bytes of lines "line 0" to "line count-1"
// joined by spaces, as a failure shows a command's standard error.
func tailOfLines(count, n int) string {
	lines := make([]string, count)
	for i := range lines {
		lines[i] = "line " + strconv.Itoa(i)
	}
	s := strings.Join(lines, " ")
	return s[len(s)-n:]
}

func TestCommandTimeoutKillsProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	c := Command{
		Argv: []string{"sh", "-c", `sleep 30 & echo $! > "$PID_FILE"; sleep 30`},
		Env:  map[string]string{"PID_FILE": pidFile},
		// Long enough for the shell to start and write the pid file on a
		// busy machine.
		Timeout: time.Second,
	}
	_, elapsed, err := invokeCommand(t, "slow", "slow", c, testEvent)
	if err == nil || err.Error() != "command slow: timed out after 1s" || !errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke = %v", err)
	}
	if elapsed > 3*time.Second {
		t.Errorf("took %s", elapsed)
	}
	assertGone(t, pidFile)
}

func TestCommandLeftoversKilled(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	c := Command{
		Argv: []string{"sh", "-c", `sleep 30 & echo $! > "$PID_FILE"; echo '{"hookStatus":"SUCCEEDED"}'`},
		Env:  map[string]string{"PID_FILE": pidFile},
	}
	reply, elapsed, err := invokeCommand(t, "quick", "quick", c, testEvent)
	if err != nil || string(reply) != "{\"hookStatus\":\"SUCCEEDED\"}\n" {
		t.Fatalf("Invoke = %q, %v", reply, err)
	}
	// The background sleep holds standard output open: the reply is taken
	// once waitDelay has passed.
	if elapsed > waitDelay+time.Second {
		t.Errorf("took %s", elapsed)
	}
	assertGone(t, pidFile)
}

func TestCommandIgnoringStdin(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 1<<20) // more than a pipe holds
	reply, _, err := invokeCommand(t, "h", "h", Command{Argv: []string{"echo", "ok"}}, big)
	if err != nil || string(reply) != "ok\n" {
		t.Fatalf("Invoke = %q, %v", reply, err)
	}
}

func TestCommandCanceled(t *testing.T) {
	inv := newInvoker(t, Config{Commands: map[string]Command{"h": {Argv: []string{"sleep", "30"}, Timeout: time.Minute}}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := inv.Invoke(ctx, "h", testEvent)
	if err == nil || err.Error() != "command h: context deadline exceeded" ||
		!errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke = %v, want the caller's deadline, not the hook timeout", err)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("took %s", elapsed)
	}
}

// assertGone waits briefly for the process whose pid is in pidFile to be
// gone (or a zombie awaiting its reaper).
func assertGone(t *testing.T, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		if syscall.Kill(pid, 0) != nil {
			return
		}
		if stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
			if f := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:])); len(f) > 0 && f[0] == "Z" {
				return
			}
		}
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("process %d outlived the hook", pid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
