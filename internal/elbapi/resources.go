package elbapi

import (
	"errors"
	"net"
	"regexp"
	"slices"
	"strings"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// Limits of ELBv2 (application load balancers) that cutover keeps.
const (
	maxListenersPerLB   = 50
	maxRulesPerListener = 100
	maxTargetsPerGroup  = 1000
	maxTagsPerResource  = 50
	maxResourcesPerCall = 20
)

// resourceName matches the names of load balancers and target groups: up
// to 32 alphanumeric characters or hyphens, not beginning or ending with
// a hyphen.
var resourceName = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)

// checkName validates the name of a load balancer or target group.
func checkName(kind, name string) error {
	if !resourceName.MatchString(name) {
		return validation("The %s name '%s' is not valid: it must have 1 to 32 alphanumeric characters or hyphens, and must not begin or end with a hyphen.", kind, name)
	}
	if kind == "load balancer" && strings.HasPrefix(name, "internal-") {
		return validation("The load balancer name '%s' is not valid: it must not begin with 'internal-'.", name)
	}
	return nil
}

// checkARN refuses a string that is not the ARN of a resource of type
// typ with a ValidationError, as AWS does.
func checkARN(arn, typ, what string) error {
	a, err := state.ParseELBARN(arn)
	if err != nil || a.Type != typ {
		return validation("'%s' is not a valid %s ARN.", arn, what)
	}
	return nil
}

// notFound turns store.ErrNotFound into the API error notFoundErr and
// passes other errors on.
func notFound(err error, notFoundErr *Error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFoundErr
	}
	return err
}

// loadBalancer returns the load balancer with the given ARN.
func loadBalancer(tx state.Tx, arn string) (*state.LoadBalancer, error) {
	if err := checkARN(arn, state.ELBLoadBalancer, "load balancer"); err != nil {
		return nil, err
	}
	l, err := tx.LoadBalancer(arn)
	if err != nil {
		return nil, notFound(err, apiErr(errLoadBalancerNotFound, "Load balancer '%s' not found.", arn))
	}
	return l, nil
}

// targetGroup returns the target group with the given ARN.
func targetGroup(tx state.Tx, arn string) (*state.TargetGroup, error) {
	if err := checkARN(arn, state.ELBTargetGroup, "target group"); err != nil {
		return nil, err
	}
	g, err := tx.TargetGroup(arn)
	if err != nil {
		return nil, notFound(err, apiErr(errTargetGroupNotFound, "Target group '%s' not found.", arn))
	}
	return g, nil
}

// listener returns the listener with the given ARN.
func listener(tx state.Tx, arn string) (*state.Listener, error) {
	if err := checkARN(arn, state.ELBListener, "listener"); err != nil {
		return nil, err
	}
	l, err := tx.Listener(arn)
	if err != nil {
		return nil, notFound(err, apiErr(errListenerNotFound, "Listener '%s' not found.", arn))
	}
	return l, nil
}

// ruleRef is a rule found by its ARN: a stored rule, or (Rule nil) the
// default rule of Listener.
type ruleRef struct {
	Listener *state.Listener
	Rule     *state.Rule
}

// isDefault reports whether the rule is its listener's default rule.
func (r ruleRef) isDefault() bool { return r.Rule == nil }

// findRule returns the rule with the given ARN.
func (a *API) findRule(tx state.Tx, arn string) (ruleRef, error) {
	if err := checkARN(arn, state.ELBRule, "rule"); err != nil {
		return ruleRef{}, err
	}
	errNotFound := apiErr(errRuleNotFound, "Rule '%s' not found.", arn)
	p, _ := state.ParseELBARN(arn)
	l, err := tx.Listener(a.arns.ELBListener(p.Parts[0], p.Parts[1], p.Parts[2]))
	if err != nil {
		return ruleRef{}, notFound(err, errNotFound)
	}
	if p.ID() == l.DefaultRuleID && a.defaultRuleARN(l) == arn {
		return ruleRef{Listener: l}, nil
	}
	r, err := tx.Rule(arn)
	if err != nil {
		return ruleRef{}, notFound(err, errNotFound)
	}
	return ruleRef{Listener: l, Rule: r}, nil
}

// defaultRuleARN returns the ARN of a listener's default rule.
func (a *API) defaultRuleARN(l *state.Listener) string {
	p, _ := state.ParseELBARN(l.ListenerArn)
	return a.arns.ELBRule(p.Parts[0], p.Parts[1], p.Parts[2], l.DefaultRuleID)
}

// render returns the rule as DescribeRules shows it.
func (a *API) render(r ruleRef) elbv2.Rule {
	if r.isDefault() {
		return r.Listener.DefaultRule(a.defaultRuleARN(r.Listener))
	}
	out := r.Rule.Rule
	if out.Conditions == nil {
		out.Conditions = []elbv2.RuleCondition{}
	}
	out.IsDefault = elbv2.Bool(false)
	return out
}

// renderLoadBalancer returns a load balancer as DescribeLoadBalancers
// shows it.
func (a *API) renderLoadBalancer(l *state.LoadBalancer) elbv2.LoadBalancer {
	out := l.LoadBalancer
	out.DNSName = a.dnsName
	if out.AvailabilityZones == nil {
		out.AvailabilityZones = []elbv2.AvailabilityZone{}
	}
	return out
}

// renderTargetGroup returns a target group as DescribeTargetGroups shows
// it, with the load balancers that route to it.
func renderTargetGroup(g *state.TargetGroup, users map[string][]string) elbv2.TargetGroup {
	out := g.TargetGroup
	out.LoadBalancerArns = slices.Clone(users[g.TargetGroupArn])
	if out.LoadBalancerArns == nil {
		out.LoadBalancerArns = []string{}
	}
	return out
}

// hostName matches a DNS host name.
var hostName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// checkTargetID validates a target's Id: an IP address for target type
// ip; a host name or an IP address for type instance (cutover has no EC2
// instances, the Id is where the load balancer connects).
func checkTargetID(typ elbv2.TargetTypeEnum, id string) error {
	if net.ParseIP(id) != nil {
		return nil
	}
	if typ == elbv2.TargetTypeEnumIp {
		return apiErr(errInvalidTarget, "The IP address '%s' is not a valid IPv4 or IPv6 address.", id)
	}
	if len(id) > 253 || !hostName.MatchString(id) {
		return apiErr(errInvalidTarget, "The target ID '%s' is not a valid host name or IP address.", id)
	}
	return nil
}
