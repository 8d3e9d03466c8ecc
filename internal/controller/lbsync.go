package controller

import (
	"context"
	"fmt"
	"reflect"

	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// DataPlane is the load balancer data plane as the controller drives it;
// lb.Client (the `cutover lb` process) implements it.
type DataPlane interface {
	// Apply makes cfg the data plane's configuration, atomically.
	Apply(ctx context.Context, cfg lb.Config) error
	// Config returns the configuration the data plane serves.
	Config(ctx context.Context) (lb.Config, error)
	// Health returns the health of every target.
	Health(ctx context.Context) ([]lb.TargetHealth, error)
}

var _ DataPlane = (*lb.Client)(nil)

// tableLBVersion holds the sequence that numbers data plane configurations,
// so that versions keep growing across restarts of the control plane.
const tableLBVersion = "lbversion"

// dataPlaneView is what the controller last read from the data plane.
type dataPlaneView struct {
	config lb.Config
	// health maps target group ARN and target to its state.
	health map[healthKey]lb.TargetHealth
}

type healthKey struct {
	group string
	host  string
	port  int
}

// syncDataPlane pushes the configuration compiled from the store when it
// differs from what the data plane serves, then reads back the served
// configuration and target health for this pass.
func (c *Controller) syncDataPlane(ctx context.Context) error {
	if c.dataPlane == nil {
		return nil
	}
	var want lb.Config
	err := c.store.View(ctx, func(tx store.Tx) (err error) {
		want, err = state.Tx{Tx: tx}.LBConfig(c.lbAddress, 0, c.certs)
		return err
	})
	if err != nil {
		return fmt.Errorf("compile data plane config: %w", err)
	}
	if c.plane == nil && len(want.Listeners) == 0 && len(want.TargetGroups) == 0 {
		return nil // no load balancing configured, and none ever served
	}
	served, err := c.dataPlane.Config(ctx)
	if err != nil {
		return fmt.Errorf("read data plane config: %w", err)
	}
	want.Version = served.Version
	if !reflect.DeepEqual(normalize(want), normalize(served)) {
		err = c.store.Update(ctx, func(tx store.Tx) error {
			v, err := tx.NextSequence(tableLBVersion)
			want.Version = max(v, served.Version+1)
			return err
		})
		if err != nil {
			return err
		}
		if err := c.dataPlane.Apply(ctx, want); err != nil {
			return fmt.Errorf("apply data plane config version %d: %w", want.Version, err)
		}
		c.log.Info("data plane configured", "version", want.Version)
		served = want
	}
	health, err := c.dataPlane.Health(ctx)
	if err != nil {
		return fmt.Errorf("read target health: %w", err)
	}
	view := &dataPlaneView{config: served, health: make(map[healthKey]lb.TargetHealth, len(health))}
	for _, h := range health {
		view.health[healthKey{h.TargetGroupARN, h.Target.Host, h.Target.Port}] = h
	}
	c.plane = view
	return nil
}

// normalize makes empty and nil slices compare equal.
func normalize(cfg lb.Config) lb.Config {
	if len(cfg.Listeners) == 0 {
		cfg.Listeners = nil
	}
	if len(cfg.TargetGroups) == 0 {
		cfg.TargetGroups = nil
	}
	return cfg
}
