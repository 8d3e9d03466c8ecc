package process

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cutover/cutover/internal/runtime"
)

// logDrainTimeout bounds how long the shim waits, after the last
// container exited, for the containers' output pipes to be drained. A
// process that escaped its container's process group may keep a pipe
// open forever.
const logDrainTimeout = 2 * time.Second

// ShimMain runs the supervisor of one task and returns the process exit
// code. args is the task directory, as the driver invokes the shim:
// "<ShimCommand...> <task dir>". The cutover binary calls it for its
// hidden "shim" subcommand; tests call it from TestMain when re-executed
// with the environment set in Config.ShimEnv.
//
// The shim starts the task's containers, supervises them until all have
// exited and records their state in the task directory. It stops the task
// on SIGTERM or SIGINT, or when an essential container exits.
func ShimMain(args []string) int {
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if len(args) != 1 || args[0] == "" {
		logger.Error("usage: shim <task directory>", "args", args)
		return 2
	}
	s, err := newShim(args[0], logger)
	if err != nil {
		logger.Error("start shim", "dir", args[0], "err", err)
		return 1
	}
	defer s.close()
	s.run()
	return 0
}

// shim supervises the containers of one task.
type shim struct {
	paths   taskPaths
	spec    runtime.TaskSpec
	logMax  int64
	logger  *slog.Logger
	baseEnv []string
	lock    *os.File // holds the task's shim.lock while the shim lives
	ready   *os.File // the driver's ready pipe; nil once notified

	ctrs  []*container
	exits chan exitEvent

	// Fields below are used only by the goroutine running run.
	stopping bool

	// mu guards state, which is written to state.json on every change.
	mu    sync.Mutex
	state stateFile

	healthWG sync.WaitGroup
}

// newShim takes the task's lock, reads its spec and prepares the
// environment containers inherit.
func newShim(dir string, logger *slog.Logger) (*shim, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	p := taskPaths{dir: dir}
	lock, err := inheritedOrOpen(envShimLockFD, p.lock())
	if err != nil {
		return nil, fmt.Errorf("shim lock: %w", err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		_ = lock.Close()
		return nil, fmt.Errorf("lock %s (is another shim running?): %w", p.lock(), err)
	}
	s := &shim{paths: p, lock: lock, logger: logger}
	// A task is supervised once: a state file means an earlier shim ran
	// (and died, or finished), and its containers must not start again.
	if seen, err := fileExists(p.state()); err != nil || seen {
		s.close()
		return nil, fmt.Errorf("task in %s already had a shim (state file exists: %v, %v)", dir, seen, err)
	}
	if v := os.Getenv(envShimReadyFD); v != "" {
		if s.ready, err = inheritedOrOpen(envShimReadyFD, ""); err != nil {
			logger.Warn("ready pipe unusable", "err", err)
		}
	}
	for _, k := range strings.Split(os.Getenv(envShimUnset), ",") {
		if k != "" {
			_ = os.Unsetenv(k)
		}
	}
	for _, k := range []string{envShimLockFD, envShimReadyFD, envShimUnset} {
		_ = os.Unsetenv(k)
	}
	s.baseEnv = os.Environ()

	var tf taskFile
	if err := readJSON(p.spec(), &tf); err != nil {
		s.close()
		return nil, fmt.Errorf("read spec: %w", err)
	}
	s.spec, s.logMax = tf.Spec, max(tf.LogMaxBytes, minLogMaxBytes)
	s.logger = logger.With("task", tf.Spec.ID)
	s.exits = make(chan exitEvent, len(tf.Spec.Containers))
	for i, cs := range tf.Spec.Containers {
		s.ctrs = append(s.ctrs, newContainer(i, cs, s.baseEnv, p.dir))
	}
	s.state = stateFile{
		Version:        stateVersion,
		ShimPID:        os.Getpid(),
		ShimStartTicks: processStartTicks(os.Getpid()),
		Status:         initialStatus(tf.Spec),
	}
	s.state.Procs = make([]procRecord, len(tf.Spec.Containers))
	return s, nil
}

// inheritedOrOpen returns the file whose descriptor number is in the
// environment variable env, marked close-on-exec so containers do not
// inherit it; without the variable it opens (creating) path, if given.
func inheritedOrOpen(env, path string) (*os.File, error) {
	v := os.Getenv(env)
	if v == "" {
		if path == "" {
			return nil, errors.New("no descriptor given")
		}
		return os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	}
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, fmt.Errorf("%s=%q is not a descriptor", env, v)
	}
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return nil, fmt.Errorf("descriptor %d: %w", fd, err)
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), env), nil
}

// close releases the ready pipe and, last, the task's lock.
func (s *shim) close() {
	if s.ready != nil {
		_ = s.ready.Close()
		s.ready = nil
	}
	_ = s.lock.Close()
}

