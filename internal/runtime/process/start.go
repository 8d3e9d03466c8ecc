package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// errShimDied means the shim exited before launching the containers.
var errShimDied = errors.New("shim exited before launching the containers")

// launch is a task whose shim this driver has just spawned.
type launch struct {
	ready *os.File      // read end of the shim's ready pipe
	done  chan struct{} // closed once the wait for ready is over
}

// Start launches the task, or returns the status of the task if it
// already exists. See runtime.Driver.
func (d *Driver) Start(ctx context.Context, spec runtime.TaskSpec) (runtime.TaskStatus, error) {
	if err := validateSpec(spec); err != nil {
		return runtime.TaskStatus{}, fmt.Errorf("start task %q: %w", spec.ID, err)
	}
	spec = d.absWorkingDirs(spec)
	if err := ctx.Err(); err != nil {
		return runtime.TaskStatus{}, fmt.Errorf("start task %q: %w", spec.ID, err)
	}
	l, waitOther, err := d.create(spec)
	if err != nil {
		return runtime.TaskStatus{}, fmt.Errorf("start task %q: %w", spec.ID, err)
	}
	if l == nil {
		// Known task: launch nothing, but if this driver is starting it
		// right now, answer once that start is done.
		if waitOther != nil {
			select {
			case <-waitOther:
			case <-ctx.Done():
				return runtime.TaskStatus{}, fmt.Errorf("start task %q: %w", spec.ID, ctx.Err())
			}
		}
		st, err := d.inspect(spec.ID)
		if err != nil {
			return runtime.TaskStatus{}, fmt.Errorf("start task %q: %w", spec.ID, err)
		}
		return st, nil
	}
	err = d.waitReady(ctx, spec.ID, l)
	if errors.Is(err, errShimDied) {
		d.discardFailedStart(spec.ID)
	}
	d.mu.Lock()
	delete(d.starting, spec.ID)
	close(l.done)
	d.mu.Unlock()
	if err != nil {
		return runtime.TaskStatus{}, fmt.Errorf("start task %q: %w", spec.ID, err)
	}
	st, err := d.inspect(spec.ID)
	if err != nil {
		return runtime.TaskStatus{}, fmt.Errorf("start task %q: %w", spec.ID, err)
	}
	d.logger.Info("started task", "task", spec.ID, "state", st.State)
	return st, nil
}

// create makes the task directory and spawns the shim. For a task that
// already exists it returns a nil launch and, if this driver is still
// starting that task, a channel closed when that start is over.
func (d *Driver) create(spec runtime.TaskSpec) (*launch, <-chan struct{}, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if ch, ok := d.starting[spec.ID]; ok {
		return nil, ch, nil
	}
	unlock, err := d.lockDir()
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	exists, err := d.taskExists(spec.ID)
	if err != nil {
		return nil, nil, err
	}
	if exists {
		return nil, nil, nil
	}
	spec = cloneSpec(spec)
	if err := d.assignHostPorts(&spec); err != nil {
		return nil, nil, err
	}
	lock, err := d.prepareDir(spec)
	if err != nil {
		return nil, nil, err
	}
	defer func() { _ = lock.Close() }()
	ready, err := d.spawnShim(d.paths(spec.ID), lock)
	if err != nil {
		if rmErr := os.RemoveAll(d.paths(spec.ID).dir); rmErr != nil {
			d.logger.Warn("remove task directory after failed start", "task", spec.ID, "err", rmErr)
		}
		return nil, nil, err
	}
	l := &launch{ready: ready, done: make(chan struct{})}
	d.starting[spec.ID] = l.done
	return l, nil, nil
}

// prepareDir builds the task directory under a temporary name (spec.json,
// logs/, a shim.lock locked by the returned file) and renames it into
// place, so that a task directory is never seen half-made and its lock is
// held from the start.
func (d *Driver) prepareDir(spec runtime.TaskSpec) (_ *os.File, err error) {
	tmp, err := os.MkdirTemp(d.tasksDir(), ".new-"+spec.ID+"-")
	if err != nil {
		return nil, fmt.Errorf("create task directory: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.RemoveAll(tmp)
		}
	}()
	p := taskPaths{dir: tmp}
	if err := os.Mkdir(p.logs(), 0o700); err != nil {
		return nil, fmt.Errorf("create logs directory: %w", err)
	}
	tf := taskFile{Version: stateVersion, Spec: spec, LogMaxBytes: d.cfg.LogMaxBytes, CreatedAt: time.Now().UTC()}
	if err := writeJSON(p.spec(), tf); err != nil {
		return nil, err
	}
	lock, err := os.OpenFile(p.lock(), os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create shim lock: %w", err)
	}
	if err := lockExclusive(lock); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("lock shim lock: %w", err)
	}
	if err := os.Rename(tmp, d.paths(spec.ID).dir); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("create task directory: %w", err)
	}
	return lock, nil
}

