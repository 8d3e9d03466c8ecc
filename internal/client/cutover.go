package client

import (
	"context"

	"github.com/cutover/cutover/internal/cutoverapi"
)

// cutover's own operations (package cutoverapi).

// EndServiceDeploymentBakeTime runs CutoverV1.EndServiceDeploymentBakeTime.
func (c *Client) EndServiceDeploymentBakeTime(ctx context.Context, in *cutoverapi.EndServiceDeploymentBakeTimeRequest) (*cutoverapi.EndServiceDeploymentBakeTimeResponse, error) {
	return cutoverOp[cutoverapi.EndServiceDeploymentBakeTimeResponse](ctx, c, cutoverapi.OpEndServiceDeploymentBakeTime, in)
}

// DescribeServiceDeploymentDetails runs
// CutoverV1.DescribeServiceDeploymentDetails.
func (c *Client) DescribeServiceDeploymentDetails(ctx context.Context, in *cutoverapi.DescribeServiceDeploymentDetailsRequest) (*cutoverapi.DescribeServiceDeploymentDetailsResponse, error) {
	return cutoverOp[cutoverapi.DescribeServiceDeploymentDetailsResponse](ctx, c, cutoverapi.OpDescribeServiceDeploymentDetails, in)
}

// ListAuditRecords runs CutoverV1.ListAuditRecords.
func (c *Client) ListAuditRecords(ctx context.Context, in *cutoverapi.ListAuditRecordsRequest) (*cutoverapi.ListAuditRecordsResponse, error) {
	return cutoverOp[cutoverapi.ListAuditRecordsResponse](ctx, c, cutoverapi.OpListAuditRecords, in)
}
