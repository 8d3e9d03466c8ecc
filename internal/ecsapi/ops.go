package ecsapi

// operations maps each supported operation name to its handler.
func (a *API) operations() map[string]handler {
	return map[string]handler{
		"CreateCluster":    op(a.createCluster),
		"DescribeClusters": op(a.describeClusters),
		"ListClusters":     op(a.listClusters),
		"DeleteCluster":    op(a.deleteCluster),

		"CreateService":    op(a.createService),
		"UpdateService":    op(a.updateService),
		"DescribeServices": op(a.describeServices),
		"ListServices":     op(a.listServices),
		"DeleteService":    op(a.deleteService),

		"ListServiceDeployments":     op(a.listServiceDeployments),
		"DescribeServiceDeployments": op(a.describeServiceDeployments),
		"StopServiceDeployment":      op(a.stopServiceDeployment),
		"ContinueServiceDeployment":  op(a.continueServiceDeployment),
		"DescribeServiceRevisions":   op(a.describeServiceRevisions),

		"RegisterTaskDefinition":     op(a.registerTaskDefinition),
		"DescribeTaskDefinition":     op(a.describeTaskDefinition),
		"ListTaskDefinitions":        op(a.listTaskDefinitions),
		"ListTaskDefinitionFamilies": op(a.listTaskDefinitionFamilies),
		"DeregisterTaskDefinition":   op(a.deregisterTaskDefinition),

		"ListTasks":     op(a.listTasks),
		"DescribeTasks": op(a.describeTasks),
		"StopTask":      op(a.stopTask),

		"TagResource":         op(a.tagResource),
		"UntagResource":       op(a.untagResource),
		"ListTagsForResource": op(a.listTagsForResource),
	}
}
