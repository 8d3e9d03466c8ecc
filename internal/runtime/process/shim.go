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
// The shim starts the task's containers, each once its dependencies
// hold, supervises them until all have exited and records their state in
// the task directory. It stops the task on SIGTERM or SIGINT, when an
// essential container exits or when a dependency can never hold.
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

	ctrs    []*container
	byName  map[string]*container
	exits   chan exitEvent
	healths chan healthEvent

	// Fields below are used only by the goroutine running run.
	stopping bool
	// state is written to state.json on every change.
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
	if err := validateSpec(tf.Spec); err != nil {
		s.close()
		return nil, fmt.Errorf("read spec: %w", err)
	}
	s.spec, s.logMax = tf.Spec, max(tf.LogMaxBytes, minLogMaxBytes)
	s.logger = logger.With("task", tf.Spec.ID)
	s.exits = make(chan exitEvent, len(tf.Spec.Containers))
	s.healths = make(chan healthEvent)
	s.byName = make(map[string]*container, len(tf.Spec.Containers))
	for i, cs := range tf.Spec.Containers {
		c := newContainer(i, cs, s.baseEnv, p.dir)
		s.ctrs = append(s.ctrs, c)
		s.byName[cs.Name] = c
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

// run supervises the task from start to finish: one loop that launches
// what may be launched, stops what may be stopped, and waits for the next
// event (an exit, a health change, a signal) until no container runs.
func (s *shim) run() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	s.persist() // records ShimPID only once signals are handled
	s.logger.Info("shim started", "pid", os.Getpid(), "containers", len(s.ctrs))
	if ok, _ := fileExists(s.paths.stop()); ok {
		s.beginStop(reasonUserStop)
	}

	running := 0
	for {
		running += s.launchReady(sigs)
		if s.stopping {
			s.stopUnblocked()
		}
		// Start returns once what waits for nothing is launched.
		s.notifyReady()
		if running == 0 {
			break
		}
		select {
		case ev := <-s.exits:
			running--
			s.onExit(ev)
		case ev := <-s.healths:
			s.onHealth(ev)
		case sig := <-sigs:
			s.logger.Info("received signal", "signal", sig.String())
			s.beginStop(reasonUserStop)
		}
	}
	s.finish()
}

// launchReady launches, in spec order, each container not launched yet
// whose dependencies hold, until no more can be, and returns how many it
// launched. A container whose dependencies can never hold is not started
// and stops the task. Once the task is stopping nothing more is launched.
func (s *shim) launchReady(sigs <-chan os.Signal) int {
	launched := 0
	for progress := true; progress && !s.stopping; {
		progress = false
		for _, c := range s.ctrs {
			select {
			case <-sigs:
				s.beginStop(reasonUserStop)
			default:
			}
			if s.stopping {
				break
			}
			if s.state.Status.Containers[c.index].State != runtime.StatePending {
				continue
			}
			ok, err := s.dependenciesMet(c)
			switch {
			case err != nil:
				reason := "CannotStartContainerError: " + err.Error()
				s.notStarted(c, reason)
				s.beginStop(reason)
			case ok:
				if s.start(c) {
					launched++
				}
			default:
				continue // waits
			}
			progress = true
		}
	}
	s.markLaunched()
	return launched
}

// start launches container c and reports whether it runs. A container
// that fails to start is recorded as such and, if essential, stops the
// task.
func (s *shim) start(c *container) bool {
	err := s.launch(c)
	if err == nil {
		return true
	}
	s.logger.Error("start container", "container", c.spec.Name, "err", err)
	reason := "CannotStartContainerError: " + err.Error()
	s.notStarted(c, reason)
	if c.spec.Essential {
		s.beginStop(reason)
	}
	return false
}

// notStarted records that container c will never run, for reason.
func (s *shim) notStarted(c *container, reason string) {
	s.update(func(st *stateFile) {
		cs := &st.Status.Containers[c.index]
		cs.State, cs.Reason, cs.StoppedAt = runtime.StateStopped, reason, time.Now().UTC()
	})
}

// markLaunched records, once no container is left to launch, that every
// container has been launched; the task is RUNNING unless it is stopping.
// Once the task is stopping, the containers not launched yet never will
// be.
func (s *shim) markLaunched() {
	if s.state.Launched {
		return
	}
	for _, c := range s.ctrs {
		if s.state.Status.Containers[c.index].State != runtime.StatePending {
			continue
		}
		if !s.stopping {
			return // waits for its dependencies
		}
		s.notStarted(c, reasonNotStarted)
	}
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

// beginStop records that the task is stopping, for reason: nothing more
// is launched, and the run loop stops the running containers, each
// (SIGTERM, SIGKILL after its StopTimeout) once its dependents have
// exited. Only the first call has an effect.
func (s *shim) beginStop(reason string) {
	if s.stopping {
		return
	}
	s.stopping = true
	s.logger.Info("stopping task", "reason", reason)
	s.update(func(st *stateFile) { st.Status.StoppedReason = reason })
}

// onHealth records a container's new health while it runs.
func (s *shim) onHealth(ev healthEvent) {
	c := s.ctrs[ev.index]
	s.logger.Info("container health changed", "container", c.spec.Name, "health", ev.health)
	s.update(func(st *stateFile) {
		if cs := &st.Status.Containers[c.index]; cs.State == runtime.StateRunning {
			cs.Health = ev.health
		}
	})
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
	if s.state.Finished {
		return
	}
	fn(&s.state)
	s.persist()
}

// persist writes the state file.
func (s *shim) persist() {
	if err := writeJSON(s.paths.state(), s.state); err != nil {
		s.logger.Error("write state", "err", err)
	}
}