// spawnShim starts the shim for the task in p, detached in its own
// session with its output going to shim.log. The shim inherits lock (so
// the task's lock is held without a gap) and the write end of a pipe it
// writes to once the containers that wait for no dependency are
// launched; the read end is returned.
func (d *Driver) spawnShim(p taskPaths, lock *os.File) (*os.File, error) {
	logFile, err := os.OpenFile(p.shimLog(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open shim log: %w", err)
	}
	defer func() { _ = logFile.Close() }()
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create ready pipe: %w", err)
	}
	defer func() { _ = readyW.Close() }()

	argv := append(slices.Clone(d.cfg.ShimCommand), p.dir)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = p.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.ExtraFiles = []*os.File{lock, readyW} // fds 3 and 4
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	var unset []string
	for _, kv := range d.cfg.ShimEnv {
		k, _, _ := strings.Cut(kv, "=")
		unset = append(unset, k)
	}
	cmd.Env = append(os.Environ(), d.cfg.ShimEnv...)
	cmd.Env = append(cmd.Env,
		envShimLockFD+"=3",
		envShimReadyFD+"=4",
		envShimUnset+"="+strings.Join(unset, ","),
	)
	if err := cmd.Start(); err != nil {
		_ = readyR.Close()
		return nil, fmt.Errorf("start shim %q: %w", argv[0], err)
	}
	// Reap the shim if it exits while this process lives; once this
	// process is gone the shim is reparented and reaped by init.
	go func() { _ = cmd.Wait() }()
	d.logger.Debug("spawned shim", "taskDir", p.dir, "pid", cmd.Process.Pid)
	return readyR, nil
}

// waitReady waits until the shim reports the containers that wait for
// no dependency launched, the shim dies (errShimDied), StartTimeout
// passes or ctx is done.
func (d *Driver) waitReady(ctx context.Context, id string, l *launch) error {
	result := make(chan error, 1)
	go func() {
		var buf [16]byte
		n, err := l.ready.Read(buf[:])
		switch {
		case n > 0:
			result <- nil
		case err == nil || errors.Is(err, io.EOF):
			result <- errShimDied
		default:
			result <- err
		}
	}()
	timer := time.NewTimer(d.cfg.StartTimeout)
	defer timer.Stop()
	var err error
	select {
	case err = <-result:
	case <-ctx.Done():
		err = ctx.Err()
	case <-timer.C:
		err = fmt.Errorf("shim did not launch the containers within %s: %w", d.cfg.StartTimeout, context.DeadlineExceeded)
	}
	_ = l.ready.Close() // unblocks the reader if still waiting
	if errors.Is(err, errShimDied) {
		return fmt.Errorf("%w: %s", errShimDied, d.shimLogTail(id))
	}
	return err
}

// discardFailedStart finalizes a task whose shim died while starting
// (killing whatever it had launched) and deletes it, so that a retried
// Start begins afresh.
func (d *Driver) discardFailedStart(id string) {
	if _, err := d.inspect(id); err != nil {
		d.logger.Warn("inspect task after failed start", "task", id, "err", err)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.removeDir(id); err != nil {
		d.logger.Warn("remove task after failed start", "task", id, "err", err)
	}
}

// shimLogTail returns the end of the task's shim log, for error messages.
func (d *Driver) shimLogTail(id string) string {
	var buf bytes.Buffer
	if err := tailFiles(&buf, []string{d.paths(id).shimLog()}, 512); err != nil || buf.Len() == 0 {
		return "shim log is empty"
	}
	return "shim log: " + strings.TrimSpace(buf.String())
}

// cloneSpec deep-copies the parts of spec that Start modifies or keeps.
func cloneSpec(spec runtime.TaskSpec) runtime.TaskSpec {
	spec.Containers = slices.Clone(spec.Containers)
	for i := range spec.Containers {
		c := &spec.Containers[i]
		c.EntryPoint = slices.Clone(c.EntryPoint)
		c.Command = slices.Clone(c.Command)
		c.Ports = slices.Clone(c.Ports)
		c.Env = maps.Clone(c.Env)
		if c.HealthCheck != nil {
			hc := *c.HealthCheck
			hc.Command = slices.Clone(hc.Command)
			c.HealthCheck = &hc
		}
	}
	return spec
}

// absWorkingDirs returns spec with relative container working directories
// made absolute from Config.BaseDir: a task definition can name a
// directory of the project the server was started in.
func (d *Driver) absWorkingDirs(spec runtime.TaskSpec) runtime.TaskSpec {
	spec.Containers = slices.Clone(spec.Containers)
	for i, c := range spec.Containers {
		if c.WorkingDir != "" && !filepath.IsAbs(c.WorkingDir) {
			spec.Containers[i].WorkingDir = filepath.Join(d.cfg.BaseDir, c.WorkingDir)
		}
	}
	return spec
}
