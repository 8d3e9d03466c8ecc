package lbserver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/cutover/cutover/internal/lb"
)

// SocketName is the name of the admin socket in the data directory.
const SocketName = "admin.sock"

// DefaultShutdownTimeout is how long Run lets in-flight requests finish
// once its context ends.
const DefaultShutdownTimeout = 30 * time.Second

// ErrAlreadyRunning means another process serves the data directory's
// admin socket.
var ErrAlreadyRunning = errors.New("a load balancer already runs on this directory")

// Options configure Run.
type Options struct {
	// Dir holds config.json and admin.sock; it is created if missing.
	Dir string
	// Logger receives the process's logs; nil discards them.
	Logger *slog.Logger
	// ShutdownTimeout bounds the graceful shutdown (default 30s).
	ShutdownTimeout time.Duration
	// Balancer tunes the data plane; its Logger defaults to Logger.
	Balancer lb.Options
	// retryInterval is how often a persisted configuration that could
	// not be applied at startup is tried again, and an applied one that
	// could not be saved is saved again (default 1s).
	retryInterval time.Duration
}

// Run serves the load balancer until ctx ends, then shuts down
// gracefully: the listeners stop accepting and in-flight requests
// finish, within ShutdownTimeout. At startup it applies the persisted
// configuration, if any; when that fails (a port still taken) it logs
// and retries until it succeeds or the control plane pushes a newer one.
func Run(ctx context.Context, o Options) error {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.retryInterval <= 0 {
		o.retryInterval = time.Second
	}
	if o.Balancer.Logger == nil {
		o.Balancer.Logger = o.Logger
	}
	if o.Dir == "" {
		return errors.New("lb: no data directory")
	}
	if err := os.MkdirAll(o.Dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	sock := filepath.Join(o.Dir, SocketName)
	if err := removeStaleSocket(sock); err != nil {
		return err
	}
	cfg, persisted, err := loadConfig(o.Dir)
	if err != nil {
		return err
	}

	b := lb.New(o.Balancer)
	a := &admin{b: b, log: o.Logger, saver: newPersister(o.Dir, b.Config, o.retryInterval, o.Logger)}
	saveCtx, stopSaving := context.WithCancel(ctx)
	go a.saver.run(saveCtx)
	defer func() { stopSaving(); <-a.saver.done }() // its last save included
	if persisted {
		if err := b.Apply(cfg); err != nil {
			o.Logger.Error("apply persisted configuration; retrying", "version", cfg.Version, "error", err)
			go a.retry(ctx, cfg, o.retryInterval)
		} else {
			o.Logger.Info("serving persisted configuration", "version", cfg.Version)
		}
	}

	ln, err := net.Listen("unix", sock)
	if err != nil {
		_ = b.Close(context.Background())
		return fmt.Errorf("listen on admin socket: %w", err)
	}
	if err := os.Chmod(sock, 0o600); err != nil {
		ln.Close()
		_ = b.Close(context.Background())
		return fmt.Errorf("restrict admin socket: %w", err)
	}
	srv := &http.Server{Handler: a.handler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(o.Logger.Handler(), slog.LevelDebug),
		// Requests end with ctx: a health long poll does not hold up
		// the shutdown.
		BaseContext: func(net.Listener) context.Context { return ctx }}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	o.Logger.Info("load balancer running", "dir", o.Dir, "admin", sock)

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		serveErr = fmt.Errorf("admin API: %w", serveErr)
	}
	o.Logger.Info("shutting down", "timeout", o.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), o.ShutdownTimeout)
	defer cancel()
	if err := b.Close(sctx); err != nil {
		o.Logger.Warn("load balancer shutdown cut short", "error", err)
	}
	_ = srv.Shutdown(sctx)
	return serveErr
}

// retry applies a persisted configuration until it applies, a
// configuration is pushed through the admin API, or ctx ends.
func (a *admin) retry(ctx context.Context, cfg lb.Config, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		if a.pushed {
			a.mu.Unlock()
			return
		}
		err := a.b.Apply(cfg)
		a.mu.Unlock()
		if err == nil {
			a.log.Info("serving persisted configuration", "version", cfg.Version)
			return
		}
		a.log.Debug("apply persisted configuration", "version", cfg.Version, "error", err)
	}
}

// removeStaleSocket removes a socket file left by a process that died;
// it fails with ErrAlreadyRunning when a process still answers on it.
func removeStaleSocket(sock string) error {
	if _, err := os.Lstat(sock); err != nil {
		return nil
	}
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%w: %s", ErrAlreadyRunning, sock)
	}
	if err := os.Remove(sock); err != nil {
		return fmt.Errorf("remove stale admin socket: %w", err)
	}
	return nil
}
