package elbapi

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
)

// defaultRuleKey sorts a listener's default rule after every priority
// (1–50000).
const defaultRuleKey = "50001"

// ruleKey orders rules: by priority, the default rule last.
func ruleKey(r elbv2.Rule) string {
	if elbv2.BoolValue(r.IsDefault) {
		return defaultRuleKey
	}
	n, _ := strconv.Atoi(r.Priority)
	return fmt.Sprintf("%05d", n)
}

// priorityInUse reports a priority another rule of the listener holds.
func priorityInUse(p int32) *Error {
	return apiErr(errPriorityInUse, "Priority '%d' is currently in use.", p)
}

// createRule adds a rule to a listener.
func (a *API) createRule(ctx context.Context, req *elbv2.CreateRuleInput) (*elbv2.CreateRuleOutput, error) {
	if len(req.Transforms) > 0 {
		return nil, apiErr(errInvalidConfiguration, "cutover does not support rule transforms.")
	}
	conds, err := checkConditions(req.Conditions)
	if err != nil {
		return nil, err
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	var out *state.Rule
	err = a.update(ctx, func(tx state.Tx) error {
		l, err := listener(tx, req.ListenerArn)
		if err != nil {
			return err
		}
		actions, err := checkActions(tx, l.LoadBalancerArn, req.Actions)
		if err != nil {
			return err
		}
		rules, err := tx.Rules(l.ID)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(rules, func(r *state.Rule) bool { return r.PriorityNumber() == int(*req.Priority) }) {
			return priorityInUse(*req.Priority)
		}
		if len(rules) >= maxRulesPerListener {
			return apiErr(errTooManyRules, "A listener can have at most %d rules besides its default rule.", maxRulesPerListener)
		}
		p, _ := state.ParseELBARN(l.ListenerArn)
		out = &state.Rule{ID: a.newID(), ListenerArn: l.ListenerArn, Tags: req.Tags}
		out.Rule = elbv2.Rule{
			RuleArn:    a.arns.ELBRule(p.Parts[0], p.Parts[1], l.ID, out.ID),
			Priority:   strconv.Itoa(int(*req.Priority)),
			Conditions: conds,
			Actions:    actions,
		}
		return tx.PutRule(out)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.CreateRuleOutput{Rules: []elbv2.Rule{a.render(ruleRef{Rule: out})}}, nil
}

// describeRules lists the rules of a listener or those named by ARN, by
// priority with default rules last.
func (a *API) describeRules(ctx context.Context, req *elbv2.DescribeRulesInput) (*elbv2.DescribeRulesOutput, error) {
	if (req.ListenerArn == "") == (len(req.RuleArns) == 0) {
		return nil, validation("You must specify either a listener ARN or rule ARNs, but not both.")
	}
	var rules []elbv2.Rule
	err := a.view(ctx, func(tx state.Tx) error {
		for _, arn := range req.RuleArns {
			r, err := a.findRule(tx, arn)
			if err != nil {
				return err
			}
			rules = append(rules, a.render(r))
		}
		if req.ListenerArn == "" {
			return nil
		}
		l, err := listener(tx, req.ListenerArn)
		if err != nil {
			return err
		}
		stored, err := tx.Rules(l.ID)
		for _, r := range stored {
			rules = append(rules, a.render(ruleRef{Listener: l, Rule: r}))
		}
		rules = append(rules, a.render(ruleRef{Listener: l}))
		return err
	})
	if err != nil {
		return nil, err
	}
	pageKey := func(r elbv2.Rule) string { return ruleKey(r) + r.RuleArn }
	slices.SortFunc(rules, func(x, y elbv2.Rule) int { return cmp.Compare(pageKey(x), pageKey(y)) })
	rules = slices.CompactFunc(rules, func(x, y elbv2.Rule) bool { return x.RuleArn == y.RuleArn })
	rules, next, err := page(rules, pageKey, req.Marker, req.PageSize)
	if err != nil {
		return nil, err
	}
	if rules == nil {
		rules = []elbv2.Rule{}
	}
	return &elbv2.DescribeRulesOutput{Rules: rules, NextMarker: next}, nil
}

// modifyRule replaces a rule's conditions or actions. The default rule's
// actions are its listener's default actions; its conditions cannot be
// set.
func (a *API) modifyRule(ctx context.Context, req *elbv2.ModifyRuleInput) (*elbv2.ModifyRuleOutput, error) {
	if len(req.Transforms) > 0 {
		return nil, apiErr(errInvalidConfiguration, "cutover does not support rule transforms.")
	}
	var out ruleRef
	err := a.update(ctx, func(tx state.Tx) error {
		r, err := a.findRule(tx, req.RuleArn)
		if err != nil {
			return err
		}
		var actions []elbv2.Action
		if req.Actions != nil {
			if actions, err = checkActions(tx, r.Listener.LoadBalancerArn, req.Actions); err != nil {
				return err
			}
		}
		out = r
		if r.isDefault() {
			if req.Conditions != nil {
				return apiErr(errOperationNotPermitted, "The conditions of a default rule cannot be modified.")
			}
			if actions != nil {
				r.Listener.DefaultActions = actions
			}
			return tx.PutListener(r.Listener)
		}
		if req.Conditions != nil {
			if r.Rule.Conditions, err = checkConditions(req.Conditions); err != nil {
				return err
			}
		}
		if actions != nil {
			r.Rule.Actions = actions
		}
		return tx.PutRule(r.Rule)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.ModifyRuleOutput{Rules: []elbv2.Rule{a.render(out)}}, nil
}

// deleteRule deletes a rule other than a default rule.
func (a *API) deleteRule(ctx context.Context, req *elbv2.DeleteRuleInput) (*elbv2.DeleteRuleOutput, error) {
	err := a.update(ctx, func(tx state.Tx) error {
		r, err := a.findRule(tx, req.RuleArn)
		if err != nil {
			return err
		}
		if r.isDefault() {
			return apiErr(errOperationNotPermitted, "The default rule cannot be deleted.")
		}
		return tx.DeleteRule(r.Rule)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.DeleteRuleOutput{}, nil
}

// setRulePriorities changes the priorities of rules in one step, so that
// rules can swap priorities; afterwards every listener's priorities must
// be unique.
func (a *API) setRulePriorities(ctx context.Context, req *elbv2.SetRulePrioritiesInput) (*elbv2.SetRulePrioritiesOutput, error) {
	if len(req.RulePriorities) == 0 {
		return nil, validation("At least one rule priority must be specified.")
	}
	var changed []*state.Rule
	err := a.update(ctx, func(tx state.Tx) error {
		byListener := map[string]*state.Listener{}
		for _, pair := range req.RulePriorities {
			if pair.Priority == nil {
				return validation("Each rule priority pair must have a Priority.")
			}
			r, err := a.findRule(tx, pair.RuleArn)
			if err != nil {
				return err
			}
			if r.isDefault() {
				return apiErr(errOperationNotPermitted, "The priority of a default rule cannot be changed.")
			}
			if slices.ContainsFunc(changed, func(o *state.Rule) bool { return o.RuleArn == r.Rule.RuleArn }) {
				return validation("The rule '%s' is given more than once.", pair.RuleArn)
			}
			r.Rule.Priority = strconv.Itoa(int(*pair.Priority))
			changed = append(changed, r.Rule)
			byListener[r.Listener.ID] = r.Listener
		}
		for id := range byListener {
			if err := checkPriorities(tx, id, changed); err != nil {
				return err
			}
		}
		for _, r := range changed {
			if err := tx.PutRule(r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(changed, func(x, y *state.Rule) int { return cmp.Compare(x.PriorityNumber(), y.PriorityNumber()) })
	out := &elbv2.SetRulePrioritiesOutput{Rules: []elbv2.Rule{}}
	for _, r := range changed {
		out.Rules = append(out.Rules, a.render(ruleRef{Rule: r}))
	}
	return out, nil
}

// checkPriorities checks that the rules of a listener, with the changed
// ones replacing their stored versions, have unique priorities.
func checkPriorities(tx state.Tx, listenerID string, changed []*state.Rule) error {
	stored, err := tx.Rules(listenerID)
	if err != nil {
		return err
	}
	seen := map[int]bool{}
	for _, r := range stored {
		if i := slices.IndexFunc(changed, func(c *state.Rule) bool { return c.RuleArn == r.RuleArn }); i >= 0 {
			r = changed[i]
		}
		if seen[r.PriorityNumber()] {
			return priorityInUse(int32(r.PriorityNumber()))
		}
		seen[r.PriorityNumber()] = true
	}
	return nil
}
