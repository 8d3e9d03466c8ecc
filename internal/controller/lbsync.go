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
	// WaitHealth returns the generation of the health report once it
	// differs from after, or ctx's error; it may return an unchanged
	// generation after a while. followHealth long-polls it.
	WaitHealth(ctx context.Context, after uint64) (uint64, error)
}

var _ DataPlane = (*lb.Client)(nil)

// tableLBVersion holds the sequence that numbers data plane configurations,
// so that versions keep growing across restarts of the control plane.
const tableLBVersion = "lbversion"

// versionBlock is how many configuration versions one step of the
// tableLBVersion sequence reserves: block n is [n×versionBlock,
// (n+1)×versionBlock). A push takes the next version of the block in
// hand, so that it costs no write transaction (and no disk sync) of its
// own; a rollback's flip is two pushes in a row. Blocks never overlap,
// so versions still grow across restarts, which start a new block.
const versionBlock = 1024

// dataPlaneView is what the controller last read from the data plane.
type dataPlaneView struct {
	config lb.Config
	// health maps target group ARN and target to its state.
	health map[healthKey]lb.TargetHealth
	// versions is the block of versions in hand, carried from one view
	// to the next.
	versions versionRange
}

// versionRange is the reserved versions not used yet: [next, end).
type versionRange struct{ next, end uint64 }

type healthKey struct {
	group string
	host  string
	port  int
}

// syncDataPlane pushes the configuration compiled from the store when it
// differs from what the data plane serves, then reads back the served
// configuration and target health for this pass. It reports whether it
// pushed.
func (c *Controller) syncDataPlane(ctx context.Context) (pushed bool, err error) {
	if c.dataPlane == nil {
		return false, nil
	}
	want, err := compileDataPlane(ctx, c.store, c.lbAddress, c.certs)
	if err != nil {
		return false, err
	}
	last := c.plane.Load()
	if last == nil && len(want.Listeners) == 0 && len(want.TargetGroups) == 0 {
		return false, nil // no load balancing configured, and none ever served
	}
	served, err := c.dataPlane.Config(ctx)
	if err != nil {
		return false, fmt.Errorf("read data plane config: %w", err)
	}
	want.Version = served.Version
	var versions versionRange
	if last != nil {
		versions = last.versions
	}
	if !sameConfig(want, served) {
		if want.Version, err = c.nextVersion(ctx, &versions, served.Version); err != nil {
			return false, err
		}
		if err := c.dataPlane.Apply(ctx, want); err != nil {
			return false, fmt.Errorf("apply data plane config version %d: %w", want.Version, err)
		}
		c.log.Info("data plane configured", "version", want.Version)
		served, pushed = want, true
	}
	health, err := c.dataPlane.Health(ctx)
	if err != nil {
		return pushed, fmt.Errorf("read target health: %w", err)
	}
	view := &dataPlaneView{config: served, health: make(map[healthKey]lb.TargetHealth, len(health)), versions: versions}
	for _, h := range health {
		view.health[healthKey{h.TargetGroupARN, h.Target.Host, h.Target.Port}] = h
	}
	c.plane.Store(view)
	return pushed, nil
}

// nextVersion returns the version of the next configuration pushed to a
// data plane that serves version served: the next one of r, once r holds
// versions above served, reserving a new block when it does not.
func (c *Controller) nextVersion(ctx context.Context, r *versionRange, served uint64) (uint64, error) {
	if r.next <= served || r.next >= r.end {
		err := c.store.Update(ctx, func(tx store.Tx) error {
			n, err := tx.NextSequence(tableLBVersion)
			r.next, r.end = n*versionBlock, (n+1)*versionBlock
			return err
		})
		if err != nil {
			*r = versionRange{}
			return 0, fmt.Errorf("reserve data plane config versions: %w", err)
		}
	}
	// A data plane ahead of every block (configured by hand, say) is
	// still given a version above its own.
	v := max(r.next, served+1)
	r.next = v + 1
	return v, nil
}

// compileDataPlane returns the data plane configuration st holds, for a
// data plane that binds listeners on lbAddress, without a version.
func compileDataPlane(ctx context.Context, st store.Store, lbAddress string, certs state.CertificateFiles) (cfg lb.Config, err error) {
	err = st.View(ctx, func(tx store.Tx) (err error) {
		cfg, err = state.Tx{Tx: tx}.LBConfig(lbAddress, 0, certs)
		return err
	})
	if err != nil {
		return lb.Config{}, fmt.Errorf("compile data plane config: %w", err)
	}
	return cfg, nil
}

// sameConfig reports whether want, whose version is served's, is what
// served is.
func sameConfig(want, served lb.Config) bool {
	return reflect.DeepEqual(normalize(want), normalize(served))
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
