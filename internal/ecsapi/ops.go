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
		"DescribeServiceRevisions":   op(a.describeServiceRevisions),
	}
}
