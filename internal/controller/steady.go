package controller

import (
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
)

// Most services, most of the time, are steady: their tasks run healthy,
// no deployment is under way, and a pass plans nothing for them. Planning
// decodes the service, its deployment and its tasks, which at a thousand
// services was most of an idle pass. So when a plan finds a service
// steady in a way that nothing but a stored change can disturb, the
// controller keeps the digest of what it read (state.ServiceDigest), and
// later passes compare digests instead of planning until it differs.

// steadyService is what is remembered of a steady service.
type steadyService struct {
	digest     uint64
	deployment string // the service's deployment when it was planned
}

// steadyDigest reports whether service k is remembered steady and what
// it read then; the pass compares that with the store.
func (c *Controller) steadyDigest(k serviceKey) (steadyService, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.steady[k]
	return s, ok
}

// stillSteady reports whether service k was steady and nothing it read
// has changed since.
func (c *Controller) stillSteady(tx state.Tx, k serviceKey) (bool, error) {
	s, ok := c.steadyDigest(k)
	if !ok {
		return false, nil
	}
	d, ok, err := tx.ServiceDigest(k.cluster, k.name, s.deployment)
	return err == nil && ok && d == s.digest, err
}

// rememberSteady remembers the service of sp as steady when its plan
// allows it, and forgets it otherwise.
func (c *Controller) rememberSteady(tx state.Tx, k serviceKey, sp *servicePass) error {
	var s steadyService
	ok := quiet(sp)
	if ok {
		var err error
		s.deployment = sp.svc.Deployment
		if s.digest, ok, err = tx.ServiceDigest(k.cluster, k.name, s.deployment); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.steady[k] = s
	} else {
		delete(c.steady, k)
	}
	return nil
}

// forgetSteady makes the next pass plan service k.
func (c *Controller) forgetSteady(k serviceKey) {
	c.mu.Lock()
	delete(c.steady, k)
	c.mu.Unlock()
}

// quiet reports whether a pass leaves the service alone and only a
// stored change can make a later one do otherwise: nothing to do and no
// time to wake at, an ACTIVE steady service without a load balancer
// (whose health comes from the data plane, not the store), no ongoing or
// superseded deployment, no alarm, no recent failure, and exactly the
// desired number of tasks, all running healthy.
func quiet(sp *servicePass) bool {
	in, p, svc := sp.in, sp.plan, sp.svc
	switch {
	case sp.changed(), len(p.Invoke) > 0, !p.WakeAt.IsZero():
		return false
	case svc.Status != state.ServiceActive, !svc.Steady, len(svc.LoadBalancers) > 0:
		return false
	case in.Deployment != nil && in.Deployment.Ongoing(), len(in.Superseded) > 0:
		return false
	case len(in.Alarms) > 0, len(in.Failures) > 0, len(in.Tasks) != in.DesiredCount:
		return false
	}
	for _, t := range in.Tasks {
		if !t.Running || t.Stopping || t.Health != deploy.Healthy || t.Revision != svc.Revision {
			return false
		}
	}
	return ecs.Int32Value(svc.DesiredCount) == int32(in.DesiredCount)
}
