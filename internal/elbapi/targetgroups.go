package elbapi

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// createTargetGroup creates an HTTP target group of type instance or ip
// with ELBv2's health check defaults, or returns the one of that name
// when its protocol, port and target type are the same.
func (a *API) createTargetGroup(ctx context.Context, req *elbv2.CreateTargetGroupInput) (*elbv2.CreateTargetGroupOutput, error) {
	if err := checkName("target group", req.Name); err != nil {
		return nil, err
	}
	g := elbv2.TargetGroup{
		TargetGroupName:            req.Name,
		Protocol:                   req.Protocol,
		Port:                       req.Port,
		VpcId:                      req.VpcId,
		TargetType:                 cmp.Or(req.TargetType, elbv2.TargetTypeEnumInstance),
		ProtocolVersion:            cmp.Or(req.ProtocolVersion, "HTTP1"),
		IpAddressType:              cmp.Or(req.IpAddressType, elbv2.TargetGroupIpAddressTypeEnumIpv4),
		HealthCheckProtocol:        cmp.Or(req.HealthCheckProtocol, elbv2.ProtocolEnumHttp),
		HealthCheckPort:            cmp.Or(req.HealthCheckPort, state.DefaultHealthCheckPort),
		HealthCheckEnabled:         cmp.Or(req.HealthCheckEnabled, elbv2.Bool(true)),
		HealthCheckPath:            cmp.Or(req.HealthCheckPath, state.DefaultHealthCheckPath),
		HealthCheckIntervalSeconds: cmp.Or(req.HealthCheckIntervalSeconds, elbv2.Int32(state.DefaultHealthCheckInterval)),
		HealthCheckTimeoutSeconds:  cmp.Or(req.HealthCheckTimeoutSeconds, elbv2.Int32(state.DefaultHealthCheckTimeout)),
		HealthyThresholdCount:      cmp.Or(req.HealthyThresholdCount, elbv2.Int32(state.DefaultHealthyThreshold)),
		UnhealthyThresholdCount:    cmp.Or(req.UnhealthyThresholdCount, elbv2.Int32(state.DefaultUnhealthyThreshold)),
		Matcher:                    cmp.Or(req.Matcher, &elbv2.Matcher{HttpCode: state.DefaultMatcher}),
	}
	if err := checkTargetGroup(&g); err != nil {
		return nil, err
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	var out *state.TargetGroup
	var users map[string][]string
	err := a.update(ctx, func(tx state.Tx) error {
		old, err := tx.TargetGroupByName(req.Name)
		switch {
		case err == nil:
			if old.Protocol != g.Protocol || elbv2.Int32Value(old.Port) != elbv2.Int32Value(g.Port) || old.TargetType != g.TargetType {
				return apiErr(errDuplicateTargetGroupName, "A target group with the name '%s' already exists.", req.Name)
			}
			out = old
		case !errors.Is(err, store.ErrNotFound):
			return err
		default:
			out = &state.TargetGroup{TargetGroup: g, ID: a.newID(), Tags: req.Tags}
			out.TargetGroupArn = a.arns.ELBTargetGroup(req.Name, out.ID)
			if err := tx.PutTargetGroup(out); err != nil {
				return err
			}
		}
		users, err = tx.TargetGroupLoadBalancers()
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.CreateTargetGroupOutput{TargetGroups: []elbv2.TargetGroup{renderTargetGroup(out, users)}}, nil
}

// checkTargetGroup validates a target group's settings, with defaults
// applied: what cutover serves (HTTP, target types instance and ip,
// HTTP1 or HTTP2 to the targets) and the health check's consistency.
func checkTargetGroup(g *elbv2.TargetGroup) error {
	switch g.TargetType {
	case elbv2.TargetTypeEnumInstance, elbv2.TargetTypeEnumIp:
	default:
		return apiErr(errInvalidConfiguration, "cutover supports the target types instance and ip, not '%s'.", g.TargetType)
	}
	switch {
	case g.Protocol == "":
		return validation("A protocol must be specified for target type '%s'.", g.TargetType)
	case g.Protocol != elbv2.ProtocolEnumHttp:
		return apiErr(errInvalidConfiguration, "cutover target groups use HTTP, not '%s'.", g.Protocol)
	case g.Port == nil:
		return validation("A port must be specified for target type '%s'.", g.TargetType)
	}
	switch g.ProtocolVersion {
	case "HTTP1", "HTTP2":
	case "GRPC":
		return apiErr(errInvalidConfiguration, "cutover does not support the protocol version GRPC.")
	default:
		return validation("The protocol version '%s' is not valid: use HTTP1, HTTP2 or GRPC.", g.ProtocolVersion)
	}
	return checkHealthCheck(g)
}

// checkHealthCheck validates a target group's health check settings.
func checkHealthCheck(g *elbv2.TargetGroup) error {
	if g.HealthCheckProtocol != elbv2.ProtocolEnumHttp {
		return apiErr(errInvalidConfiguration, "cutover health checks use HTTP, not '%s'.", g.HealthCheckProtocol)
	}
	if g.HealthCheckPort != state.DefaultHealthCheckPort {
		if p, err := strconv.Atoi(g.HealthCheckPort); err != nil || p < 1 || p > 65535 {
			return validation("The health check port '%s' is not valid: use traffic-port or a port from 1 to 65535.", g.HealthCheckPort)
		}
	}
	if !strings.HasPrefix(g.HealthCheckPath, "/") {
		return validation("The health check path '%s' is not valid: it must begin with '/'.", g.HealthCheckPath)
	}
	if *g.HealthCheckTimeoutSeconds >= *g.HealthCheckIntervalSeconds {
		return validation("The health check timeout (%d s) must be smaller than the interval (%d s).", *g.HealthCheckTimeoutSeconds, *g.HealthCheckIntervalSeconds)
	}
	if g.Matcher.GrpcCode != "" {
		return apiErr(errInvalidConfiguration, "cutover does not support gRPC health check codes.")
	}
	if !validMatcher(g.Matcher.HttpCode) {
		return validation("The matcher '%s' is not valid: use codes from 200 to 499 such as 200, 200,202 or 200-299.", g.Matcher.HttpCode)
	}
	return nil
}

// validMatcher reports whether s is a list of HTTP codes and ranges of
// codes from 200 to 499: "200", "200,202", "200-299".
func validMatcher(s string) bool {
	code := func(c string) (int, bool) {
		n, err := strconv.Atoi(c)
		return n, err == nil && len(c) == 3 && n >= 200 && n <= 499
	}
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		l, ok := code(lo)
		if !ok {
			return false
		}
		if isRange {
			if h, ok := code(hi); !ok || h < l {
				return false
			}
		}
	}
	return true
}

// describeTargetGroups lists target groups by name: all of them, those
// of a load balancer, or those named by ARN or name.
func (a *API) describeTargetGroups(ctx context.Context, req *elbv2.DescribeTargetGroupsInput) (*elbv2.DescribeTargetGroupsOutput, error) {
	given := 0
	for _, set := range []bool{req.LoadBalancerArn != "", len(req.TargetGroupArns) > 0, len(req.Names) > 0} {
		if set {
			given++
		}
	}
	if given > 1 {
		return nil, validation("Only one of LoadBalancerArn, TargetGroupArns and Names can be specified.")
	}
	var groups []*state.TargetGroup
	var users map[string][]string
	err := a.view(ctx, func(tx state.Tx) error {
		var err error
		if users, err = tx.TargetGroupLoadBalancers(); err != nil {
			return err
		}
		for _, arn := range req.TargetGroupArns {
			g, err := targetGroup(tx, arn)
			if err != nil {
				return err
			}
			groups = append(groups, g)
		}
		for _, name := range req.Names {
			g, err := tx.TargetGroupByName(name)
			if err != nil {
				return notFound(err, apiErr(errTargetGroupNotFound, "Target group '%s' not found.", name))
			}
			groups = append(groups, g)
		}
		if req.LoadBalancerArn != "" {
			if _, err := loadBalancer(tx, req.LoadBalancerArn); err != nil {
				return err
			}
		}
		if given == 1 && req.LoadBalancerArn == "" {
			return nil
		}
		return tx.TargetGroups(func(g *state.TargetGroup) error {
			if req.LoadBalancerArn == "" || slices.Contains(users[g.TargetGroupArn], req.LoadBalancerArn) {
				groups = append(groups, g)
			}
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(groups, func(x, y *state.TargetGroup) int { return cmp.Compare(x.TargetGroupName, y.TargetGroupName) })
	groups = slices.CompactFunc(groups, func(x, y *state.TargetGroup) bool { return x.TargetGroupName == y.TargetGroupName })
	groups, next, err := page(groups, func(g *state.TargetGroup) string { return g.TargetGroupName }, req.Marker, req.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeTargetGroupsOutput{TargetGroups: []elbv2.TargetGroup{}, NextMarker: next}
	for _, g := range groups {
		out.TargetGroups = append(out.TargetGroups, renderTargetGroup(g, users))
	}
	return out, nil
}

// modifyTargetGroup changes a target group's health check settings.
func (a *API) modifyTargetGroup(ctx context.Context, req *elbv2.ModifyTargetGroupInput) (*elbv2.ModifyTargetGroupOutput, error) {
	var out *state.TargetGroup
	var users map[string][]string
	err := a.update(ctx, func(tx state.Tx) error {
		g, err := targetGroup(tx, req.TargetGroupArn)
		if err != nil {
			return err
		}
		g.HealthCheckProtocol = cmp.Or(req.HealthCheckProtocol, g.HealthCheckProtocol)
		g.HealthCheckPort = cmp.Or(req.HealthCheckPort, g.HealthCheckPort)
		g.HealthCheckPath = cmp.Or(req.HealthCheckPath, g.HealthCheckPath)
		g.HealthCheckEnabled = cmp.Or(req.HealthCheckEnabled, g.HealthCheckEnabled)
		g.HealthCheckIntervalSeconds = cmp.Or(req.HealthCheckIntervalSeconds, g.HealthCheckIntervalSeconds)
		g.HealthCheckTimeoutSeconds = cmp.Or(req.HealthCheckTimeoutSeconds, g.HealthCheckTimeoutSeconds)
		g.HealthyThresholdCount = cmp.Or(req.HealthyThresholdCount, g.HealthyThresholdCount)
		g.UnhealthyThresholdCount = cmp.Or(req.UnhealthyThresholdCount, g.UnhealthyThresholdCount)
		g.Matcher = cmp.Or(req.Matcher, g.Matcher)
		if err := checkHealthCheck(&g.TargetGroup); err != nil {
			return err
		}
		if users, err = tx.TargetGroupLoadBalancers(); err != nil {
			return err
		}
		out = g
		return tx.PutTargetGroup(g)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.ModifyTargetGroupOutput{TargetGroups: []elbv2.TargetGroup{renderTargetGroup(out, users)}}, nil
}

// deleteTargetGroup deletes a target group that no listener or rule
// forwards to. Deleting one that does not exist succeeds, as in AWS (the
// model gives the operation no not-found error).
func (a *API) deleteTargetGroup(ctx context.Context, req *elbv2.DeleteTargetGroupInput) (*elbv2.DeleteTargetGroupOutput, error) {
	if err := checkARN(req.TargetGroupArn, state.ELBTargetGroup, "target group"); err != nil {
		return nil, err
	}
	err := a.update(ctx, func(tx state.Tx) error {
		g, err := tx.TargetGroup(req.TargetGroupArn)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		users, err := tx.TargetGroupLoadBalancers()
		if err != nil {
			return err
		}
		if len(users[g.TargetGroupArn]) > 0 {
			return apiErr(errResourceInUse, "Target group '%s' is currently in use by a listener or a rule.", g.TargetGroupArn)
		}
		return tx.DeleteTargetGroup(g.TargetGroupName)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.DeleteTargetGroupOutput{}, nil
}
