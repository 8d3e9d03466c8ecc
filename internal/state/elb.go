package state

import (
	"cmp"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/store"
)

// Tables of the ELBv2 records. Load balancers and target groups are keyed
// by name (names are unique), listeners by "lbID/listenerID" and rules by
// "listenerID/ruleID", so that the children of a parent are one prefix.
const (
	tableELBLoadBalancers = "elb_loadbalancers"
	tableELBTargetGroups  = "elb_targetgroups"
	tableELBListeners     = "elb_listeners"
	tableELBRules         = "elb_rules"
)

// ELBv2 defaults of an HTTP target group, as AWS applies them.
const (
	// DefaultHealthCheckPath is the path health checks request.
	DefaultHealthCheckPath = "/"
	// DefaultHealthCheckPort means the target's own (traffic) port.
	DefaultHealthCheckPort = "traffic-port"
	// DefaultHealthCheckInterval is the seconds between health checks.
	DefaultHealthCheckInterval = 30
	// DefaultHealthCheckTimeout is the seconds a health check may take.
	DefaultHealthCheckTimeout = 5
	// DefaultHealthyThreshold is the passes that make a target healthy.
	DefaultHealthyThreshold = 5
	// DefaultUnhealthyThreshold is the failures that make it unhealthy.
	DefaultUnhealthyThreshold = 2
	// DefaultMatcher is the HTTP codes that count as healthy.
	DefaultMatcher = "200"
	// DefaultDeregistrationDelaySec is how long, in seconds, a
	// deregistered target drains.
	DefaultDeregistrationDelaySec = 300
)

// AttrDeregistrationDelay is the target group attribute holding the
// deregistration delay in seconds.
const AttrDeregistrationDelay = "deregistration_delay.timeout_seconds"

// LoadBalancerDNSName is the DNSName of every load balancer, whose
// listeners bind lbAddress: its host, 127.0.0.1 when it has none, or
// localhost when it is a wildcard.
func LoadBalancerDNSName(addr string) string {
	host := addr
	if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if host == "" {
		return "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return "localhost"
	}
	return host
}

// LoadBalancer is a stored ELBv2 load balancer. Its DNSName is not stored:
// every cutover load balancer listens on the one --lb-address, so the API
// fills it in when it describes the load balancer.
type LoadBalancer struct {
	elbv2.LoadBalancer
	// ID is the last part of the load balancer's ARN.
	ID string `json:"cutoverId"`
	// Attributes holds the attributes set explicitly; defaults are not
	// stored.
	Attributes map[string]string `json:"cutoverAttributes,omitempty"`
	Tags       []elbv2.Tag       `json:"cutoverTags,omitempty"`
}

// TargetGroup is a stored target group with its registered targets. Its
// LoadBalancerArns are computed (TargetGroupLoadBalancers), not stored.
type TargetGroup struct {
	elbv2.TargetGroup
	// ID is the last part of the target group's ARN.
	ID string `json:"cutoverId"`
	// Targets are the registered targets, in registration order.
	Targets []Target `json:"cutoverTargets,omitempty"`
	// Attributes holds the attributes set explicitly; defaults are not
	// stored.
	Attributes map[string]string `json:"cutoverAttributes,omitempty"`
	Tags       []elbv2.Tag       `json:"cutoverTags,omitempty"`
}

// Target is a registered target. cutover has no EC2 instances: whatever
// the target type, ID is a host name or an IP address that the load
// balancer connects to on Port.
type Target struct {
	ID               string `json:"id"`
	Port             int32  `json:"port"`
	AvailabilityZone string `json:"availabilityZone,omitempty"`
}

// Listener is a stored listener. Its default actions are the actions of
// its default rule, which DescribeRules shows with the ARN DefaultRuleID
// names; that rule is not stored separately.
type Listener struct {
	elbv2.Listener
	// ID is the last part of the listener's ARN.
	ID string `json:"cutoverId"`
	// DefaultRuleID is the last part of the ARN of the default rule.
	DefaultRuleID   string      `json:"cutoverDefaultRuleId"`
	Tags            []elbv2.Tag `json:"cutoverTags,omitempty"`
	DefaultRuleTags []elbv2.Tag `json:"cutoverDefaultRuleTags,omitempty"`
}

