package ecsapi

// operations maps each supported operation name to its handler.
func (a *API) operations() map[string]handler {
	return map[string]handler{
		"CreateCluster":    op(a.createCluster),
		"DescribeClusters": op(a.describeClusters),
		"ListClusters":     op(a.listClusters),
		"DeleteCluster":    op(a.deleteCluster),
	}
}
