package ecsapi

import (
	"context"
	"errors"
	"slices"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

func (a *API) listServiceDeployments(ctx context.Context, req *ecs.ListServiceDeploymentsRequest) (*ecs.ListServiceDeploymentsResponse, error) {
	pg, after, err := newPage(req.MaxResults, req.NextToken, 20, 100)
	if err != nil {
		return nil, err
	}
	cluster := req.Cluster
	if state.IsARN(req.Service) {
		a, err := state.ParseARN(req.Service)
		if err != nil || a.Type != "service" || len(a.Parts) != 2 {
			return nil, invalidParam("Invalid service ARN %q.", req.Service)
		}
		if cluster != "" && clusterName(cluster) != a.Parts[0] {
			return nil, invalidParam("The service ARN does not belong to cluster %q.", clusterName(cluster))
		}
		cluster = a.Parts[0]
	}
	out := &ecs.ListServiceDeploymentsResponse{ServiceDeployments: []ecs.ServiceDeploymentBrief{}}
	err = a.view(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, cluster)
		if err != nil {
			return err
		}
		svc, err := serviceOf(tx, c.ClusterName, req.Service)
		if err != nil {
			return err
		}
		var all []*deploy.Deployment
		err = tx.Deployments(c.ClusterName, svc.ServiceName, func(d *deploy.Deployment) error {
			if d.ServiceArn == svc.ServiceArn && matches(d, req) {
				all = append(all, d)
			}
			return nil
		})
		if err != nil {
			return err
		}
		// Newest first; the token is the ARN of the last one returned.
		slices.Reverse(all)
		i := 0
		if after != "" {
			i = slices.IndexFunc(all, func(d *deploy.Deployment) bool { return d.Arn == after }) + 1
			if i == 0 {
				return invalidParam("Invalid nextToken.")
			}
		}
		for _, d := range all[i:] {
			if !pg.add(d.Arn) {
				break
			}
			out.ServiceDeployments = append(out.ServiceDeployments, briefDeployment(d))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.NextToken = pg.token()
	return out, nil
}

// matches applies ListServiceDeployments' status and createdAt filters.
func matches(d *deploy.Deployment, req *ecs.ListServiceDeploymentsRequest) bool {
	if len(req.Status) > 0 && !slices.Contains(req.Status, d.Status) {
		return false
	}
	if ca := req.CreatedAt; ca != nil {
		if ca.Before != nil && !d.CreatedAt.Before(ecs.TimeValue(ca.Before)) {
			return false
		}
		if ca.After != nil && !d.CreatedAt.After(ecs.TimeValue(ca.After)) {
			return false
		}
	}
	return true
}

func (a *API) describeServiceDeployments(ctx context.Context, req *ecs.DescribeServiceDeploymentsRequest) (*ecs.DescribeServiceDeploymentsResponse, error) {
	if len(req.ServiceDeploymentArns) == 0 || len(req.ServiceDeploymentArns) > 20 {
		return nil, invalidParam("serviceDeploymentArns must name between 1 and 20 service deployments.")
	}
	out := &ecs.DescribeServiceDeploymentsResponse{ServiceDeployments: []ecs.ServiceDeployment{}, Failures: []ecs.Failure{}}
	err := a.view(ctx, func(tx state.Tx) error {
		for _, arn := range req.ServiceDeploymentArns {
			d, err := tx.Deployment(arn)
			if errors.Is(err, store.ErrNotFound) {
				out.Failures = append(out.Failures, ecs.Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			if err != nil {
				return err
			}
			out.ServiceDeployments = append(out.ServiceDeployments, renderDeployment(d))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (a *API) stopServiceDeployment(ctx context.Context, req *ecs.StopServiceDeploymentRequest) (*ecs.StopServiceDeploymentResponse, error) {
	if req.StopType != "" && req.StopType != ecs.StopServiceDeploymentStopTypeRollback {
		return nil, invalidParam("The only supported stopType is ROLLBACK.")
	}
	var service string
	err := a.writeService(ctx, &service, func(tx state.Tx) error {
		d, err := tx.Deployment(req.ServiceDeploymentArn)
		if errors.Is(err, store.ErrNotFound) {
			return errServiceDeploymentNotFound
		}
		if err != nil {
			return err
		}
		service = d.ServiceArn
		switch {
		case d.RollingBack():
			return nil // already rolling back: asking again changes nothing
		case d.Status != ecs.ServiceDeploymentStatusPending && d.Status != ecs.ServiceDeploymentStatusInProgress:
			return apiErr("ConflictException", "The service deployment is %s; only a PENDING or IN_PROGRESS service deployment can be stopped.", d.Status)
		case d.RollbackTo == "":
			return apiErr("ConflictException", "The service deployment has no previous service revision to roll back to.")
		}
		d.Status, d.UpdatedAt = ecs.ServiceDeploymentStatusRollbackRequested, a.now()
		if err := tx.PutDeployment(d); err != nil {
			return err
		}
		return a.record(ctx, tx, cutoverapi.AuditRecord{
			Action: cutoverapi.ActionStop, ServiceArn: d.ServiceArn, ServiceDeploymentArn: d.Arn, Detail: "ROLLBACK",
		})
	})
	if err != nil {
		return nil, err
	}
	return &ecs.StopServiceDeploymentResponse{ServiceDeploymentArn: req.ServiceDeploymentArn}, nil
}

func (a *API) describeServiceRevisions(ctx context.Context, req *ecs.DescribeServiceRevisionsRequest) (*ecs.DescribeServiceRevisionsResponse, error) {
	if len(req.ServiceRevisionArns) == 0 || len(req.ServiceRevisionArns) > 20 {
		return nil, invalidParam("serviceRevisionArns must name between 1 and 20 service revisions.")
	}
	out := &ecs.DescribeServiceRevisionsResponse{ServiceRevisions: []ecs.ServiceRevision{}, Failures: []ecs.Failure{}}
	err := a.view(ctx, func(tx state.Tx) error {
		for _, arn := range req.ServiceRevisionArns {
			r, err := tx.Revision(arn)
			if errors.Is(err, store.ErrNotFound) {
				out.Failures = append(out.Failures, ecs.Failure{Arn: arn, Reason: "MISSING"})
				continue
			}
			if err != nil {
				return err
			}
			out.ServiceRevisions = append(out.ServiceRevisions, r.ServiceRevision)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
