package process

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// Defaults for Config fields left zero.
const (
	// DefaultLogMaxBytes is the size at which a container log is rotated.
	DefaultLogMaxBytes = 1 << 20
	// DefaultStartTimeout bounds how long Start waits for the shim.
	DefaultStartTimeout = 30 * time.Second
	// minLogMaxBytes keeps rotation from degenerating.
	minLogMaxBytes = 1024
)

// Config configures a process Driver.
type Config struct {
	// Dir is the state directory; it holds one directory per task and
	// must survive restarts of the control plane for tasks to be adopted.
	Dir string
	// ShimCommand is the argv prefix that runs ShimMain; the task
	// directory is appended as the last argument. Default: the running
	// executable followed by "shim".
	ShimCommand []string
	// ShimEnv is added ("KEY=value") to the shim's environment only: the
	// shim removes these keys before it starts containers. Tests use it
	// to make a re-executed test binary run ShimMain.
	ShimEnv []string
	// Logger receives the driver's logs; nil discards them.
	Logger *slog.Logger
	// LogMaxBytes is the size at which a container's log file is rotated
	// (one previous file is kept). Default DefaultLogMaxBytes.
	LogMaxBytes int64
	// StartTimeout bounds how long Start waits for the shim to launch the
	// containers that wait for no dependency. Default DefaultStartTimeout.
	StartTimeout time.Duration
	// BaseDir is the directory a relative container WorkingDir is taken
	// from. Default: the working directory of the calling process.
	BaseDir string
}

// Driver is the process runtime driver. It keeps no state of its own
// beyond the state directory, so a new Driver over the same directory
// adopts the tasks of an earlier one. Its methods are safe for concurrent
// use. One control plane at a time should use a state directory.
type Driver struct {
	cfg    Config
	logger *slog.Logger

	// mu serializes creating and removing tasks, so that port
	// allocation and the existence checks are consistent.
	mu sync.Mutex
	// starting holds, per task being started by this driver, a channel
	// closed once its shim has launched the containers (or failed).
	starting map[string]chan struct{}
	// reconcileMu serializes finalizing tasks whose shim died.
	reconcileMu sync.Mutex
}

var _ runtime.Driver = (*Driver)(nil)

// New returns a Driver over cfg.Dir, creating the directory if needed.
// Tasks left by an earlier driver are adopted: those still running are
// reported as they are, those whose shim died are finalized as stopped
// and their leftover processes killed.
func New(cfg Config) (*Driver, error) {
	if cfg.Dir == "" {
		return nil, errors.New("new process driver: empty state directory")
	}
	dir, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, fmt.Errorf("new process driver: %w", err)
	}
	cfg.Dir = dir
	if cfg.BaseDir == "" {
		if cfg.BaseDir, err = os.Getwd(); err != nil {
			return nil, fmt.Errorf("new process driver: %w", err)
		}
	}
	if len(cfg.ShimCommand) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("new process driver: find executable for the shim: %w", err)
		}
		cfg.ShimCommand = []string{exe, "shim"}
	}
	cfg.ShimCommand = slices.Clone(cfg.ShimCommand)
	cfg.ShimEnv = slices.Clone(cfg.ShimEnv)
	for _, kv := range cfg.ShimEnv {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return nil, fmt.Errorf("new process driver: shim environment entry %q is not KEY=value", kv)
		}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.LogMaxBytes == 0 {
		cfg.LogMaxBytes = DefaultLogMaxBytes
	}
	cfg.LogMaxBytes = max(cfg.LogMaxBytes, minLogMaxBytes)
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = DefaultStartTimeout
	}
	if err := os.MkdirAll(filepath.Join(dir, tasksDirName), 0o700); err != nil {
		return nil, fmt.Errorf("new process driver: %w", err)
	}
	d := &Driver{
		cfg:      cfg,
		logger:   cfg.Logger.With("driver", "process", "dir", dir),
		starting: make(map[string]chan struct{}),
	}
	if err := d.adopt(); err != nil {
		return nil, fmt.Errorf("new process driver: %w", err)
	}
	return d, nil
}

// adopt cleans up half-created and half-removed task directories and
// reconciles every task, logging what it found.
func (d *Driver) adopt() error {
	unlock, err := d.lockDir()
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(d.tasksDir())
	if err == nil {
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				if err := os.RemoveAll(filepath.Join(d.tasksDir(), e.Name())); err != nil {
					d.logger.Warn("remove leftover directory", "name", e.Name(), "err", err)
				}
			}
		}
	}
	unlock()
	if err != nil {
		return fmt.Errorf("read tasks: %w", err)
	}
	ids, err := d.taskIDs()
	if err != nil {
		return err
	}
	for _, id := range ids {
		st, err := d.inspect(id)
		if err != nil {
			d.logger.Warn("adopt task", "task", id, "err", err)
			continue
		}
		d.logger.Info("adopted task", "task", id, "state", st.State)
	}
	return nil
}

// tasksDir is the directory holding one directory per task.
func (d *Driver) tasksDir() string { return filepath.Join(d.cfg.Dir, tasksDirName) }

// paths returns the paths of the task id, which must be a valid name.
func (d *Driver) paths(id string) taskPaths {
	return taskPaths{dir: filepath.Join(d.tasksDir(), id)}
}

// taskIDs lists the tasks in the state directory, sorted.
func (d *Driver) taskIDs() ([]string, error) {
	entries, err := os.ReadDir(d.tasksDir())
	if err != nil {
		return nil, fmt.Errorf("read tasks: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && runtime.ValidName(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	return ids, nil
}

// lockDir takes the exclusive lock of the state directory, which guards
// creating and removing task directories across processes. The returned
// function releases it.
func (d *Driver) lockDir() (func(), error) {
	f, err := os.OpenFile(filepath.Join(d.cfg.Dir, dirLockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open state directory lock: %w", err)
	}
	if err := lockExclusive(f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("lock state directory: %w", err)
	}
	return func() { _ = f.Close() }, nil
}

// taskExists reports whether the task id exists in the state directory.
func (d *Driver) taskExists(id string) (bool, error) {
	if !runtime.ValidName(id) {
		return false, nil
	}
	ok, err := fileExists(d.paths(id).spec())
	if err != nil {
		return false, fmt.Errorf("stat task %q: %w", id, err)
	}
	return ok, nil
}

// signalShim sends sig to the shim with the given pid, but only while the
// task's shim is alive, so that a reused pid is never signalled: the
// process handle is taken first and the shim is known to have lived past
// that moment, hence the handle is the shim.
func signalShim(p taskPaths, pid int, sig syscall.Signal) error {
	if pid <= 0 {
		return nil
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		return nil
	}
	defer func() { _ = proc.Release() }()
	alive, probe, err := probeShim(p.lock())
	if err != nil {
		return err
	}
	probe.close()
	if !alive {
		return nil
	}
	if err := proc.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signal shim %d: %w", pid, err)
	}
	return nil
}

// isNotExist reports whether err means a file is missing.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