// run supervises the task from start to finish.
func (s *shim) run() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	s.mu.Lock()
	s.persistLocked() // records ShimPID only once signals are handled
	s.mu.Unlock()
	s.logger.Info("shim started", "pid", os.Getpid(), "containers", len(s.ctrs))
	if ok, _ := fileExists(s.paths.stop()); ok {
		s.beginStop(reasonUserStop)
	}

	running := s.launchAll(sigs)
	s.markLaunched()
	s.notifyReady()

	for running > 0 {
		select {
		case ev := <-s.exits:
			running--
			s.onExit(ev)
		case sig := <-sigs:
			s.logger.Info("received signal", "signal", sig.String())
			s.beginStop(reasonUserStop)
		}
	}
	s.finish()
}

// launchAll starts the containers in order and returns how many are
// running. It stops launching once the task is stopping (a stop request,
// or an essential container that failed to start).
func (s *shim) launchAll(sigs <-chan os.Signal) int {
	running := 0
	for _, c := range s.ctrs {
		select {
		case <-sigs:
			s.beginStop(reasonUserStop)
		default:
		}
		if s.stopping {
			break
		}
		if err := s.launch(c); err != nil {
			reason := fmt.Sprintf("CannotStartContainerError: %v", err)
			s.logger.Error("start container", "container", c.spec.Name, "err", err)
			s.update(func(st *stateFile) {
				cs := &st.Status.Containers[c.index]
				cs.State, cs.Reason, cs.StoppedAt = runtime.StateStopped, reason, time.Now().UTC()
			})
			if c.spec.Essential {
				s.beginStop(reason)
			}
			continue
		}
		running++
	}
	s.update(func(st *stateFile) {
		for i := range st.Status.Containers {
			if cs := &st.Status.Containers[i]; cs.State == runtime.StatePending {
				cs.State, cs.Reason, cs.StoppedAt = runtime.StateStopped, reasonNotStarted, time.Now().UTC()
			}
		}
	})
	return running
}

// markLaunched records that every container has been launched; the task
// is RUNNING unless it is already stopping.
func (s *shim) markLaunched() {
	s.update(func(st *stateFile) {
		st.Launched = true
		if !s.stopping {
			st.Status.State = runtime.StateRunning
			st.Status.StartedAt = time.Now().UTC()
		}
	})
}

// notifyReady tells the driver that Start may return.
func (s *shim) notifyReady() {
	if s.ready == nil {
		return
	}
	if _, err := s.ready.Write([]byte("ok\n")); err != nil {
		s.logger.Debug("notify driver", "err", err) // the driver went away
	}
	_ = s.ready.Close()
	s.ready = nil
}

// beginStop starts stopping the task: every running container's process
// group gets SIGTERM, and SIGKILL after the container's StopTimeout.
// Only the first call has an effect.
func (s *shim) beginStop(reason string) {
	if s.stopping {
		return
	}
	s.stopping = true
	s.logger.Info("stopping task", "reason", reason)
	s.update(func(st *stateFile) { st.Status.StoppedReason = reason })
	for _, c := range s.ctrs {
		if c.pid != 0 {
			c.stop(s.logger)
		}
	}
}

// onExit records a container's exit and stops the task if the container
// was essential.
func (s *shim) onExit(ev exitEvent) {
	c := s.ctrs[ev.index]
	c.cancelHealth()
	s.logger.Info("container exited", "container", c.spec.Name, "exitCode", ev.exitCode, "reason", ev.reason)
	s.update(func(st *stateFile) {
		cs := &st.Status.Containers[c.index]
		code := ev.exitCode
		cs.State, cs.ExitCode, cs.Reason, cs.StoppedAt = runtime.StateStopped, &code, ev.reason, ev.at
	})
	if c.spec.Essential {
		s.beginStop(reasonEssentialExited)
	}
}

// finish waits for the health checks to end, kills what is left in the
// shim's session, waits for the log copies and writes the final state.
func (s *shim) finish() {
	for _, c := range s.ctrs {
		c.cancelHealth()
	}
	s.healthWG.Wait()
	// Like a container runtime, leave nothing behind: whatever the
	// containers started that left their process groups is killed.
	if n := killLeftoverSession(os.Getpid(), s.state.ShimStartTicks); n > 0 {
		s.logger.Info("killed leftover processes", "count", n)
	}
	deadline := time.NewTimer(logDrainTimeout)
	defer deadline.Stop()
	for _, c := range s.ctrs {
		c.drainLog(deadline.C)
	}
	s.update(func(st *stateFile) {
		st.Finished = true
		st.Status.State = runtime.StateStopped
		st.Status.StoppedAt = time.Now().UTC()
		if st.Status.StoppedReason == "" {
			st.Status.StoppedReason = reasonAllExited
		}
	})
	s.logger.Info("task stopped")
}

// update applies fn to the state and persists it. Nothing changes after
// the final state is written.
func (s *shim) update(fn func(*stateFile)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.Finished {
		return
	}
	fn(&s.state)
	s.persistLocked()
}

// persistLocked writes the state file; the caller holds s.mu.
func (s *shim) persistLocked() {
	if err := writeJSON(s.paths.state(), s.state); err != nil {
		s.logger.Error("write state", "err", err)
	}
}
