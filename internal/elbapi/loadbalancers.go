package elbapi

import (
	"cmp"
	"context"
	"errors"
	"slices"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// createLoadBalancer creates an application load balancer, or returns the
// one of that name when its settings are the same.
func (a *API) createLoadBalancer(ctx context.Context, req *elbv2.CreateLoadBalancerInput) (*elbv2.CreateLoadBalancerOutput, error) {
	if err := checkName("load balancer", req.Name); err != nil {
		return nil, err
	}
	if req.Type != "" && req.Type != elbv2.LoadBalancerTypeEnumApplication {
		return nil, apiErr(errInvalidConfiguration, "cutover serves application load balancers only, not type '%s'.", req.Type)
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	want := state.LoadBalancer{LoadBalancer: elbv2.LoadBalancer{
		LoadBalancerName: req.Name,
		Scheme:           cmp.Or(req.Scheme, elbv2.LoadBalancerSchemeEnumInternetFacing),
		Type:             elbv2.LoadBalancerTypeEnumApplication,
		IpAddressType:    cmp.Or(req.IpAddressType, elbv2.IpAddressTypeIpv4),
		State:            &elbv2.LoadBalancerState{Code: elbv2.LoadBalancerStateEnumActive},
		SecurityGroups:   req.SecurityGroups,
	}}
	for _, s := range req.Subnets {
		want.AvailabilityZones = append(want.AvailabilityZones, elbv2.AvailabilityZone{SubnetId: s})
	}
	for _, m := range req.SubnetMappings {
		want.AvailabilityZones = append(want.AvailabilityZones, elbv2.AvailabilityZone{SubnetId: m.SubnetId})
	}
	var out *state.LoadBalancer
	err := a.update(ctx, func(tx state.Tx) error {
		old, err := tx.LoadBalancerByName(req.Name)
		switch {
		case err == nil:
			if old.Scheme != want.Scheme || old.IpAddressType != want.IpAddressType {
				return apiErr(errDuplicateLoadBalancerName, "A load balancer with the name '%s' already exists.", req.Name)
			}
			out = old
			return nil
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
		out = &want
		out.ID = a.newID()
		out.LoadBalancerArn = a.arns.ELBLoadBalancer(req.Name, out.ID)
		out.CreatedTime = elbv2.TimeOf(a.now())
		out.Tags = req.Tags
		return tx.PutLoadBalancer(out)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.CreateLoadBalancerOutput{LoadBalancers: []elbv2.LoadBalancer{a.renderLoadBalancer(out)}}, nil
}

// describeLoadBalancers lists load balancers by name, all of them or
// those named by ARN or name.
func (a *API) describeLoadBalancers(ctx context.Context, req *elbv2.DescribeLoadBalancersInput) (*elbv2.DescribeLoadBalancersOutput, error) {
	if len(req.LoadBalancerArns) > 0 && len(req.Names) > 0 {
		return nil, validation("Load balancer names and load balancer ARNs cannot be specified at the same time.")
	}
	var lbs []*state.LoadBalancer
	err := a.view(ctx, func(tx state.Tx) error {
		for _, arn := range req.LoadBalancerArns {
			l, err := loadBalancer(tx, arn)
			if err != nil {
				return err
			}
			lbs = append(lbs, l)
		}
		for _, name := range req.Names {
			l, err := tx.LoadBalancerByName(name)
			if err != nil {
				return notFound(err, apiErr(errLoadBalancerNotFound, "Load balancer '%s' not found.", name))
			}
			lbs = append(lbs, l)
		}
		if len(req.LoadBalancerArns) > 0 || len(req.Names) > 0 {
			return nil
		}
		return tx.LoadBalancers(func(l *state.LoadBalancer) error {
			lbs = append(lbs, l)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(lbs, func(x, y *state.LoadBalancer) int { return cmp.Compare(x.LoadBalancerName, y.LoadBalancerName) })
	lbs = slices.CompactFunc(lbs, func(x, y *state.LoadBalancer) bool { return x.LoadBalancerName == y.LoadBalancerName })
	lbs, next, err := page(lbs, func(l *state.LoadBalancer) string { return l.LoadBalancerName }, req.Marker, req.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeLoadBalancersOutput{LoadBalancers: []elbv2.LoadBalancer{}, NextMarker: next}
	for _, l := range lbs {
		out.LoadBalancers = append(out.LoadBalancers, a.renderLoadBalancer(l))
	}
	return out, nil
}

// deleteLoadBalancer deletes a load balancer with its listeners and
// their rules, unless deletion protection is on.
func (a *API) deleteLoadBalancer(ctx context.Context, req *elbv2.DeleteLoadBalancerInput) (*elbv2.DeleteLoadBalancerOutput, error) {
	err := a.update(ctx, func(tx state.Tx) error {
		l, err := loadBalancer(tx, req.LoadBalancerArn)
		if err != nil {
			return err
		}
		if l.Attributes[attrDeletionProtection] == "true" {
			return apiErr(errOperationNotPermitted, "Load balancer '%s' cannot be deleted because deletion protection is enabled.", req.LoadBalancerArn)
		}
		var listeners []*state.Listener
		if err := tx.Listeners(l.ID, func(ln *state.Listener) error {
			listeners = append(listeners, ln)
			return nil
		}); err != nil {
			return err
		}
		for _, ln := range listeners {
			if err := deleteListenerTx(tx, ln); err != nil {
				return err
			}
		}
		return tx.DeleteLoadBalancer(l.LoadBalancerName)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.DeleteLoadBalancerOutput{}, nil
}
