package state

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/lb"
)

// CertificateFiles finds the PEM files of a certificate by its ARN, as
// the server's configuration names them; ok is false for an ARN it does
// not name.
type CertificateFiles func(arn string) (certFile, keyFile string, ok bool)

// LBConfig compiles every listener, rule, target group and target in the
// store into the data plane's configuration. Listeners bind lbAddress at
// their port, ordered by load balancer name and port; rules keep their
// priority order; target groups are ordered by name. HTTPS listeners get
// the files of their certificate from certs (nil: none is known, and
// their handshakes fail). Values a record lacks take ELBv2's defaults.
// The result is deterministic for a given store content and version.
func (t Tx) LBConfig(lbAddress string, version uint64, certs CertificateFiles) (lb.Config, error) {
	cfg := lb.Config{Version: version, Listeners: []lb.Listener{}, TargetGroups: []lb.TargetGroup{}}
	err := t.LoadBalancers(func(l *LoadBalancer) error {
		var listeners []lb.Listener
		err := t.Listeners(l.ID, func(ln *Listener) error {
			rules, err := t.Rules(ln.ID)
			if err != nil {
				return err
			}
			out := lb.Listener{
				ARN:            ln.ListenerArn,
				Address:        net.JoinHostPort(lbAddress, strconv.Itoa(int(elbv2.Int32Value(ln.Port)))),
				Protocol:       cmp.Or(string(ln.Protocol), "HTTP"),
				DefaultActions: compileActions(ln.DefaultActions),
				TLS:            compileTLS(ln, certs),
			}
			for _, r := range rules {
				out.Rules = append(out.Rules, lb.Rule{
					ARN:        r.RuleArn,
					Priority:   r.PriorityNumber(),
					Conditions: compileConditions(r.Conditions),
					Actions:    compileActions(r.Actions),
				})
			}
			listeners = append(listeners, out)
			return nil
		})
		slices.SortStableFunc(listeners, func(a, b lb.Listener) int { return cmp.Compare(listenerPort(a), listenerPort(b)) })
		cfg.Listeners = append(cfg.Listeners, listeners...)
		return err
	})
	if err != nil {
		return lb.Config{}, fmt.Errorf("compile listeners: %w", err)
	}
	err = t.TargetGroups(func(g *TargetGroup) error {
		cfg.TargetGroups = append(cfg.TargetGroups, compileTargetGroup(g))
		return nil
	})
	if err != nil {
		return lb.Config{}, fmt.Errorf("compile target groups: %w", err)
	}
	return cfg, nil
}

// compileTLS returns an HTTPS listener's certificate (its first, the
// default one) and security policy, with the certificate's files when
// certs knows them; nil for other protocols.
func compileTLS(ln *Listener, certs CertificateFiles) *lb.ListenerTLS {
	if ln.Protocol != elbv2.ProtocolEnumHttps {
		return nil
	}
	out := &lb.ListenerTLS{SSLPolicy: cmp.Or(ln.SslPolicy, lb.DefaultSSLPolicy)}
	if len(ln.Certificates) > 0 {
		out.CertificateARN = ln.Certificates[0].CertificateArn
	}
	if certs != nil && out.CertificateARN != "" {
		if certFile, keyFile, ok := certs(out.CertificateARN); ok {
			out.CertFile, out.KeyFile = certFile, keyFile
		}
	}
	return out
}

// listenerPort is the port of a compiled listener's address.
func listenerPort(l lb.Listener) int {
	_, port, _ := net.SplitHostPort(l.Address)
	n, _ := strconv.Atoi(port)
	return n
}

// compileActions turns ELBv2 actions into the data plane's, by Order
// when set. A forward action's target groups come from ForwardConfig when
// it has any (weights default to 1), else from TargetGroupArn (weight 1).
func compileActions(actions []elbv2.Action) []lb.Action {
	sorted := slices.Clone(actions)
	slices.SortStableFunc(sorted, func(a, b elbv2.Action) int {
		return cmp.Compare(elbv2.Int32Value(a.Order), elbv2.Int32Value(b.Order))
	})
	out := make([]lb.Action, 0, len(sorted))
	for _, a := range sorted {
		switch a.Type {
		case elbv2.ActionTypeEnumForward:
			act := lb.Action{Type: lb.ActionForward}
			if a.ForwardConfig != nil && len(a.ForwardConfig.TargetGroups) > 0 {
				for _, tg := range a.ForwardConfig.TargetGroups {
					w := int32(1)
					if tg.Weight != nil {
						w = *tg.Weight
					}
					act.TargetGroups = append(act.TargetGroups, lb.WeightedTargetGroup{ARN: tg.TargetGroupArn, Weight: int(w)})
				}
			} else if a.TargetGroupArn != "" {
				act.TargetGroups = []lb.WeightedTargetGroup{{ARN: a.TargetGroupArn, Weight: 1}}
			}
			out = append(out, act)
		case elbv2.ActionTypeEnumFixedResponse:
			fr := &lb.FixedResponse{}
			if c := a.FixedResponseConfig; c != nil {
				fr.StatusCode, _ = strconv.Atoi(c.StatusCode)
				fr.ContentType, fr.MessageBody = c.ContentType, c.MessageBody
			}
			out = append(out, lb.Action{Type: lb.ActionFixedResponse, FixedResponse: fr})
		}
	}
	return out
}

