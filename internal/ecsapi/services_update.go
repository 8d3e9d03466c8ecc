package ecsapi

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/cutover/cutover/internal/cutoverapi"
	"github.com/cutover/cutover/internal/deploy"
	"github.com/cutover/cutover/internal/ecs"
	"github.com/cutover/cutover/internal/state"
	"github.com/cutover/cutover/internal/store"
)

func (a *API) updateService(ctx context.Context, req *ecs.UpdateServiceRequest) (*ecs.UpdateServiceResponse, error) {
	if req.DesiredCount != nil && *req.DesiredCount < 0 {
		return nil, invalidParam("desiredCount must be 0 or more.")
	}
	if err := checkServiceConfig(req.DeploymentController, req.DeploymentConfiguration); err != nil {
		return nil, err
	}
	var out *ecs.Service
	var service string
	err := a.writeService(ctx, &service, func(tx state.Tx) error {
		svc, err := clusterService(tx, req.Cluster, req.Service)
		if err != nil {
			return err
		}
		service = svc.ServiceArn
		if svc.Status != state.ServiceActive {
			return errServiceNotActive
		}
		// What does not change what runs updates the service in place.
		if req.DesiredCount != nil {
			svc.DesiredCount = req.DesiredCount
			svc.Steady = false
		}
		if req.DeploymentConfiguration != nil {
			svc.DeploymentConfiguration = withDefaults(req.DeploymentConfiguration)
		}
		if req.HealthCheckGracePeriodSeconds != nil {
			svc.HealthCheckGracePeriodSeconds = req.HealthCheckGracePeriodSeconds
		}
		if req.PlacementConstraints != nil {
			svc.PlacementConstraints = req.PlacementConstraints
		}
		if req.PlacementStrategy != nil {
			svc.PlacementStrategy = req.PlacementStrategy
		}
		if req.PropagateTags != "" {
			svc.PropagateTags = req.PropagateTags
		}
		if req.EnableECSManagedTags != nil {
			svc.EnableECSManagedTags = req.EnableECSManagedTags
		}
		if req.EnableExecuteCommand != nil {
			svc.EnableExecuteCommand = req.EnableExecuteCommand
		}

		// What changes what runs makes a new revision and deploys it.
		newRevision := ecs.BoolValue(req.ForceNewDeployment)
		td, err := activeTaskDefinitionOrCurrent(tx, req.TaskDefinition, svc.TaskDefinition)
		if err != nil {
			return err
		}
		if td.TaskDefinitionArn != svc.TaskDefinition {
			newRevision = true
		}
		set := func(changed bool) {
			newRevision = newRevision || changed
		}
		if req.NetworkConfiguration != nil {
			set(!reflect.DeepEqual(req.NetworkConfiguration, svc.NetworkConfiguration))
			svc.NetworkConfiguration = req.NetworkConfiguration
		}
		if req.ServiceRegistries != nil {
			set(!reflect.DeepEqual(req.ServiceRegistries, svc.ServiceRegistries))
			svc.ServiceRegistries = req.ServiceRegistries
		}
		if req.CapacityProviderStrategy != nil {
			set(!reflect.DeepEqual(req.CapacityProviderStrategy, svc.CapacityProviderStrategy))
			svc.CapacityProviderStrategy = req.CapacityProviderStrategy
		}
		if req.PlatformVersion != "" {
			set(req.PlatformVersion != svc.PlatformVersion)
			svc.PlatformVersion = req.PlatformVersion
		}
		if req.LoadBalancers != nil {
			set(!reflect.DeepEqual(req.LoadBalancers, svc.LoadBalancers))
			svc.LoadBalancers = req.LoadBalancers
		}
		if err := checkLoadBalancers(tx, svc.LoadBalancers, td, svc.DeploymentConfiguration.Strategy); err != nil {
			return err
		}
		rec := cutoverapi.AuditRecord{Action: cutoverapi.ActionUpdateService, ServiceArn: svc.ServiceArn,
			Detail: fmt.Sprintf("desiredCount %d", ecs.Int32Value(svc.DesiredCount))}
		if newRevision {
			err = a.deployRevision(tx, svc, td, a.now())
			rec.ServiceDeploymentArn = svc.Deployment
			rec.Detail = "taskDefinition " + td.TaskDefinitionArn + ", " + rec.Detail
		} else {
			err = tx.PutService(svc)
		}
		if err != nil {
			return err
		}
		if err := a.record(ctx, tx, rec); err != nil {
			return err
		}
		out, err = a.renderService(tx, svc, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecs.UpdateServiceResponse{Service: out}, nil
}

// activeTaskDefinitionOrCurrent resolves the task definition an update
// names, or the service's current one when it names none.
func activeTaskDefinitionOrCurrent(tx state.Tx, ref, current string) (*ecs.TaskDefinition, error) {
	if ref == "" {
		return tx.ResolveTaskDefinition(current)
	}
	return activeTaskDefinition(tx, ref)
}

func (a *API) deleteService(ctx context.Context, req *ecs.DeleteServiceRequest) (*ecs.DeleteServiceResponse, error) {
	var out *ecs.Service
	err := a.update(ctx, func(tx state.Tx) error {
		svc, err := clusterService(tx, req.Cluster, req.Service)
		if err != nil {
			return err
		}
		if svc.Status == state.ServiceInactive {
			return errServiceNotActive
		}
		if ecs.Int32Value(svc.DesiredCount) > 0 && !ecs.BoolValue(req.Force) {
			return invalidParam("The service cannot be stopped while it is scaled above 0.")
		}
		svc.Status, svc.DesiredCount, svc.Steady = state.ServiceDraining, ecs.Int32(0), false
		if err := stopCurrentDeployment(tx, svc, "Service deleted", a.now()); err != nil {
			return err
		}
		if err := tx.PutService(svc); err != nil {
			return err
		}
		if err := a.record(ctx, tx, cutoverapi.AuditRecord{Action: cutoverapi.ActionDeleteService, ServiceArn: svc.ServiceArn}); err != nil {
			return err
		}
		out, err = a.renderService(tx, svc, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &ecs.DeleteServiceResponse{Service: out}, nil
}

func (a *API) describeServices(ctx context.Context, req *ecs.DescribeServicesRequest) (*ecs.DescribeServicesResponse, error) {
	if len(req.Services) == 0 || len(req.Services) > 10 {
		return nil, invalidParam("services must name between 1 and 10 services.")
	}
	out := &ecs.DescribeServicesResponse{Services: []ecs.Service{}, Failures: []ecs.Failure{}}
	err := a.view(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, req.Cluster)
		if err != nil {
			return err
		}
		for _, ref := range req.Services {
			svc, err := serviceOf(tx, c.ClusterName, ref)
			if errors.Is(err, errServiceNotFound) {
				out.Failures = append(out.Failures, ecs.Failure{Arn: a.arns.Service(c.ClusterName, state.LastPart(ref)), Reason: "MISSING"})
				continue
			}
			if err != nil {
				return err
			}
			rs, err := a.renderService(tx, svc, req.Include)
			if err != nil {
				return err
			}
			out.Services = append(out.Services, *rs)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (a *API) listServices(ctx context.Context, req *ecs.ListServicesRequest) (*ecs.ListServicesResponse, error) {
	pg, after, err := newPage(req.MaxResults, req.NextToken, 10, 100)
	if err != nil {
		return nil, err
	}
	out := &ecs.ListServicesResponse{ServiceArns: []string{}}
	err = a.view(ctx, func(tx state.Tx) error {
		c, err := activeCluster(tx, req.Cluster)
		if err != nil {
			return err
		}
		return tx.Services(c.ClusterName, after, func(s *state.Service) error {
			if s.Status == state.ServiceInactive ||
				(req.LaunchType != "" && s.LaunchType != req.LaunchType) ||
				(req.SchedulingStrategy != "" && s.SchedulingStrategy != req.SchedulingStrategy) {
				return nil
			}
			if !pg.add(s.ServiceName) {
				return store.ErrStop
			}
			out.ServiceArns = append(out.ServiceArns, s.ServiceArn)
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	out.NextToken = pg.token()
	return out, nil
}

// rolloutState maps a service deployment's status onto the rollout
// state of DescribeServices' PRIMARY deployment.
func rolloutState(d *deploy.Deployment) ecs.DeploymentRolloutState {
	switch d.Status {
	case ecs.ServiceDeploymentStatusSuccessful, ecs.ServiceDeploymentStatusRollbackSuccessful:
		return ecs.DeploymentRolloutStateCompleted
	case ecs.ServiceDeploymentStatusStopped, ecs.ServiceDeploymentStatusRollbackFailed:
		return ecs.DeploymentRolloutStateFailed
	}
	return ecs.DeploymentRolloutStateInProgress
}
