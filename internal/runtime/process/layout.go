package process

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// Names of the files in a task directory.
const (
	specFileName  = "spec.json"
	stateFileName = "state.json"
	lockFileName  = "shim.lock"
	stopFileName  = "stop"
	shimLogName   = "shim.log"
	logsDirName   = "logs"
	tasksDirName  = "tasks"
	dirLockName   = "driver.lock"
)

// Environment variables through which the driver talks to the shim. The
// shim removes them (and the keys listed in envShimUnset) from its own
// environment before it starts any container.
const (
	envShimLockFD  = "CUTOVER_SHIM_LOCK_FD"
	envShimReadyFD = "CUTOVER_SHIM_READY_FD"
	envShimUnset   = "CUTOVER_SHIM_UNSET"
)

// stateVersion is the version of the state and spec file formats.
const stateVersion = 1

// Stopped reasons recorded by the shim and the driver.
const (
	reasonEssentialExited = "Essential container in task exited"
	reasonAllExited       = "All containers in task exited"
	reasonUserStop        = "Task stopped by user"
	reasonShimDied        = "Task supervisor (shim) died unexpectedly; its containers were killed"
	reasonNotStarted      = "Container not started: task was stopping"
)

// taskFile is the content of spec.json: the spec as the shim must run it
// (host ports resolved) and the settings the driver chose for it.
type taskFile struct {
	Version     int              `json:"version"`
	Spec        runtime.TaskSpec `json:"spec"`
	LogMaxBytes int64            `json:"logMaxBytes"`
	CreatedAt   time.Time        `json:"createdAt"`
}

// stateFile is the content of state.json, written by the shim (and, for a
// shim that died, once by the driver).
type stateFile struct {
	Version int `json:"version"`
	// ShimPID is the shim's process id; signal it only while it holds
	// shim.lock.
	ShimPID int `json:"shimPid"`
	// ShimStartTicks is the shim's start time from /proc/<pid>/stat.
	ShimStartTicks uint64 `json:"shimStartTicks,omitempty"`
	// Launched is set once every container has been started or will
	// never be (it failed to start, its dependencies cannot be met, or
	// the task stopped first).
	Launched bool `json:"launched"`
	// Finished is set in the final state, written when every container
	// has exited; nothing changes the file afterwards.
	Finished bool `json:"finished"`
	// Status is the task as observed.
	Status runtime.TaskStatus `json:"status"`
	// Procs identifies each container's process (by index), so that a
	// leftover process group can be killed without hitting a reused pid.
	Procs []procRecord `json:"procs"`
}

// procRecord identifies a started container process.
type procRecord struct {
	PID int `json:"pid,omitempty"`
	// StartTicks is the process start time from /proc/<pid>/stat.
	StartTicks uint64 `json:"startTicks,omitempty"`
}

// taskPaths holds the paths of one task's files.
type taskPaths struct {
	dir string
}

func (p taskPaths) spec() string  { return filepath.Join(p.dir, specFileName) }
func (p taskPaths) state() string { return filepath.Join(p.dir, stateFileName) }
func (p taskPaths) lock() string  { return filepath.Join(p.dir, lockFileName) }
func (p taskPaths) stop() string  { return filepath.Join(p.dir, stopFileName) }
func (p taskPaths) shimLog() string {
	return filepath.Join(p.dir, shimLogName)
}
func (p taskPaths) logs() string { return filepath.Join(p.dir, logsDirName) }

// containerLog is the current log file of the named container; the
// previous one has the suffix ".1".
func (p taskPaths) containerLog(name string) string {
	return filepath.Join(p.dir, logsDirName, name+".log")
}

// readJSON decodes the JSON file at path into v. A missing file yields an
// error satisfying errors.Is(err, fs.ErrNotExist).
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// writeJSON replaces the file at path with v encoded as JSON, atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode %s: %w", path, err)
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// writeFileAtomic writes data to a temporary file next to path, syncs it
// and renames it over path, so readers see either the old or the new
// content, never a mix.
func writeFileAtomic(path string, data []byte) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			_ = f.Close()
			_ = os.Remove(f.Name())
		}
	}()
	if _, err = f.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("close %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("rename %s: %w", path, err)
	}
	return nil
}

// fileExists reports whether path exists.
func fileExists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, err
	}
}
