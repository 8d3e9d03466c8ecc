package elbapi

import (
	"context"
	"slices"
	"strconv"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/lb"
	"github.com/cutover/cutover/internal/state"
)

// targetOf returns a request's target with its port defaulted to the
// target group's.
func targetOf(g *state.TargetGroup, d elbv2.TargetDescription) state.Target {
	port := elbv2.Int32Value(g.Port)
	if d.Port != nil {
		port = *d.Port
	}
	return state.Target{ID: d.Id, Port: port, AvailabilityZone: d.AvailabilityZone}
}

// sameTarget reports whether two targets are one registration.
func sameTarget(x, y state.Target) bool { return x.ID == y.ID && x.Port == y.Port }

// registerTargets registers targets with a target group; registering a
// target again is a no-op.
func (a *API) registerTargets(ctx context.Context, req *elbv2.RegisterTargetsInput) (*elbv2.RegisterTargetsOutput, error) {
	err := a.update(ctx, func(tx state.Tx) error {
		g, err := targetGroup(tx, req.TargetGroupArn)
		if err != nil {
			return err
		}
		for _, d := range req.Targets {
			if err := checkTargetID(g.TargetType, d.Id); err != nil {
				return err
			}
			t := targetOf(g, d)
			if !slices.ContainsFunc(g.Targets, func(o state.Target) bool { return sameTarget(o, t) }) {
				g.Targets = append(g.Targets, t)
			}
		}
		if len(g.Targets) > maxTargetsPerGroup {
			return apiErr(errTooManyTargets, "A target group can have at most %d targets.", maxTargetsPerGroup)
		}
		return tx.PutTargetGroup(g)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.RegisterTargetsOutput{}, nil
}

// deregisterTargets deregisters targets from a target group; the data
// plane drains them for the group's deregistration delay. A target that
// is not registered is an InvalidTarget error, as in AWS.
func (a *API) deregisterTargets(ctx context.Context, req *elbv2.DeregisterTargetsInput) (*elbv2.DeregisterTargetsOutput, error) {
	err := a.update(ctx, func(tx state.Tx) error {
		g, err := targetGroup(tx, req.TargetGroupArn)
		if err != nil {
			return err
		}
		for _, d := range req.Targets {
			t := targetOf(g, d)
			i := slices.IndexFunc(g.Targets, func(o state.Target) bool { return sameTarget(o, t) })
			if i < 0 {
				return apiErr(errInvalidTarget, "The target '%s' on port %d is not registered with target group '%s'.", t.ID, t.Port, g.TargetGroupArn)
			}
			g.Targets = slices.Delete(g.Targets, i, i+1)
		}
		return tx.PutTargetGroup(g)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.DeregisterTargetsOutput{}, nil
}

// Descriptions of the states DescribeTargetHealth reports without the
// data plane, as AWS words them.
const (
	descInitial       = "Target registration is in progress"
	descNotInUse      = "Target group is not configured to receive traffic from the load balancer"
	descNotRegistered = "Target is not registered to the target group"
)

// describeTargetHealth reports the health of a target group's targets:
// every registered target plus the ones the data plane still drains, or
// only the targets asked for. States come from Config.Health; a target it
// does not report is initial when a listener or rule forwards to the
// group and unused otherwise; a target asked for that is neither
// registered nor draining is unused (Target.NotRegistered).
func (a *API) describeTargetHealth(ctx context.Context, req *elbv2.DescribeTargetHealthInput) (*elbv2.DescribeTargetHealthOutput, error) {
	var g *state.TargetGroup
	inUse := false
	err := a.view(ctx, func(tx state.Tx) error {
		var err error
		if g, err = targetGroup(tx, req.TargetGroupArn); err != nil {
			return err
		}
		users, err := tx.TargetGroupLoadBalancers()
		inUse = len(users[g.TargetGroupArn]) > 0
		return err
	})
	if err != nil {
		return nil, err
	}
	var observed []lb.TargetHealth
	if a.health != nil {
		all, err := a.health(ctx)
		if err != nil {
			a.log.Warn("target health unavailable", "err", err)
			return nil, apiErr(errHealthUnavailable, "The health of the targets is unavailable: the load balancer cannot be reached.")
		}
		for _, h := range all {
			if h.TargetGroupARN == g.TargetGroupArn {
				observed = append(observed, h)
			}
		}
	}
	find := func(t state.Target) *lb.TargetHealth {
		for i := range observed {
			if observed[i].Target.Host == t.ID && observed[i].Target.Port == int(t.Port) {
				return &observed[i]
			}
		}
		return nil
	}
	registered := func(t state.Target) bool {
		return slices.ContainsFunc(g.Targets, func(o state.Target) bool { return sameTarget(o, t) })
	}
	var targets []state.Target
	if len(req.Targets) > 0 {
		for _, d := range req.Targets {
			targets = append(targets, targetOf(g, d))
		}
	} else {
		targets = slices.Clone(g.Targets)
		for _, h := range observed {
			t := state.Target{ID: h.Target.Host, Port: int32(h.Target.Port)}
			if !registered(t) {
				targets = append(targets, t)
			}
		}
	}
	out := &elbv2.DescribeTargetHealthOutput{TargetHealthDescriptions: []elbv2.TargetHealthDescription{}}
	for _, t := range targets {
		th := &elbv2.TargetHealth{}
		switch h := find(t); {
		case h != nil:
			th.State, th.Reason, th.Description = elbv2.TargetHealthStateEnum(h.State), elbv2.TargetHealthReasonEnum(h.Reason), h.Description
		case !registered(t):
			th.State, th.Reason, th.Description = elbv2.TargetHealthStateEnumUnused, elbv2.TargetHealthReasonEnumTargetNotRegistered, descNotRegistered
		case inUse:
			th.State, th.Reason, th.Description = elbv2.TargetHealthStateEnumInitial, elbv2.TargetHealthReasonEnumElbRegistrationInProgress, descInitial
		default:
			th.State, th.Reason, th.Description = elbv2.TargetHealthStateEnumUnused, elbv2.TargetHealthReasonEnumTargetNotInUse, descNotInUse
		}
		hcPort := g.HealthCheckPort
		if hcPort == state.DefaultHealthCheckPort || hcPort == "" {
			hcPort = strconv.Itoa(int(t.Port))
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbv2.TargetHealthDescription{
			Target:          &elbv2.TargetDescription{Id: t.ID, Port: elbv2.Int32(t.Port), AvailabilityZone: t.AvailabilityZone},
			HealthCheckPort: hcPort,
			TargetHealth:    th,
		})
	}
	return out, nil
}