// DefaultRule returns the listener's default rule as ELBv2 shows it.
func (l *Listener) DefaultRule(ruleARN string) elbv2.Rule {
	return elbv2.Rule{
		RuleArn:    ruleARN,
		Priority:   "default",
		Conditions: []elbv2.RuleCondition{},
		Actions:    l.DefaultActions,
		IsDefault:  elbv2.Bool(true),
	}
}

// Rule is a stored, non-default listener rule. Priority holds its number.
type Rule struct {
	elbv2.Rule
	// ID is the last part of the rule's ARN.
	ID          string      `json:"cutoverId"`
	ListenerArn string      `json:"cutoverListenerArn"`
	Tags        []elbv2.Tag `json:"cutoverTags,omitempty"`
}

// PriorityNumber returns the rule's priority as a number (0 if it is not
// one, which the API never stores).
func (r *Rule) PriorityNumber() int {
	n, _ := strconv.Atoi(r.Priority)
	return n
}

// ELB resource types, as they appear in ARNs and ELBARN.Type.
const (
	// ELBLoadBalancer is the type of load balancer ARNs.
	ELBLoadBalancer = "loadbalancer"
	// ELBTargetGroup is the type of target group ARNs.
	ELBTargetGroup = "targetgroup"
	// ELBListener is the type of listener ARNs.
	ELBListener = "listener"
	// ELBRule is the type of listener rule ARNs.
	ELBRule = "listener-rule"
)

func (a ARNs) elbARN(resource string) string {
	return "arn:aws:elasticloadbalancing:" + a.Region + ":" + a.Account + ":" + resource
}

// ELBLoadBalancer returns an application load balancer's ARN.
func (a ARNs) ELBLoadBalancer(name, id string) string {
	return a.elbARN("loadbalancer/app/" + name + "/" + id)
}

// ELBTargetGroup returns a target group's ARN.
func (a ARNs) ELBTargetGroup(name, id string) string {
	return a.elbARN("targetgroup/" + name + "/" + id)
}

// ELBListener returns a listener's ARN.
func (a ARNs) ELBListener(lbName, lbID, id string) string {
	return a.elbARN("listener/app/" + lbName + "/" + lbID + "/" + id)
}

// ELBRule returns a listener rule's ARN.
func (a ARNs) ELBRule(lbName, lbID, listenerID, id string) string {
	return a.elbARN("listener-rule/app/" + lbName + "/" + lbID + "/" + listenerID + "/" + id)
}

// ELBARN is a parsed ELBv2 ARN. Parts are the resource's path after its
// type (and after "app/"): [name id] for load balancers and target groups,
// [lbName lbID id] for listeners, [lbName lbID listenerID id] for rules.
type ELBARN struct {
	Region, Account string
	Type            string
	Parts           []string
}

// ID returns the last part of the ARN, the resource's own ID.
func (a ELBARN) ID() string { return a.Parts[len(a.Parts)-1] }

// ErrNotELBARN means a string is not the ARN of an ELBv2 resource cutover
// serves.
var ErrNotELBARN = errors.New("not an ELBv2 ARN")

// ParseELBARN parses the ARN of an application load balancer, a target
// group, a listener or a rule. Errors wrap ErrNotELBARN.
func ParseELBARN(s string) (ELBARN, error) {
	f := strings.SplitN(s, ":", 6)
	if len(f) != 6 || f[0] != "arn" || f[2] != "elasticloadbalancing" {
		return ELBARN{}, fmt.Errorf("%q: %w", s, ErrNotELBARN)
	}
	parts := strings.Split(f[5], "/")
	typ, parts := parts[0], parts[1:]
	want := map[string]int{ELBLoadBalancer: 2, ELBTargetGroup: 2, ELBListener: 3, ELBRule: 4}[typ]
	if typ != ELBTargetGroup {
		if len(parts) == 0 || parts[0] != "app" {
			return ELBARN{}, fmt.Errorf("%q: %w: not an application load balancer resource", s, ErrNotELBARN)
		}
		parts = parts[1:]
	}
	if want == 0 || len(parts) != want || slices.Contains(parts, "") {
		return ELBARN{}, fmt.Errorf("%q: %w", s, ErrNotELBARN)
	}
	return ELBARN{Region: f[3], Account: f[4], Type: typ, Parts: parts}, nil
}

