package elbapi

// operations maps each supported action to its handler.
func (a *API) operations() map[string]handler {
	return map[string]handler{
		"CreateLoadBalancer":             op(a.createLoadBalancer),
		"DescribeLoadBalancers":          op(a.describeLoadBalancers),
		"DeleteLoadBalancer":             op(a.deleteLoadBalancer),
		"DescribeLoadBalancerAttributes": op(a.describeLoadBalancerAttributes),
		"ModifyLoadBalancerAttributes":   op(a.modifyLoadBalancerAttributes),

		"CreateTargetGroup":             op(a.createTargetGroup),
		"DescribeTargetGroups":          op(a.describeTargetGroups),
		"ModifyTargetGroup":             op(a.modifyTargetGroup),
		"DeleteTargetGroup":             op(a.deleteTargetGroup),
		"DescribeTargetGroupAttributes": op(a.describeTargetGroupAttributes),
		"ModifyTargetGroupAttributes":   op(a.modifyTargetGroupAttributes),

		"RegisterTargets":      op(a.registerTargets),
		"DeregisterTargets":    op(a.deregisterTargets),
		"DescribeTargetHealth": op(a.describeTargetHealth),

		"CreateListener":    op(a.createListener),
		"DescribeListeners": op(a.describeListeners),
		"ModifyListener":    op(a.modifyListener),
		"DeleteListener":    op(a.deleteListener),

		"DescribeListenerCertificates": op(a.describeListenerCertificates),

		"CreateRule":        op(a.createRule),
		"DescribeRules":     op(a.describeRules),
		"ModifyRule":        op(a.modifyRule),
		"DeleteRule":        op(a.deleteRule),
		"SetRulePriorities": op(a.setRulePriorities),

		"AddTags":      op(a.addTags),
		"RemoveTags":   op(a.removeTags),
		"DescribeTags": op(a.describeTags),
	}
}
