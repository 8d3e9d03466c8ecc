package process

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"syscall"
)

// procStat is what the driver needs from /proc/<pid>/stat.
type procStat struct {
	state      byte
	pgrp       int
	session    int
	startTicks uint64
}

// readProcStat parses /proc/<pid>/stat. A process that does not exist
// yields an error satisfying errors.Is(err, fs.ErrNotExist).
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) is in parentheses and may contain
	// anything, so parse from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: no command name", pid)
	}
	fields := bytes.Fields(b[i+2:])
	// fields[0] is field 3 (state); pgrp is field 5, session field 6,
	// starttime field 22.
	if len(fields) < 20 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %d fields", pid, len(fields))
	}
	pgrp, err := strconv.Atoi(string(fields[2]))
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat pgrp: %w", pid, err)
	}
	session, err := strconv.Atoi(string(fields[3]))
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat session: %w", pid, err)
	}
	start, err := strconv.ParseUint(string(fields[19]), 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat starttime: %w", pid, err)
	}
	return procStat{state: fields[0][0], pgrp: pgrp, session: session, startTicks: start}, nil
}

// processStartTicks returns the start time of pid, or 0 if unknown.
func processStartTicks(pid int) uint64 {
	st, err := readProcStat(pid)
	if err != nil {
		return 0
	}
	return st.startTicks
}

// killLeftoverGroup sends SIGKILL to the process group a container
// started as pid, unless pid now belongs to a different process (its
// start time differs from the recorded one). It reports whether a signal
// was sent.
func killLeftoverGroup(rec procRecord) bool {
	if rec.PID <= 1 {
		return false
	}
	st, err := readProcStat(rec.PID)
	switch {
	case err == nil:
		if rec.StartTicks != 0 && st.startTicks != rec.StartTicks {
			return false // the pid was reused by an unrelated process
		}
	case errors.Is(err, fs.ErrNotExist):
		// The leader is gone; members of its group may remain, and the
		// group id cannot have been reused while they exist.
	default:
		return false
	}
	return syscall.Kill(-rec.PID, syscall.SIGKILL) == nil
}

// killLeftoverSession sends SIGKILL to every process still in the session
// of a dead shim (the shim started its session, so the session id is its
// pid): containers, their children and health checks, including any the
// shim started but had not recorded yet. The shim also calls it on itself
// before finishing. Nothing is killed if the shim's
// pid now belongs to another process (start time differs from
// shimStart), since the session id may then be reused. It returns how
// many processes were signalled.
func killLeftoverSession(shimPID int, shimStart uint64) int {
	if shimPID <= 1 {
		return 0
	}
	// Only a shim sweeps its own session; anyone else never sweeps the
	// session it is in, whatever a state file says.
	self, err := readProcStat(os.Getpid())
	if err != nil || (self.session == shimPID && os.Getpid() != shimPID) {
		return 0
	}
	if st, err := readProcStat(shimPID); err == nil && st.startTicks != shimStart {
		return 0
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	killed := 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == shimPID || pid == os.Getpid() {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil || st.session != shimPID || st.state == 'Z' {
			continue
		}
		if syscall.Kill(pid, syscall.SIGKILL) == nil {
			killed++
		}
	}
	return killed
}

// lockProbe is the result of probing a task's shim lock.
type lockProbe struct {
	f *os.File
}

// probeShim reports whether the shim of the task whose lock file is at
// path is alive: the shim holds an exclusive flock on it for its whole
// life. When the shim is dead the returned probe holds a shared lock,
// which keeps a concurrent prober of this process from thinking the shim
// alive only because of the probe; release it with close. A missing lock
// file counts as a dead shim.
func probeShim(path string) (alive bool, probe *lockProbe, err error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return false, &lockProbe{}, nil
	}
	if err != nil {
		return false, nil, fmt.Errorf("open shim lock: %w", err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB)
		if !errors.Is(err, syscall.EINTR) {
			break
		}
	}
	switch {
	case err == nil:
		return false, &lockProbe{f: f}, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		_ = f.Close()
		return true, nil, nil
	default:
		_ = f.Close()
		return false, nil, fmt.Errorf("lock shim lock: %w", err)
	}
}

// close releases the probe's lock.
func (p *lockProbe) close() {
	if p != nil && p.f != nil {
		_ = p.f.Close()
	}
}

// lockExclusive takes an exclusive flock on f, waiting for it.
func lockExclusive(f *os.File) error {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if !errors.Is(err, syscall.EINTR) {
			return err
		}
	}
}
