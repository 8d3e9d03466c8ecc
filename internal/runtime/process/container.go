package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// container is one container of the task, as the shim runs it.
type container struct {
	index   int
	spec    runtime.ContainerSpec
	env     []string
	workDir string

	// Used only by the shim's main goroutine.
	pid          int
	exited       chan struct{} // closed once the process has been reaped
	logDone      chan struct{} // closed once the output pipe is drained
	logPipe      *os.File      // read end of the output pipe
	cancelHealth context.CancelFunc
	stopping     bool // stop was called
}

// exitEvent reports that a container's process was reaped.
type exitEvent struct {
	index    int
	exitCode int
	reason   string
	at       time.Time
}

// newContainer prepares container i of a task whose directory is taskDir.
func newContainer(i int, cs runtime.ContainerSpec, baseEnv []string, taskDir string) *container {
	workDir := cs.WorkingDir // absolute: the driver resolved it
	if workDir == "" {
		workDir = taskDir
	}
	return &container{
		index:        i,
		spec:         cs,
		env:          containerEnv(baseEnv, cs),
		workDir:      workDir,
		exited:       make(chan struct{}),
		cancelHealth: func() {},
	}
}

// containerEnv is base, then the container's Env (sorted by key), then
// PORT (the first mapping's host port) and PORT_<containerPort> for each
// mapping. Later entries win over earlier ones with the same key.
func containerEnv(base []string, cs runtime.ContainerSpec) []string {
	env := slices.Clone(base)
	for _, k := range slices.Sorted(maps.Keys(cs.Env)) {
		env = append(env, k+"="+cs.Env[k])
	}
	if len(cs.Ports) > 0 {
		env = append(env, "PORT="+strconv.Itoa(cs.Ports[0].HostPort))
	}
	for _, p := range cs.Ports {
		env = append(env, "PORT_"+strconv.Itoa(p.ContainerPort)+"="+strconv.Itoa(p.HostPort))
	}
	return env
}

// lookupEnv returns the last value of key in env.
func lookupEnv(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// lookPath resolves file like a shell would, but with the container's
// PATH: names containing a slash are used as they are (relative to dir),
// others are searched in the directories of pathEnv.
func lookPath(file, pathEnv, dir string) (string, error) {
	if strings.Contains(file, "/") {
		return file, nil
	}
	for _, d := range filepath.SplitList(pathEnv) {
		if d == "" {
			d = "."
		}
		if !filepath.IsAbs(d) {
			d = filepath.Join(dir, d)
		}
		p := filepath.Join(d, file)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%q: executable file not found in $PATH", file)
}

// command builds an exec.Cmd for argv in the container's environment and
// working directory, in a process group of its own.
func (c *container) command(ctx context.Context, argv []string) (*exec.Cmd, error) {
	path, err := lookPath(argv[0], lookupEnv(c.env, "PATH"), c.workDir)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, path)
	cmd.Args = slices.Clone(argv)
	cmd.Env = c.env
	cmd.Dir = c.workDir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
}

// launch starts the container's process with its output going through a
// pipe into its log file, starts its health check, and records it. It is
// called by the shim's main goroutine.
func (s *shim) launch(c *container) error {
	logFile, err := openRotatingFile(s.paths.containerLog(c.spec.Name), s.logMax)
	if err != nil {
		return err
	}
	cmd, err := c.command(context.Background(), c.spec.Argv())
	if err != nil {
		fmt.Fprintf(logFile, "cutover: cannot start container: %v\n", err)
		_ = logFile.Close()
		return err
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		_ = logFile.Close()
		return fmt.Errorf("create output pipe: %w", err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	err = cmd.Start()
	_ = pw.Close()
	if err != nil {
		_ = pr.Close()
		fmt.Fprintf(logFile, "cutover: cannot start container: %v\n", err)
		_ = logFile.Close()
		return err
	}
	startedAt := time.Now().UTC()
	c.pid = cmd.Process.Pid
	c.logPipe, c.logDone = pr, make(chan struct{})
	go copyLog(s.logger.With("container", c.spec.Name), logFile, pr, c.logDone)
	go s.wait(c, cmd)

	s.update(func(st *stateFile) {
		cs := &st.Status.Containers[c.index]
		cs.State, cs.PID, cs.StartedAt = runtime.StateRunning, c.pid, startedAt
		st.Procs[c.index] = procRecord{PID: c.pid, StartTicks: processStartTicks(c.pid)}
	})
	s.logger.Info("container started", "container", c.spec.Name, "pid", c.pid)
	if hasHealthCheck(c.spec) {
		ctx, cancel := context.WithCancel(context.Background())
		c.cancelHealth = cancel
		s.healthWG.Add(1)
		go func() {
			defer s.healthWG.Done()
			s.runHealth(ctx, c, startedAt)
		}()
	}
	return nil
}

// wait reaps the container's process, kills whatever is left of its
// process group and reports the exit to the main loop.
func (s *shim) wait(c *container, cmd *exec.Cmd) {
	err := cmd.Wait()
	at := time.Now().UTC()
	_ = syscall.Kill(-c.pid, syscall.SIGKILL)
	close(c.exited)
	ev := exitEvent{index: c.index, at: at}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		ev.exitCode, ev.reason = -1, fmt.Sprintf("wait for container: %v", err)
	} else if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		// Reported as a shell (and Docker) would: 128 + signal number.
		ev.exitCode = 128 + int(ws.Signal())
		ev.reason = fmt.Sprintf("Container terminated by signal %d (%s)", int(ws.Signal()), ws.Signal())
	} else {
		ev.exitCode = cmd.ProcessState.ExitCode()
	}
	s.exits <- ev
}

// stop sends SIGTERM to the container's process group and, unless the
// container exits first, SIGKILL after its StopTimeout. Only the first
// call has an effect.
func (c *container) stop(logger *slog.Logger) {
	if c.stopping {
		return
	}
	c.stopping = true
	select {
	case <-c.exited:
		return
	default:
	}
	timeout := c.spec.StopTimeout
	if timeout <= 0 {
		timeout = runtime.DefaultStopTimeout
	}
	_ = syscall.Kill(-c.pid, syscall.SIGTERM)
	go func() {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		select {
		case <-c.exited:
		case <-timer.C:
			logger.Info("stop timeout passed; killing container", "container", c.spec.Name, "timeout", timeout)
			_ = syscall.Kill(-c.pid, syscall.SIGKILL)
		}
	}()
}

// drainLog waits until the container's output is copied or deadline
// fires; after the deadline it closes the pipe to end the copy.
func (c *container) drainLog(deadline <-chan time.Time) {
	if c.logDone == nil {
		return
	}
	select {
	case <-c.logDone:
		return
	case <-deadline:
	}
	_ = c.logPipe.Close()
	<-c.logDone
}

// copyLog copies a container's output from r to its log file until EOF
// (or until r is closed), then closes both. It keeps reading after a
// write error so the container never blocks on a full pipe.
func copyLog(logger *slog.Logger, w io.WriteCloser, r io.ReadCloser, done chan<- struct{}) {
	defer close(done)
	defer func() { _ = r.Close() }()
	defer func() { _ = w.Close() }()
	buf := make([]byte, 32<<10)
	failed := false
	for {
		n, err := r.Read(buf)
		if n > 0 && !failed {
			if _, werr := w.Write(buf[:n]); werr != nil {
				logger.Error("write container log; dropping further output", "err", werr)
				failed = true
			}
		}
		if err != nil {
			return
		}
	}
}