// compileConditions turns rule conditions into the data plane's, taking
// values from the field's *Config when set, else from the legacy Values.
func compileConditions(conds []elbv2.RuleCondition) []lb.Condition {
	out := make([]lb.Condition, 0, len(conds))
	for _, c := range conds {
		lc := lb.Condition{Field: c.Field, Values: c.Values}
		switch c.Field {
		case lb.FieldPathPattern:
			if c.PathPatternConfig != nil && len(c.PathPatternConfig.Values) > 0 {
				lc.Values = c.PathPatternConfig.Values
			}
		case lb.FieldHostHeader:
			if c.HostHeaderConfig != nil && len(c.HostHeaderConfig.Values) > 0 {
				lc.Values = c.HostHeaderConfig.Values
			}
		case lb.FieldHTTPHeader:
			if c.HttpHeaderConfig != nil {
				lc.HeaderName, lc.Values = c.HttpHeaderConfig.HttpHeaderName, c.HttpHeaderConfig.Values
			}
		case lb.FieldHTTPRequestMethod:
			if c.HttpRequestMethodConfig != nil {
				lc.Values = c.HttpRequestMethodConfig.Values
			}
		case lb.FieldQueryString:
			lc.Values = nil
			if c.QueryStringConfig != nil {
				for _, kv := range c.QueryStringConfig.Values {
					lc.QueryStrings = append(lc.QueryStrings, lb.KeyValue{Key: kv.Key, Value: kv.Value})
				}
			}
		}
		lc.Values = slices.Clone(lc.Values)
		out = append(out, lc)
	}
	return out
}

// compileTargetGroup turns a target group into the data plane's, with
// ELBv2's defaults for whatever the record leaves unset.
func compileTargetGroup(g *TargetGroup) lb.TargetGroup {
	seconds := func(p *int32, def int32) time.Duration {
		if p == nil {
			return time.Duration(def) * time.Second
		}
		return time.Duration(*p) * time.Second
	}
	count := func(p *int32, def int32) int {
		if p == nil {
			return int(def)
		}
		return int(*p)
	}
	hc := lb.HealthCheck{
		Enabled:            g.HealthCheckEnabled == nil || *g.HealthCheckEnabled,
		Path:               cmp.Or(g.HealthCheckPath, DefaultHealthCheckPath),
		Interval:           seconds(g.HealthCheckIntervalSeconds, DefaultHealthCheckInterval),
		Timeout:            seconds(g.HealthCheckTimeoutSeconds, DefaultHealthCheckTimeout),
		HealthyThreshold:   count(g.HealthyThresholdCount, DefaultHealthyThreshold),
		UnhealthyThreshold: count(g.UnhealthyThresholdCount, DefaultUnhealthyThreshold),
		Matcher:            DefaultMatcher,
	}
	if port, err := strconv.Atoi(g.HealthCheckPort); err == nil {
		hc.Port = port
	}
	if g.Matcher != nil && g.Matcher.HttpCode != "" {
		hc.Matcher = g.Matcher.HttpCode
	}
	out := lb.TargetGroup{
		ARN:                 g.TargetGroupArn,
		Protocol:            cmp.Or(string(g.Protocol), "HTTP"),
		ProtocolVersion:     g.ProtocolVersion,
		HealthCheck:         hc,
		DeregistrationDelay: g.DeregistrationDelay(),
	}
	for _, tg := range g.Targets {
		out.Targets = append(out.Targets, lb.Target{Host: tg.ID, Port: int(tg.Port)})
	}
	return out
}

// DeregistrationDelay is how long a deregistered target keeps serving
// its in-flight requests (the deregistration_delay.timeout_seconds
// attribute, 300 s by default).
func (g *TargetGroup) DeregistrationDelay() time.Duration {
	delay := DefaultDeregistrationDelaySec
	if v, err := strconv.Atoi(g.Attributes[AttrDeregistrationDelay]); err == nil {
		delay = v
	}
	return time.Duration(delay) * time.Second
}
