package server

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/lb/lbserver"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// maxSocketPath is the size of sun_path on Linux, terminating NUL included.
const maxSocketPath = 108

// Supervision timing. A load balancer that dies is serving again within
// a second: the one this server started is restarted as soon as its exit
// is reaped; one adopted from a previous server (not our child, so its
// exit cannot be waited for) is pinged every lbPollEvery. A start that
// fails is retried with a backoff, so that a load balancer that cannot
// start (its directory read-only, say) is not spawned ten times a
// second.
const (
	lbPollEvery     = 100 * time.Millisecond
	lbRetryMin      = 500 * time.Millisecond
	lbRetryMax      = 10 * time.Second
	lbStartTimeout  = 10 * time.Second
	lbStartPollTick = 10 * time.Millisecond
)

// lbSupervisor keeps one `cutover lb` process serving for the data
// directory. The process runs in its own session, so that it keeps
// serving traffic while the control plane is stopped, killed or upgraded;
// a restarted control plane finds it on its admin socket and adopts it
// instead of starting another. A restarted process serves the
// configuration it persisted (lbserver's config.json) before it answers
// on its admin socket, so it needs nothing from the control plane to
// route as before.
type lbSupervisor struct {
	// argv runs the cutover binary; "lb --dir DIR" is appended.
	argv   []string
	dir    string
	store  store.Store
	client *lb.Client
	log    *slog.Logger
}

func newLBSupervisor(dir string, st store.Store, log *slog.Logger) (*lbSupervisor, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find the cutover executable for the load balancer: %w", err)
	}
	return &lbSupervisor{
		argv:   []string{exe},
		dir:    dir,
		store:  st,
		client: lb.NewClient(filepath.Join(dir, lbserver.SocketName)),
		log:    log,
	}, nil
}

// needed reports whether any load balancer exists: the data plane is
// started with the first one, and kept from then on.
func (s *lbSupervisor) needed(ctx context.Context) bool {
	found := false
	err := state.View(ctx, s.store, func(tx state.Tx) error {
		return tx.LoadBalancers(func(*state.LoadBalancer) error {
			found = true
			return store.ErrStop
		})
	})
	return err == nil && found
}

// ensure starts the data plane unless one already answers. When it
// started one, it returns a channel that receives the process's exit.
func (s *lbSupervisor) ensure(ctx context.Context) (exited <-chan error, err error) {
	if s.ping(ctx) == nil {
		return nil, nil
	}
	if sock := filepath.Join(s.dir, lbserver.SocketName); len(sock) >= maxSocketPath {
		return nil, fmt.Errorf("the load balancer's admin socket %s is longer than the %d bytes a unix socket path may have: use a shorter --data-dir", sock, maxSocketPath-1)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("create load balancer directory: %w", err)
	}
	cmd := exec.Command(s.argv[0], append(s.argv[1:], "lb", "--dir", s.dir)...)
	logPath := filepath.Join(s.dir, "lb.log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		// A log that cannot be opened (the data directory read-only)
		// must not keep the traffic down: run without it.
		s.log.Warn("load balancer log unavailable; its output is discarded", "err", err)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
	} else {
		defer logf.Close()
		cmd.Stdout, cmd.Stderr = logf, logf
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start load balancer: %w", err)
	}
	ch := make(chan error, 1)
	go func() { ch <- cmd.Wait() }() // reap it whenever it dies
	deadline := time.Now().Add(lbStartTimeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-ch:
			return nil, fmt.Errorf("load balancer exited at start (%v); see %s", err, logPath)
		case <-ctx.Done():
			return ch, ctx.Err()
		case <-time.After(lbStartPollTick):
		}
		if s.ping(ctx) == nil {
			s.log.Info("load balancer started", "pid", cmd.Process.Pid, "dir", s.dir)
			return ch, nil
		}
	}
	// Still starting, or hung: leave it to the next pass, which finds it
	// answering, or starts another that refuses to run beside it
	// (lbserver.ErrAlreadyRunning) while this one holds the socket.
	return ch, fmt.Errorf("load balancer did not answer on its admin socket within %v", lbStartTimeout)
}

func (s *lbSupervisor) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return s.client.Ping(ctx)
}

// run restarts the data plane whenever it stops answering, until ctx is
// done. The data plane itself is left running when run returns.
func (s *lbSupervisor) run(ctx context.Context) {
	t := time.NewTicker(lbPollEvery)
	defer t.Stop()
	var (
		exited <-chan error // the process this server started, if any
		retry  time.Duration
		next   time.Time // no start before, after a failed one
	)
	for {
		if time.Now().After(next) && s.needed(ctx) {
			ch, err := s.ensure(ctx)
			if ch != nil {
				exited = ch
			}
			switch {
			case err == nil:
				retry, next = 0, time.Time{}
			case ctx.Err() == nil:
				retry = min(max(2*retry, lbRetryMin), lbRetryMax)
				next = time.Now().Add(retry)
				s.log.Error("load balancer not running", "err", err, "retry_in", retry)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case err := <-exited:
			exited = nil
			s.log.Warn("load balancer exited; restarting it", "err", err)
		}
	}
}