// parseELBKind parses an ARN that must be of type typ; anything else is
// reported as a missing record.
func parseELBKind(arn, typ, what string) (ELBARN, error) {
	a, err := ParseELBARN(arn)
	if err != nil || a.Type != typ {
		return ELBARN{}, fmt.Errorf("get %s %q: %w", what, arn, store.ErrNotFound)
	}
	return a, nil
}

// LoadBalancerByName returns the load balancer named name.
func (t Tx) LoadBalancerByName(name string) (*LoadBalancer, error) {
	return get[LoadBalancer](t, tableELBLoadBalancers, name, "load balancer")
}

// LoadBalancer returns the load balancer with the given ARN.
func (t Tx) LoadBalancer(arn string) (*LoadBalancer, error) {
	a, err := parseELBKind(arn, ELBLoadBalancer, "load balancer")
	if err != nil {
		return nil, err
	}
	l, err := t.LoadBalancerByName(a.Parts[0])
	if err == nil && l.LoadBalancerArn != arn {
		err = fmt.Errorf("get load balancer %q: %w", arn, store.ErrNotFound)
	}
	return l, err
}

// PutLoadBalancer stores l under its name.
func (t Tx) PutLoadBalancer(l *LoadBalancer) error {
	return store.PutJSON(t.Tx, tableELBLoadBalancers, l.LoadBalancerName, l)
}

// DeleteLoadBalancer removes the load balancer named name (not its
// listeners).
func (t Tx) DeleteLoadBalancer(name string) error { return t.Delete(tableELBLoadBalancers, name) }

// LoadBalancers calls fn for each load balancer, in name order.
func (t Tx) LoadBalancers(fn func(*LoadBalancer) error) error {
	return scan(t, tableELBLoadBalancers, "", "", fn)
}

// TargetGroupByName returns the target group named name.
func (t Tx) TargetGroupByName(name string) (*TargetGroup, error) {
	return get[TargetGroup](t, tableELBTargetGroups, name, "target group")
}

// TargetGroup returns the target group with the given ARN.
func (t Tx) TargetGroup(arn string) (*TargetGroup, error) {
	a, err := parseELBKind(arn, ELBTargetGroup, "target group")
	if err != nil {
		return nil, err
	}
	g, err := t.TargetGroupByName(a.Parts[0])
	if err == nil && g.TargetGroupArn != arn {
		err = fmt.Errorf("get target group %q: %w", arn, store.ErrNotFound)
	}
	return g, err
}

// PutTargetGroup stores g under its name.
func (t Tx) PutTargetGroup(g *TargetGroup) error {
	return store.PutJSON(t.Tx, tableELBTargetGroups, g.TargetGroupName, g)
}

// DeleteTargetGroup removes the target group named name.
func (t Tx) DeleteTargetGroup(name string) error { return t.Delete(tableELBTargetGroups, name) }

// TargetGroups calls fn for each target group, in name order.
func (t Tx) TargetGroups(fn func(*TargetGroup) error) error {
	return scan(t, tableELBTargetGroups, "", "", fn)
}

// Listener returns the listener with the given ARN.
func (t Tx) Listener(arn string) (*Listener, error) {
	a, err := parseELBKind(arn, ELBListener, "listener")
	if err != nil {
		return nil, err
	}
	l, err := get[Listener](t, tableELBListeners, a.Parts[1]+"/"+a.Parts[2], "listener")
	if err == nil && l.ListenerArn != arn {
		err = fmt.Errorf("get listener %q: %w", arn, store.ErrNotFound)
	}
	return l, err
}

// listenerKey is the store key of a listener.
func listenerKey(l *Listener) (string, error) {
	a, err := parseELBKind(l.ListenerArn, ELBListener, "listener")
	if err != nil {
		return "", err
	}
	return a.Parts[1] + "/" + a.Parts[2], nil
}

