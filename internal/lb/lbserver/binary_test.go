package lbserver

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cutover/cutover/internal/lb"
)

// lockedBuffer collects a process's output for the test log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// buildCutover builds the real cutover binary into a temp directory.
func buildCutover(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the cutover binary")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain in PATH")
	}
	bin := filepath.Join(t.TempDir(), "cutover")
	cmd := exec.Command(gobin, "build", "-o", bin, "github.com/cutover/cutover/cmd/cutover")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// lbProcess is a running `cutover lb`.
type lbProcess struct {
	cmd *exec.Cmd
	// exited is closed once the process was reaped; cmd.ProcessState
	// may be read after that.
	exited chan struct{}
}

// wait waits up to d for the process to exit.
func (p *lbProcess) wait(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("cutover lb did not exit within %v", d)
	}
}

// startLB starts `cutover lb --dir dir` and waits for its admin socket.
func startLB(t *testing.T, bin, dir string) *lbProcess {
	t.Helper()
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "lb", "--dir", dir, "--log-level", "debug")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	t.Cleanup(func() {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("cutover lb output:\n%s", out.String())
		}
	})
	c := lb.NewClient(filepath.Join(dir, SocketName))
	defer c.Close()
	deadline := time.Now().Add(20 * time.Second)
	for c.Ping(context.Background()) != nil {
		select {
		case <-exited:
			t.Fatalf("cutover lb exited: %v\n%s", cmd.ProcessState, out.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("cutover lb never answered on its admin socket\n%s", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	return &lbProcess{cmd: cmd, exited: exited}
}

func TestBinarySurvivesKill9(t *testing.T) {
	bin := buildCutover(t)
	dir := t.TempDir()
	addr := freeAddr(t)
	tgt := backendTarget(t, "served", nil)

	first := startLB(t, bin, dir)
	c := lb.NewClient(filepath.Join(dir, SocketName))
	defer c.Close()
	if err := c.Apply(context.Background(), testConfig(1, addr, tgt)); err != nil {
		t.Fatal(err)
	}
	waitBody(t, "http://"+addr+"/", "served")
	waitSaved(t, dir, 1) // saved after the push is answered

	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.wait(t, 10*time.Second)

	second := startLB(t, bin, dir) // the stale socket file is still there
	waitBody(t, "http://"+addr+"/", "served")
	if cfg, err := c.Config(context.Background()); err != nil || cfg.Version != 1 {
		t.Errorf("after the restart GET /config = version %d, %v", cfg.Version, err)
	}

	if err := second.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	second.wait(t, 10*time.Second)
	if code := second.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("exit code after SIGTERM = %d, want 0", code)
	}
	if _, err := os.Stat(filepath.Join(dir, SocketName)); err == nil {
		t.Error("the admin socket is left behind after SIGTERM")
	}
}
