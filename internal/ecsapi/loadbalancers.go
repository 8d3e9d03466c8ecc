package ecsapi

import (
	"cmp"
	"errors"
	"slices"

	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

// checkLoadBalancers validates a service's load balancers against the
// ELBv2 resources in the store and the task definition. cutover takes
// one load balancer per service.
func checkLoadBalancers(tx state.Tx, lbs []ecs.LoadBalancer, td *ecs.TaskDefinition, strategy ecs.DeploymentStrategy) error {
	if len(lbs) == 0 {
		if deploy.ShiftsTraffic(strategy) {
			return invalidParam("A %s deployment needs a load balancer with an advancedConfiguration.", strategy)
		}
		return nil
	}
	if len(lbs) > 1 {
		return invalidParam("cutover supports one load balancer per service.")
	}
	l := lbs[0]
	switch {
	case l.LoadBalancerName != "":
		return invalidParam("Classic Load Balancers are not supported: give a targetGroupArn.")
	case l.TargetGroupArn == "":
		return invalidParam("loadBalancers[0].targetGroupArn is required.")
	case l.ContainerName == "" || l.ContainerPort == nil:
		return invalidParam("loadBalancers[0] needs containerName and containerPort.")
	}
	if !containerHasPort(td, l.ContainerName, *l.ContainerPort) {
		return invalidParam("The container %s does not have a container port %d in the task definition.", l.ContainerName, *l.ContainerPort)
	}
	if err := targetGroupInUse(tx, l.TargetGroupArn); err != nil {
		return err
	}
	adv := l.AdvancedConfiguration
	if !deploy.ShiftsTraffic(strategy) {
		return nil
	}
	if adv == nil || adv.AlternateTargetGroupArn == "" || adv.ProductionListenerRule == "" {
		return invalidParam("A %s deployment needs loadBalancers[0].advancedConfiguration with alternateTargetGroupArn and productionListenerRule.", strategy)
	}
	if adv.AlternateTargetGroupArn == l.TargetGroupArn {
		return invalidParam("The alternate target group must differ from the target group.")
	}
	if err := targetGroupInUse(tx, adv.AlternateTargetGroupArn); err != nil {
		return err
	}
	for _, rule := range []string{adv.ProductionListenerRule, adv.TestListenerRule} {
		if rule == "" {
			continue
		}
		actions, err := tx.RuleActions(rule)
		if errors.Is(err, store.ErrNotFound) {
			return invalidParam("Listener rule %s not found.", rule)
		}
		if err != nil {
			return err
		}
		w := state.ForwardWeights(actions)
		if _, ok := w[l.TargetGroupArn]; !ok {
			return invalidParam("The listener rule %s must forward to both the target group and the alternate target group.", rule)
		}
		if _, ok := w[adv.AlternateTargetGroupArn]; !ok {
			return invalidParam("The listener rule %s must forward to both the target group and the alternate target group.", rule)
		}
	}
	return nil
}

// targetGroupInUse checks that a target group exists and a load
// balancer's listener uses it, as ECS requires.
func targetGroupInUse(tx state.Tx, arn string) error {
	if _, err := tx.TargetGroup(arn); errors.Is(err, store.ErrNotFound) {
		return invalidParam("Target group %s not found.", arn)
	} else if err != nil {
		return err
	}
	used, err := tx.TargetGroupLoadBalancers()
	if err != nil {
		return err
	}
	if len(used[arn]) == 0 {
		return invalidParam("The target group %s does not have an associated load balancer.", arn)
	}
	return nil
}

func containerHasPort(td *ecs.TaskDefinition, name string, port int32) bool {
	for _, cd := range td.ContainerDefinitions {
		if cd.Name == name && slices.ContainsFunc(cd.PortMappings, func(pm ecs.PortMapping) bool {
			return ecs.Int32Value(pm.ContainerPort) == port
		}) {
			return true
		}
	}
	return false
}

// resolveLoadBalancers decides the target group a new revision of svc
// registers its tasks in: the service's target group, or, when the
// service has a blue/green pair, the one of the pair the last stable
// revision does not use for strategies that shift traffic, and the one
// it does use for ROLLING (which never moves the listener's weights, so
// after a blue/green deployment its tasks must join the group that has
// them). The last stable revision, not the latest: after an interrupted
// deployment that one is a half-started green, and the new green must
// not land beside blue.
func resolveLoadBalancers(tx state.Tx, svc *state.Service) (*ecs.ResolvedConfiguration, error) {
	if len(svc.LoadBalancers) == 0 {
		return nil, nil
	}
	l := svc.LoadBalancers[0]
	tg, rule := l.TargetGroupArn, ""
	if adv := l.AdvancedConfiguration; adv != nil {
		stableTG := ""
		stable := cmp.Or(svc.StableRevision, svc.Revision)
		if stable != "" {
			cur, err := tx.Revision(stable)
			if err != nil {
				return nil, err
			}
			stableTG = cur.TargetGroup()
		}
		if deploy.ShiftsTraffic(svc.DeploymentConfiguration.Strategy) {
			rule = adv.ProductionListenerRule
			if stableTG == tg {
				tg = adv.AlternateTargetGroupArn
			}
		} else if stableTG == adv.AlternateTargetGroupArn {
			tg = adv.AlternateTargetGroupArn
		}
	}
	return &ecs.ResolvedConfiguration{LoadBalancers: []ecs.ServiceRevisionLoadBalancer{{TargetGroupArn: tg, ProductionListenerRule: rule}}}, nil
}
