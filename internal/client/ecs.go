package client

import (
	"context"

	"github.com/cutover/cutover/internal/ecs"
)

// The ECS operations the command line uses. Each returns the answer, or
// an error naming the operation that wraps an *APIError when the server
// refused it.

// ListClusters runs ListClusters.
func (c *Client) ListClusters(ctx context.Context, in *ecs.ListClustersRequest) (*ecs.ListClustersResponse, error) {
	return ecsOp[ecs.ListClustersResponse](ctx, c, "ListClusters", in)
}

// DescribeClusters runs DescribeClusters.
func (c *Client) DescribeClusters(ctx context.Context, in *ecs.DescribeClustersRequest) (*ecs.DescribeClustersResponse, error) {
	return ecsOp[ecs.DescribeClustersResponse](ctx, c, "DescribeClusters", in)
}

// ListServices runs ListServices.
func (c *Client) ListServices(ctx context.Context, in *ecs.ListServicesRequest) (*ecs.ListServicesResponse, error) {
	return ecsOp[ecs.ListServicesResponse](ctx, c, "ListServices", in)
}

// DescribeServices runs DescribeServices.
func (c *Client) DescribeServices(ctx context.Context, in *ecs.DescribeServicesRequest) (*ecs.DescribeServicesResponse, error) {
	return ecsOp[ecs.DescribeServicesResponse](ctx, c, "DescribeServices", in)
}

// UpdateService runs UpdateService.
func (c *Client) UpdateService(ctx context.Context, in *ecs.UpdateServiceRequest) (*ecs.UpdateServiceResponse, error) {
	return ecsOp[ecs.UpdateServiceResponse](ctx, c, "UpdateService", in)
}

// RegisterTaskDefinition runs RegisterTaskDefinition.
func (c *Client) RegisterTaskDefinition(ctx context.Context, in *ecs.RegisterTaskDefinitionRequest) (*ecs.RegisterTaskDefinitionResponse, error) {
	return ecsOp[ecs.RegisterTaskDefinitionResponse](ctx, c, "RegisterTaskDefinition", in)
}

// ListServiceDeployments runs ListServiceDeployments.
func (c *Client) ListServiceDeployments(ctx context.Context, in *ecs.ListServiceDeploymentsRequest) (*ecs.ListServiceDeploymentsResponse, error) {
	return ecsOp[ecs.ListServiceDeploymentsResponse](ctx, c, "ListServiceDeployments", in)
}

// DescribeServiceDeployments runs DescribeServiceDeployments.
func (c *Client) DescribeServiceDeployments(ctx context.Context, in *ecs.DescribeServiceDeploymentsRequest) (*ecs.DescribeServiceDeploymentsResponse, error) {
	return ecsOp[ecs.DescribeServiceDeploymentsResponse](ctx, c, "DescribeServiceDeployments", in)
}

// DescribeServiceRevisions runs DescribeServiceRevisions.
func (c *Client) DescribeServiceRevisions(ctx context.Context, in *ecs.DescribeServiceRevisionsRequest) (*ecs.DescribeServiceRevisionsResponse, error) {
	return ecsOp[ecs.DescribeServiceRevisionsResponse](ctx, c, "DescribeServiceRevisions", in)
}

// ContinueServiceDeployment runs ContinueServiceDeployment.
func (c *Client) ContinueServiceDeployment(ctx context.Context, in *ecs.ContinueServiceDeploymentRequest) (*ecs.ContinueServiceDeploymentResponse, error) {
	return ecsOp[ecs.ContinueServiceDeploymentResponse](ctx, c, "ContinueServiceDeployment", in)
}

// StopServiceDeployment runs StopServiceDeployment.
func (c *Client) StopServiceDeployment(ctx context.Context, in *ecs.StopServiceDeploymentRequest) (*ecs.StopServiceDeploymentResponse, error) {
	return ecsOp[ecs.StopServiceDeploymentResponse](ctx, c, "StopServiceDeployment", in)
}

// ListTasks runs ListTasks.
func (c *Client) ListTasks(ctx context.Context, in *ecs.ListTasksRequest) (*ecs.ListTasksResponse, error) {
	return ecsOp[ecs.ListTasksResponse](ctx, c, "ListTasks", in)
}

// DescribeTasks runs DescribeTasks.
func (c *Client) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksRequest) (*ecs.DescribeTasksResponse, error) {
	return ecsOp[ecs.DescribeTasksResponse](ctx, c, "DescribeTasks", in)
}
