package elbapi

import (
	"cmp"
	"context"
	"fmt"
	"reflect"
	"slices"

	"github.com/cutover/cutover/internal/elbv2"
	"github.com/cutover/cutover/internal/state"
)

// checkPort refuses a port that another listener uses: a listener of the
// same load balancer (as in AWS), or of any other load balancer, since
// every cutover listener binds the same address. self is the listener
// being changed, or "" for a new one.
func checkPort(tx state.Tx, lbARN, self string, port int32) (*state.Listener, error) {
	var clash *state.Listener
	err := tx.Listeners("", func(l *state.Listener) error {
		if l.ListenerArn != self && elbv2.Int32Value(l.Port) == port {
			clash = l
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case clash == nil:
		return nil, nil
	case clash.LoadBalancerArn == lbARN:
		return clash, apiErr(errDuplicateListener, "A listener already exists on port %d of load balancer '%s'.", port, lbARN)
	default:
		return clash, apiErr(errDuplicateListener, "Port %d is already used by a listener of load balancer '%s'; all cutover load balancers listen on one address (--lb-address), so a port can serve one load balancer only.", port, clash.LoadBalancerArn)
	}
}

// createListener creates an HTTP or HTTPS listener with its default rule, or
// returns the listener on that port of the load balancer when its
// settings are the same.
func (a *API) createListener(ctx context.Context, req *elbv2.CreateListenerInput) (*elbv2.CreateListenerOutput, error) {
	protocol := cmp.Or(req.Protocol, elbv2.ProtocolEnumHttp)
	certs, sslPolicy, err := a.checkListenerProtocol(protocol, req.Certificates, req.SslPolicy)
	if err != nil {
		return nil, err
	}
	if req.Port == nil {
		return nil, validation("A listener port must be specified.")
	}
	if err := checkTags(req.Tags); err != nil {
		return nil, err
	}
	var out *state.Listener
	err = a.update(ctx, func(tx state.Tx) error {
		l, err := loadBalancer(tx, req.LoadBalancerArn)
		if err != nil {
			return err
		}
		actions, err := checkActions(tx, l.LoadBalancerArn, req.DefaultActions)
		if err != nil {
			return err
		}
		if clash, err := checkPort(tx, l.LoadBalancerArn, "", *req.Port); err != nil {
			if clash != nil && clash.LoadBalancerArn == l.LoadBalancerArn && clash.Protocol == protocol && reflect.DeepEqual(clash.DefaultActions, actions) &&
				reflect.DeepEqual(clash.Certificates, certs) && clash.SslPolicy == sslPolicy {
				out = clash
				return nil
			}
			return err
		}
		n := 0
		if err := tx.Listeners(l.ID, func(*state.Listener) error { n++; return nil }); err != nil {
			return err
		}
		if n >= maxListenersPerLB {
			return apiErr(errTooManyListeners, "A load balancer can have at most %d listeners.", maxListenersPerLB)
		}
		out = &state.Listener{ID: a.newID(), DefaultRuleID: a.newID(), Tags: req.Tags}
		out.Listener = elbv2.Listener{
			ListenerArn:     a.arns.ELBListener(l.LoadBalancerName, l.ID, out.ID),
			LoadBalancerArn: l.LoadBalancerArn,
			Port:            req.Port,
			Protocol:        protocol,
			Certificates:    certs,
			SslPolicy:       sslPolicy,
			DefaultActions:  actions,
		}
		return tx.PutListener(out)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.CreateListenerOutput{Listeners: []elbv2.Listener{out.Listener}}, nil
}

// listenerKey orders listeners: by port, unique across load balancers.
func listenerKey(l *state.Listener) string { return fmt.Sprintf("%05d", elbv2.Int32Value(l.Port)) }

// describeListeners lists the listeners of a load balancer or those named
// by ARN, by port.
func (a *API) describeListeners(ctx context.Context, req *elbv2.DescribeListenersInput) (*elbv2.DescribeListenersOutput, error) {
	if (req.LoadBalancerArn == "") == (len(req.ListenerArns) == 0) {
		return nil, validation("You must specify either listener ARNs or a load balancer ARN, but not both.")
	}
	var listeners []*state.Listener
	err := a.view(ctx, func(tx state.Tx) error {
		for _, arn := range req.ListenerArns {
			l, err := listener(tx, arn)
			if err != nil {
				return err
			}
			listeners = append(listeners, l)
		}
		if req.LoadBalancerArn == "" {
			return nil
		}
		l, err := loadBalancer(tx, req.LoadBalancerArn)
		if err != nil {
			return err
		}
		return tx.Listeners(l.ID, func(ln *state.Listener) error {
			listeners = append(listeners, ln)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(listeners, func(x, y *state.Listener) int { return cmp.Compare(listenerKey(x), listenerKey(y)) })
	listeners = slices.CompactFunc(listeners, func(x, y *state.Listener) bool { return x.ListenerArn == y.ListenerArn })
	listeners, next, err := page(listeners, listenerKey, req.Marker, req.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2.DescribeListenersOutput{Listeners: []elbv2.Listener{}, NextMarker: next}
	for _, l := range listeners {
		out.Listeners = append(out.Listeners, l.Listener)
	}
	return out, nil
}

// modifyListener changes a listener's port, protocol, certificate, security
// policy or default actions. A listener that becomes HTTP loses its
// certificate and policy.
func (a *API) modifyListener(ctx context.Context, req *elbv2.ModifyListenerInput) (*elbv2.ModifyListenerOutput, error) {
	var out *state.Listener
	err := a.update(ctx, func(tx state.Tx) error {
		l, err := listener(tx, req.ListenerArn)
		if err != nil {
			return err
		}
		protocol, certs, sslPolicy := cmp.Or(req.Protocol, l.Protocol), req.Certificates, req.SslPolicy
		if protocol == elbv2.ProtocolEnumHttps && l.Protocol == elbv2.ProtocolEnumHttps {
			// An HTTPS listener keeps what the request does not change.
			if len(certs) == 0 {
				certs = l.Certificates
			}
			sslPolicy = cmp.Or(sslPolicy, l.SslPolicy)
		}
		if l.Certificates, l.SslPolicy, err = a.checkListenerProtocol(protocol, certs, sslPolicy); err != nil {
			return err
		}
		l.Protocol = protocol
		if req.Port != nil && *req.Port != elbv2.Int32Value(l.Port) {
			if _, err := checkPort(tx, l.LoadBalancerArn, l.ListenerArn, *req.Port); err != nil {
				return err
			}
			l.Port = req.Port
		}
		if req.DefaultActions != nil {
			if l.DefaultActions, err = checkActions(tx, l.LoadBalancerArn, req.DefaultActions); err != nil {
				return err
			}
		}
		out = l
		return tx.PutListener(l)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.ModifyListenerOutput{Listeners: []elbv2.Listener{out.Listener}}, nil
}

// deleteListener deletes a listener and its rules.
func (a *API) deleteListener(ctx context.Context, req *elbv2.DeleteListenerInput) (*elbv2.DeleteListenerOutput, error) {
	err := a.update(ctx, func(tx state.Tx) error {
		l, err := listener(tx, req.ListenerArn)
		if err != nil {
			return err
		}
		return deleteListenerTx(tx, l)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2.DeleteListenerOutput{}, nil
}

// deleteListenerTx deletes a listener and its rules inside tx.
func deleteListenerTx(tx state.Tx, l *state.Listener) error {
	rules, err := tx.Rules(l.ID)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if err := tx.DeleteRule(r); err != nil {
			return err
		}
	}
	return tx.DeleteListener(l)
}
