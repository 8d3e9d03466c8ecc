package state

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/store"
)

// ListenerOfRule returns the ARN of the listener a rule ARN belongs to.
func ListenerOfRule(ruleARN string) (string, error) {
	a, err := parseELBKind(ruleARN, ELBRule, "rule")
	if err != nil {
		return "", err
	}
	return ARNs{Region: a.Region, Account: a.Account}.ELBListener(a.Parts[0], a.Parts[1], a.Parts[2]), nil
}

// RuleActions returns the actions of a listener rule, a listener's
// default rule included. A missing rule gives an error wrapping
// store.ErrNotFound.
func (t Tx) RuleActions(ruleARN string) ([]elbv2.Action, error) {
	l, r, err := t.findRule(ruleARN)
	if err != nil {
		return nil, err
	}
	if r == nil {
		return l.DefaultActions, nil
	}
	return r.Actions, nil
}

// PutRuleActions replaces the actions of a listener rule, a listener's
// default rule included.
func (t Tx) PutRuleActions(ruleARN string, actions []elbv2.Action) error {
	l, r, err := t.findRule(ruleARN)
	if err != nil {
		return err
	}
	if r == nil {
		l.DefaultActions = actions
		return t.PutListener(l)
	}
	r.Actions = actions
	return t.PutRule(r)
}

// findRule returns the listener of a rule and the stored rule, or a nil
// rule when the ARN names the listener's default rule.
func (t Tx) findRule(ruleARN string) (*Listener, *Rule, error) {
	listenerARN, err := ListenerOfRule(ruleARN)
	if err != nil {
		return nil, nil, fmt.Errorf("rule %q: %w: %w", ruleARN, err, store.ErrNotFound)
	}
	l, err := t.Listener(listenerARN)
	if err != nil {
		return nil, nil, err
	}
	if LastPart(ruleARN) == l.DefaultRuleID {
		return l, nil, nil
	}
	r, err := t.Rule(ruleARN)
	return l, r, err
}

// ForwardWeights returns the target groups of the forward action among
// actions with their weights (a plain TargetGroupArn counts as weight 1).
func ForwardWeights(actions []elbv2.Action) map[string]int {
	out := map[string]int{}
	for _, a := range actions {
		if a.Type != elbv2.ActionTypeEnumForward {
			continue
		}
		if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
			for _, tg := range a.ForwardConfig.TargetGroups {
				w := 1
				if tg.Weight != nil {
					w = int(*tg.Weight)
				}
				out[tg.TargetGroupArn] = w
			}
		} else if a.TargetGroupArn != "" {
			out[a.TargetGroupArn] = 1
		}
	}
	return out
}

// WithForwardWeights returns actions with the forward action's target
// groups given the weights (in a stable order); target groups missing
// from weights keep theirs.
func WithForwardWeights(actions []elbv2.Action, weights map[string]int) []elbv2.Action {
	out := slices.Clone(actions)
	for i, a := range out {
		if a.Type != elbv2.ActionTypeEnumForward {
			continue
		}
		cur := ForwardWeights([]elbv2.Action{a})
		for tg, w := range weights {
			cur[tg] = w
		}
		groups := make([]string, 0, len(cur))
		for tg := range cur {
			groups = append(groups, tg)
		}
		slices.Sort(groups)
		fc := &elbv2.ForwardActionConfig{}
		if a.ForwardConfig != nil {
			c := *a.ForwardConfig
			fc = &c
		}
		fc.TargetGroups = nil
		for _, tg := range groups {
			fc.TargetGroups = append(fc.TargetGroups, elbv2.TargetGroupTuple{TargetGroupArn: tg, Weight: elbv2.Int32(int32(cur[tg]))})
		}
		out[i].TargetGroupArn, out[i].ForwardConfig = "", fc
	}
	return out
}

// RegisterTarget adds a target to a target group unless it is there.
func (t Tx) RegisterTarget(groupARN string, target Target) error {
	g, err := t.TargetGroup(groupARN)
	if err != nil {
		return err
	}
	for _, tg := range g.Targets {
		if tg.ID == target.ID && tg.Port == target.Port {
			return nil
		}
	}
	g.Targets = append(g.Targets, target)
	return t.PutTargetGroup(g)
}

// DeregisterTarget removes a target from a target group and returns the
// group's deregistration delay. A missing target or group is no error:
// deregistering is idempotent.
func (t Tx) DeregisterTarget(groupARN string, target Target) (time.Duration, error) {
	g, err := t.TargetGroup(groupARN)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	kept := slices.DeleteFunc(slices.Clone(g.Targets), func(tg Target) bool { return tg.ID == target.ID && tg.Port == target.Port })
	if len(kept) == len(g.Targets) {
		return g.DeregistrationDelay(), nil
	}
	g.Targets = kept
	return g.DeregistrationDelay(), t.PutTargetGroup(g)
}

// ListenerURL returns the address clients reach a listener rule's
// listener at, such as http://localhost:8080, given the load balancers'
// DNS name (LoadBalancerDNSName).
func (t Tx) ListenerURL(ruleARN, dnsName string) (string, error) {
	l, _, err := t.findRule(ruleARN)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s://%s:%d", strings.ToLower(string(l.Protocol)), dnsName, elbv2.Int32Value(l.Port)), nil
}
