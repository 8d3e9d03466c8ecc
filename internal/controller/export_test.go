package controller

import (
	"context"

	"github.com/cutover/cutover/internal/lb"
)

// balancerPlane is a real data plane running inside the test.
type balancerPlane struct{ b *lb.Balancer }

func (p balancerPlane) Apply(_ context.Context, cfg lb.Config) error { return p.b.Apply(cfg) }
func (p balancerPlane) Config(context.Context) (lb.Config, error)    { return p.b.Config(), nil }
func (p balancerPlane) Health(context.Context) ([]lb.TargetHealth, error) {
	return p.b.Health(), nil
}
func (p balancerPlane) WaitHealth(ctx context.Context, after uint64) (uint64, error) {
	return p.b.WaitHealth(ctx, after)
}

// InProcessPlane returns b as the data plane of the package's external
// tests.
func InProcessPlane(b *lb.Balancer) DataPlane { return balancerPlane{b} }
