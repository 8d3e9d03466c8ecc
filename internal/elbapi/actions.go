package elbapi

import (
	"regexp"
	"slices"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
)

// Bounds of forward actions.
const (
	maxWeight             = 999
	maxForwardGroups      = 5
	defaultForwardWeight  = 1
	maxFixedResponseBytes = 1024
)

var (
	// statusCode matches the status code of a fixed response.
	statusCode = regexp.MustCompile(`^[245][0-9][0-9]$`)
	// fixedContentTypes are the content types a fixed response may have.
	fixedContentTypes = []string{"text/plain", "text/css", "text/html", "application/javascript", "application/json"}
)

// checkActions validates the actions of a listener's default rule or of
// a rule of load balancer lbARN and returns them as ELBv2 stores and
// shows them. cutover serves exactly one action, forward or
// fixed-response. A forward action names one to five existing target
// groups (TargetGroupArn, ForwardConfig.TargetGroups, or both naming the
// same single group) with weights 0–999 (default 1), and is shown with
// both forms when it has one group, as AWS does. A target group can be
// used by one load balancer only (TargetGroupAssociationLimit).
func checkActions(tx state.Tx, lbARN string, actions []elbv2.Action) ([]elbv2.Action, error) {
	if len(actions) == 0 {
		return nil, validation("At least one action must be specified.")
	}
	if len(actions) > 1 {
		return nil, apiErr(errInvalidAction, "cutover supports one action per rule (forward or fixed-response); %d were given.", len(actions))
	}
	act := actions[0]
	switch act.Type {
	case elbv2.ActionTypeEnumForward:
		fwd, err := checkForward(tx, lbARN, act)
		if err != nil {
			return nil, err
		}
		return []elbv2.Action{fwd}, nil
	case elbv2.ActionTypeEnumFixedResponse:
		fr, err := checkFixedResponse(act)
		if err != nil {
			return nil, err
		}
		return []elbv2.Action{fr}, nil
	case "":
		return nil, validation("An action must have a Type.")
	default:
		return nil, apiErr(errInvalidAction, "cutover supports the forward and fixed-response actions, not '%s'.", act.Type)
	}
}

// checkForward validates and normalizes a forward action.
func checkForward(tx state.Tx, lbARN string, act elbv2.Action) (elbv2.Action, error) {
	var groups []elbv2.TargetGroupTuple
	if act.ForwardConfig != nil {
		groups = slices.Clone(act.ForwardConfig.TargetGroups)
		if s := act.ForwardConfig.TargetGroupStickinessConfig; s != nil && elbv2.BoolValue(s.Enabled) {
			return elbv2.Action{}, apiErr(errInvalidConfiguration, "cutover does not support target group stickiness.")
		}
	}
	switch {
	case act.TargetGroupArn != "" && len(groups) == 0:
		groups = []elbv2.TargetGroupTuple{{TargetGroupArn: act.TargetGroupArn}}
	case act.TargetGroupArn != "" && (len(groups) != 1 || groups[0].TargetGroupArn != act.TargetGroupArn):
		return elbv2.Action{}, validation("When both TargetGroupArn and ForwardConfig are specified, ForwardConfig must name that one target group only.")
	case len(groups) == 0:
		return elbv2.Action{}, validation("A forward action must specify a TargetGroupArn or ForwardConfig.TargetGroups.")
	}
	if len(groups) > maxForwardGroups {
		return elbv2.Action{}, validation("A forward action can have at most %d target groups; %d were given.", maxForwardGroups, len(groups))
	}
	users, err := tx.TargetGroupLoadBalancers()
	if err != nil {
		return elbv2.Action{}, err
	}
	for i := range groups {
		g := &groups[i]
		if g.TargetGroupArn == "" {
			return elbv2.Action{}, validation("Each target group of a forward action must have a TargetGroupArn.")
		}
		if slices.ContainsFunc(groups[:i], func(o elbv2.TargetGroupTuple) bool { return o.TargetGroupArn == g.TargetGroupArn }) {
			return elbv2.Action{}, validation("The target group '%s' appears more than once in a forward action.", g.TargetGroupArn)
		}
		if g.Weight == nil {
			g.Weight = elbv2.Int32(defaultForwardWeight)
		}
		if w := *g.Weight; w < 0 || w > maxWeight {
			return elbv2.Action{}, validation("The weight %d of target group '%s' is not valid: weights are integers from 0 to %d.", w, g.TargetGroupArn, maxWeight)
		}
		if _, err := targetGroup(tx, g.TargetGroupArn); err != nil {
			return elbv2.Action{}, err
		}
		for _, other := range users[g.TargetGroupArn] {
			if other != lbARN {
				return elbv2.Action{}, apiErr(errTargetGroupAssociationLimit,
					"The target group '%s' is already used by load balancer '%s'; a target group can be associated with one load balancer only.", g.TargetGroupArn, other)
			}
		}
	}
	out := elbv2.Action{
		Type:  elbv2.ActionTypeEnumForward,
		Order: act.Order,
		ForwardConfig: &elbv2.ForwardActionConfig{
			TargetGroups:                groups,
			TargetGroupStickinessConfig: &elbv2.TargetGroupStickinessConfig{Enabled: elbv2.Bool(false)},
		},
	}
	if len(groups) == 1 {
		out.TargetGroupArn = groups[0].TargetGroupArn
	}
	return out, nil
}

// checkFixedResponse validates a fixed-response action.
func checkFixedResponse(act elbv2.Action) (elbv2.Action, error) {
	c := act.FixedResponseConfig
	if c == nil {
		return elbv2.Action{}, validation("A fixed-response action must specify a FixedResponseConfig.")
	}
	if !statusCode.MatchString(c.StatusCode) {
		return elbv2.Action{}, validation("The fixed response status code '%s' is not valid: it must be 2XX, 4XX or 5XX.", c.StatusCode)
	}
	if c.ContentType != "" && !slices.Contains(fixedContentTypes, c.ContentType) {
		return elbv2.Action{}, validation("The fixed response content type '%s' is not valid: it must be one of %v.", c.ContentType, fixedContentTypes)
	}
	if len(c.MessageBody) > maxFixedResponseBytes {
		return elbv2.Action{}, validation("The fixed response message body is longer than %d bytes.", maxFixedResponseBytes)
	}
	return elbv2.Action{
		Type:                elbv2.ActionTypeEnumFixedResponse,
		Order:               act.Order,
		FixedResponseConfig: &elbv2.FixedResponseActionConfig{StatusCode: c.StatusCode, ContentType: c.ContentType, MessageBody: c.MessageBody},
	}, nil
}
