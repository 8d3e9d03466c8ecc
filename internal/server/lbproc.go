package server

import (
	"context"
	"errors"
	"fmt"
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

// lbSupervisor keeps one `cutover lb` process serving for the data
// directory. The process runs in its own session, so that it keeps
// serving traffic while the control plane is stopped, killed or upgraded;
// a restarted control plane finds it on its admin socket and adopts it
// instead of starting another.
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

// ensure starts the data plane unless one already answers.
func (s *lbSupervisor) ensure(ctx context.Context) error {
	if s.ping(ctx) == nil {
		return nil
	}
	if sock := filepath.Join(s.dir, lbserver.SocketName); len(sock) >= maxSocketPath {
		return fmt.Errorf("the load balancer's admin socket %s is longer than the %d bytes a unix socket path may have: use a shorter --data-dir", sock, maxSocketPath-1)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("create load balancer directory: %w", err)
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "lb.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open load balancer log: %w", err)
	}
	defer logf.Close()
	cmd := exec.Command(s.argv[0], append(s.argv[1:], "lb", "--dir", s.dir)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start load balancer: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }() // reap it if it dies while we run
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("load balancer exited at start (%v); see %s", err, filepath.Join(s.dir, "lb.log"))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if s.ping(ctx) == nil {
			s.log.Info("load balancer started", "pid", cmd.Process.Pid, "dir", s.dir)
			return nil
		}
	}
	return errors.New("load balancer did not answer on its admin socket within 10s")
}

func (s *lbSupervisor) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return s.client.Ping(ctx)
}

// run restarts the data plane whenever it stops answering, until ctx is
// done. The data plane itself is left running when run returns.
func (s *lbSupervisor) run(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !s.needed(ctx) {
			continue
		}
		if err := s.ensure(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("load balancer not running", "err", err)
		}
	}
}