// PutListener stores l.
func (t Tx) PutListener(l *Listener) error {
	key, err := listenerKey(l)
	if err != nil {
		return err
	}
	return store.PutJSON(t.Tx, tableELBListeners, key, l)
}

// DeleteListener removes l (not its rules).
func (t Tx) DeleteListener(l *Listener) error {
	key, err := listenerKey(l)
	if err != nil {
		return err
	}
	return t.Delete(tableELBListeners, key)
}

// Listeners calls fn for each listener of the load balancer with ID lbID
// (every listener when lbID is empty), in key order.
func (t Tx) Listeners(lbID string, fn func(*Listener) error) error {
	prefix := ""
	if lbID != "" {
		prefix = lbID + "/"
	}
	return scan(t, tableELBListeners, prefix, "", fn)
}

// Rule returns the non-default rule with the given ARN.
func (t Tx) Rule(arn string) (*Rule, error) {
	a, err := parseELBKind(arn, ELBRule, "rule")
	if err != nil {
		return nil, err
	}
	r, err := get[Rule](t, tableELBRules, a.Parts[2]+"/"+a.Parts[3], "rule")
	if err == nil && r.RuleArn != arn {
		err = fmt.Errorf("get rule %q: %w", arn, store.ErrNotFound)
	}
	return r, err
}

// ruleKey is the store key of a rule.
func ruleKey(r *Rule) (string, error) {
	a, err := parseELBKind(r.RuleArn, ELBRule, "rule")
	if err != nil {
		return "", err
	}
	return a.Parts[2] + "/" + a.Parts[3], nil
}

// PutRule stores r.
func (t Tx) PutRule(r *Rule) error {
	key, err := ruleKey(r)
	if err != nil {
		return err
	}
	return store.PutJSON(t.Tx, tableELBRules, key, r)
}

// DeleteRule removes r.
func (t Tx) DeleteRule(r *Rule) error {
	key, err := ruleKey(r)
	if err != nil {
		return err
	}
	return t.Delete(tableELBRules, key)
}

// Rules returns the non-default rules of the listener with ID listenerID,
// by ascending priority.
func (t Tx) Rules(listenerID string) ([]*Rule, error) {
	var rules []*Rule
	err := scan(t, tableELBRules, listenerID+"/", "", func(r *Rule) error {
		rules = append(rules, r)
		return nil
	})
	slices.SortFunc(rules, func(a, b *Rule) int { return cmp.Compare(a.PriorityNumber(), b.PriorityNumber()) })
	return rules, err
}

// ActionTargetGroups returns the ARNs of the target groups that actions
// forward to, in order, from both TargetGroupArn and ForwardConfig.
func ActionTargetGroups(actions []elbv2.Action) []string {
	var arns []string
	for _, a := range actions {
		if a.TargetGroupArn != "" && !slices.Contains(arns, a.TargetGroupArn) {
			arns = append(arns, a.TargetGroupArn)
		}
		if a.ForwardConfig != nil {
			for _, tg := range a.ForwardConfig.TargetGroups {
				if !slices.Contains(arns, tg.TargetGroupArn) {
					arns = append(arns, tg.TargetGroupArn)
				}
			}
		}
	}
	return arns
}

// TargetGroupLoadBalancers maps the ARN of every target group that a
// listener's default actions or a rule forwards to, to the ARNs of the
// load balancers that do so, sorted.
func (t Tx) TargetGroupLoadBalancers() (map[string][]string, error) {
	users := map[string][]string{}
	add := func(lbARN string, actions []elbv2.Action) {
		for _, tg := range ActionTargetGroups(actions) {
			if !slices.Contains(users[tg], lbARN) {
				users[tg] = append(users[tg], lbARN)
			}
		}
	}
	err := t.Listeners("", func(l *Listener) error {
		add(l.LoadBalancerArn, l.DefaultActions)
		rules, err := t.Rules(l.ID)
		for _, r := range rules {
			add(l.LoadBalancerArn, r.Actions)
		}
		return err
	})
	for _, v := range users {
		slices.Sort(v)
	}
	return users, err
}
