package controller

import (
	"context"
	"log/slog"
	"time"

	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// MirrorConfig configures Mirror.
type MirrorConfig struct {
	Store     store.Store
	DataPlane DataPlane
	// LBAddress is the address the data plane binds listeners on.
	LBAddress    string
	Certificates state.CertificateFiles
	// Interval between two looks at the store; zero means 250ms.
	Interval time.Duration
	Logger   *slog.Logger
}

// Mirror keeps a data plane serving what the store holds while another
// server's controller writes it: that server leads, this one follows
// (several servers on one PostgreSQL store). Every Interval it compiles
// the configuration (listeners, rules, weights, the targets registered
// and draining) and pushes it when the data plane serves another. The
// leader's controller decides; the mirror only follows, so that a data
// plane beside a follower routes as the leader's does, within Interval.
// It runs until ctx is done, and must not run beside a Controller on the
// same data plane.
func Mirror(ctx context.Context, cfg MirrorConfig) {
	if cfg.Interval == 0 {
		cfg.Interval = 250 * time.Millisecond
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := time.NewTicker(cfg.Interval)
	defer t.Stop()
	var failing bool // so that a lasting failure is logged once
	for {
		err := mirrorOnce(ctx, cfg, log)
		if err != nil && !failing && ctx.Err() == nil {
			log.Warn("mirror the data plane", "err", err)
		}
		failing = err != nil
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// mirrorOnce pushes the configuration the store holds to the data plane,
// if it serves another. The version only has to grow for this data
// plane, so it is the served one's next, with no write to the store
// (a follower cannot write).
func mirrorOnce(ctx context.Context, cfg MirrorConfig, log *slog.Logger) error {
	want, err := compileDataPlane(ctx, cfg.Store, cfg.LBAddress, cfg.Certificates)
	if err != nil {
		return err
	}
	served, err := cfg.DataPlane.Config(ctx)
	if err != nil {
		if len(want.Listeners) == 0 && len(want.TargetGroups) == 0 {
			return nil // no load balancer, and no data plane started for none
		}
		return err
	}
	want.Version = served.Version
	if sameConfig(want, served) {
		return nil
	}
	want.Version = served.Version + 1
	if err := cfg.DataPlane.Apply(ctx, want); err != nil {
		return err
	}
	log.Info("data plane configured from the store", "version", want.Version)
	return nil
}
