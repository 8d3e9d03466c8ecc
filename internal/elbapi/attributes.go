package elbapi

import (
	"context"
	"maps"
	"strconv"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
)

// attribute is a known attribute: its default and the values cutover
// accepts.
type attribute struct {
	key, def string
	// valid reports whether v is accepted; nil accepts only the default,
	// for attributes cutover shows but does not implement.
	valid func(v string) bool
}

// intBetween accepts integers from lo to hi.
func intBetween(lo, hi int) func(string) bool {
	return func(v string) bool {
		n, err := strconv.Atoi(v)
		return err == nil && n >= lo && n <= hi
	}
}

// isBool accepts true and false.
func isBool(v string) bool { return v == "true" || v == "false" }

const attrDeletionProtection = "deletion_protection.enabled"

// targetGroupAttributes are the attributes of an HTTP target group, in
// the order they are described. Only the deregistration delay changes
// behaviour; the others keep their defaults.
var targetGroupAttributes = []attribute{
	{state.AttrDeregistrationDelay, strconv.Itoa(state.DefaultDeregistrationDelaySec), intBetween(0, 3600)},
	{"stickiness.enabled", "false", nil},
	{"stickiness.type", "lb_cookie", nil},
	{"stickiness.lb_cookie.duration_seconds", "86400", intBetween(1, 604800)},
	{"slow_start.duration_seconds", "0", nil},
	{"load_balancing.algorithm.type", "round_robin", nil},
}

// loadBalancerAttributes are the attributes of a load balancer, in the
// order they are described. Deletion protection is honoured; the idle
// timeout is kept for the data plane, which does not read it yet.
var loadBalancerAttributes = []attribute{
	{attrDeletionProtection, "false", isBool},
	{"idle_timeout.timeout_seconds", "60", intBetween(1, 4000)},
	{"routing.http2.enabled", "true", isBool},
	{"access_logs.s3.enabled", "false", nil},
}

// setAttributes applies changes (key, value pairs, in request order) to
// the explicit attributes set, checking each against known. It returns
// the new set.
func setAttributes(known []attribute, set map[string]string, changes [][2]string) (map[string]string, error) {
	out := maps.Clone(set)
	if out == nil {
		out = map[string]string{}
	}
	for _, kv := range changes {
		k, v := kv[0], kv[1]
		i := -1
		for j := range known {
			if known[j].key == k {
				i = j
			}
		}
		switch {
		case i < 0:
			return nil, validation("The attribute key '%s' is not recognized.", k)
		case known[i].valid == nil && v != known[i].def:
			return nil, apiErr(errInvalidConfiguration, "cutover supports only the value '%s' of attribute '%s'.", known[i].def, k)
		case known[i].valid != nil && !known[i].valid(v):
			return nil, validation("The value '%s' of attribute '%s' is not valid.", v, k)
		}
		out[k] = v
	}
	return out, nil
}

// describeAttributes returns every known attribute, explicit values
// replacing defaults.
func describeAttributes(known []attribute, set map[string]string) [][2]string {
	out := make([][2]string, 0, len(known))
	for _, a := range known {
		v, ok := set[a.key]
		if !ok {
			v = a.def
		}
		out = append(out, [2]string{a.key, v})
	}
	return out
}

func tgAttrs(set map[string]string) []elbv2.TargetGroupAttribute {
	out := []elbv2.TargetGroupAttribute{}
	for _, kv := range describeAttributes(targetGroupAttributes, set) {
		out = append(out, elbv2.TargetGroupAttribute{Key: kv[0], Value: kv[1]})
	}
	return out
}

func lbAttrs(set map[string]string) []elbv2.LoadBalancerAttribute {
	out := []elbv2.LoadBalancerAttribute{}
	for _, kv := range describeAttributes(loadBalancerAttributes, set) {
		out = append(out, elbv2.LoadBalancerAttribute{Key: kv[0], Value: kv[1]})
	}
	return out
}

// describeTargetGroupAttributes returns a target group's attributes.
func (a *API) describeTargetGroupAttributes(ctx context.Context, req *elbv2.DescribeTargetGroupAttributesInput) (*elbv2.DescribeTargetGroupAttributesOutput, error) {
	var g *state.TargetGroup
	err := a.view(ctx, func(tx state.Tx) error {
		var err error
		g, err = targetGroup(tx, req.TargetGroupArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.DescribeTargetGroupAttributesOutput{Attributes: tgAttrs(g.Attributes)}, nil
}

// modifyTargetGroupAttributes changes a target group's attributes.
func (a *API) modifyTargetGroupAttributes(ctx context.Context, req *elbv2.ModifyTargetGroupAttributesInput) (*elbv2.ModifyTargetGroupAttributesOutput, error) {
	var changes [][2]string
	for _, kv := range req.Attributes {
		changes = append(changes, [2]string{kv.Key, kv.Value})
	}
	var g *state.TargetGroup
	err := a.update(ctx, func(tx state.Tx) error {
		var err error
		if g, err = targetGroup(tx, req.TargetGroupArn); err != nil {
			return err
		}
		if g.Attributes, err = setAttributes(targetGroupAttributes, g.Attributes, changes); err != nil {
			return err
		}
		return tx.PutTargetGroup(g)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.ModifyTargetGroupAttributesOutput{Attributes: tgAttrs(g.Attributes)}, nil
}

// describeLoadBalancerAttributes returns a load balancer's attributes.
func (a *API) describeLoadBalancerAttributes(ctx context.Context, req *elbv2.DescribeLoadBalancerAttributesInput) (*elbv2.DescribeLoadBalancerAttributesOutput, error) {
	var l *state.LoadBalancer
	err := a.view(ctx, func(tx state.Tx) error {
		var err error
		l, err = loadBalancer(tx, req.LoadBalancerArn)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.DescribeLoadBalancerAttributesOutput{Attributes: lbAttrs(l.Attributes)}, nil
}

// modifyLoadBalancerAttributes changes a load balancer's attributes.
func (a *API) modifyLoadBalancerAttributes(ctx context.Context, req *elbv2.ModifyLoadBalancerAttributesInput) (*elbv2.ModifyLoadBalancerAttributesOutput, error) {
	var changes [][2]string
	for _, kv := range req.Attributes {
		changes = append(changes, [2]string{kv.Key, kv.Value})
	}
	var l *state.LoadBalancer
	err := a.update(ctx, func(tx state.Tx) error {
		var err error
		if l, err = loadBalancer(tx, req.LoadBalancerArn); err != nil {
			return err
		}
		if l.Attributes, err = setAttributes(loadBalancerAttributes, l.Attributes, changes); err != nil {
			return err
		}
		return tx.PutLoadBalancer(l)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.ModifyLoadBalancerAttributesOutput{Attributes: lbAttrs(l.Attributes)}, nil
}
